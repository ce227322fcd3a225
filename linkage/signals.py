"""Cache invalidation: any write to the registry makes the linkage graph stale everywhere."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from . import models
from .graph_cache import bump_version

REGISTRY_MODELS = (
    models.Area,
    models.Producer,
    models.Product,
    models.Buyer,
    models.Linkage,
    models.SourcingRequest,
)


def _graph_changed(sender, **kwargs):
    # Bump now, so this process sees its own write at once, and again after the commit, so that
    # another process that rebuilt in between (from the not yet committed state) rebuilds again.
    bump_version()
    transaction.on_commit(bump_version)


for _model in REGISTRY_MODELS:
    post_save.connect(_graph_changed, sender=_model, dispatch_uid=f"graph-{_model.__name__}-save")
    post_delete.connect(
        _graph_changed, sender=_model, dispatch_uid=f"graph-{_model.__name__}-delete"
    )
