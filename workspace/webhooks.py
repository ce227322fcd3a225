"""The webhooks page: a user's webhooks with their last deliveries. Writes go through
``notifications.services`` (``webhook_create``, ``webhook_delete``), as the API's do."""

from __future__ import annotations

from django.db.models import Prefetch

from notifications.models import Webhook, WebhookAttempt

__all__ = ["LAST_DELIVERIES", "webhooks_of"]

LAST_DELIVERIES = 5


def webhooks_of(user) -> list[Webhook]:
    """``user``'s webhooks, each with ``last_deliveries``: the newest few, each with
    ``last_attempt`` (its latest POST, or None before the first).

    Two queries per webhook: a user keeps a handful, and a busy one must not crowd out the
    deliveries of the others."""
    hooks = list(Webhook.objects.filter(owner=user).order_by("id"))
    newest_first = WebhookAttempt.objects.order_by("-attempt")
    for hook in hooks:
        hook.last_deliveries = list(
            hook.deliveries.order_by("-created_at").prefetch_related(
                Prefetch("attempt_log", queryset=newest_first)
            )[:LAST_DELIVERIES]
        )
        for delivery in hook.last_deliveries:
            attempts = list(delivery.attempt_log.all())
            delivery.last_attempt = attempts[0] if attempts else None
    return hooks
