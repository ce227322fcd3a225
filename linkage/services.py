"""Writes to the registry: every create, change and delete goes through here.

The API, the importer and the admin all call these functions, so that the rules of a write, the
graph version (``linkage.graph_cache``) and the domain events (``linkage.events``) are taken care
of in one place. Functions are keyword-only and run in ``transaction.atomic``.
"""

from __future__ import annotations

from django.db import transaction

from .events import Event, emit
from .graph_cache import bump_version

__all__ = ["registry_changed", "registry_imported"]


def registry_changed() -> None:
    """Mark the linkage graph stale in every process.

    Bumped now, so this process sees its own write at once, and again after the commit, so that
    another process that rebuilt in between (from the not yet committed state) rebuilds again.
    """
    bump_version()
    transaction.on_commit(bump_version)


def registry_imported(
    *, created: dict[str, int], updated: dict[str, int], actor_id: int | None = None
) -> None:
    """Record that a bulk import wrote rows (called inside the import's transaction)."""
    registry_changed()
    emit(
        Event("registry.imported", actor_id=actor_id, data={"created": created, "updated": updated})
    )
