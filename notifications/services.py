"""Writes of the notifications: the inbox, e-mails and webhook deliveries, and the webhooks.

``notify`` is what every listener ends in: for each recipient (never the actor), a row in the
inbox, an e-mail when the user has an address, and a delivery to each of the user's active
webhooks subscribed to the event. E-mails and deliveries go to the job queue (in-process without
Redis), so a slow mail server or receiver never holds up the write that caused them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linkage import jobs
from linkage.events import Event
from linkage.services import WriteRefused

from . import messages, webhooks
from .models import Notification, Webhook, WebhookDelivery

__all__ = [
    "WEBHOOK_EVENTS",
    "email_notification",
    "notification_read",
    "notifications_read_all",
    "notify",
    "webhook_create",
    "webhook_delete",
    "webhook_update",
]

# The events a webhook may subscribe to: those the notifications tell users of.
WEBHOOK_EVENTS = (
    "sourcing_request.created",
    "proposal.created",
    "proposal.state_changed",
    "rating.expiring",
)


def notify(
    *,
    event: Event,
    kind: str,
    params_for: dict[int, dict],
    subject_type: str,
    subject_code: str,
    link: str = "",
    data_for: Callable[[int], dict] | None = None,
) -> list[Notification]:
    """Tell each user of ``params_for`` (user id → the message's parameters) of ``event``.

    The actor is left out. ``data_for(user_id)`` adds to what that user's webhooks receive
    (by default the event's code and data).
    """
    recipients = sorted(set(params_for) - {event.actor_id})
    if not recipients:
        return []
    notes = Notification.objects.bulk_create(
        Notification(
            recipient_id=user_id,
            kind=kind,
            params=params_for[user_id],
            event=event.name,
            subject_type=subject_type,
            subject_code=subject_code,
            link=link,
        )
        for user_id in recipients
    )
    if settings.NOTIFICATION_EMAILS:
        with_address = set(
            get_user_model()
            .objects.filter(pk__in=recipients, is_active=True)
            .exclude(email="")
            .values_list("pk", flat=True)
        )
        for note in notes:
            if note.recipient_id in with_address:
                jobs.enqueue("notifications.services.email_notification", notification_id=note.pk)
    _queue_webhooks(event, recipients, data_for)
    return notes


def _queue_webhooks(event: Event, recipients: list[int], data_for) -> None:
    hooks = [
        hook
        for hook in Webhook.objects.filter(owner_id__in=recipients, active=True)
        if event.name in hook.events
    ]
    for hook in hooks:
        data = {"code": event.code, **event.data}
        if data_for is not None:
            data.update(data_for(hook.owner_id))
        webhooks.queue_delivery(
            WebhookDelivery.objects.create(webhook=hook, event=event.name, data=data)
        )


def email_notification(*, notification_id: int) -> bool:
    """Send one notification by e-mail (a job): Vietnamese, then English. Whether it was sent."""
    note = Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    if note is None or not note.recipient.email:
        return False
    title_vi, body_vi = messages.render(note.kind, note.params, "vi")
    title_en, body_en = messages.render(note.kind, note.params, "en")
    link = f"{settings.SITE_URL.rstrip('/')}{note.link}" if note.link else ""
    text = f"{body_vi}\n\n{link}\n\n--\n{title_en}\n{body_en}\n".replace("\n\n\n", "\n\n")
    sent = send_mail(
        subject=f"[OCOP] {title_vi}",
        message=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[note.recipient.email],
    )
    return bool(sent)


def notification_read(*, user, notification_id: int) -> Notification:
    """Mark one of ``user``'s notifications read; Notification.DoesNotExist for another's."""
    note = Notification.objects.get(pk=notification_id, recipient=user)
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    return note


def notifications_read_all(*, user) -> int:
    """Mark every unread notification of ``user`` read; how many were."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def _checked(url: str | None, events: list[str] | None) -> None:
    errors = {}
    if url is not None:
        try:
            webhooks.check_url(url)
        except webhooks.AddressRefused as exc:
            errors["url"] = [str(exc)]
    if events is not None:
        unknown = sorted(set(events) - set(WEBHOOK_EVENTS))
        if unknown:
            errors["events"] = [_("Unknown event: %s") % ", ".join(unknown)]
        elif not events:
            errors["events"] = [_("Subscribe to at least one event.")]
    if errors:
        raise WriteRefused(errors)


@transaction.atomic
def webhook_create(*, owner, url: str, events: list[str], active: bool = True) -> Webhook:
    """Register a webhook of ``owner``'s with a new secret (the caller shows it once)."""
    _checked(url, events)
    return Webhook.objects.create(
        owner=owner,
        url=url,
        events=sorted(set(events)),
        active=active,
        secret=secrets.token_hex(32),
    )


@transaction.atomic
def webhook_update(
    *, webhook: Webhook, url: str | None = None, events=None, active=None
) -> Webhook:
    _checked(url, events)
    if url is not None:
        webhook.url = url
    if events is not None:
        webhook.events = sorted(set(events))
    if active is not None:
        webhook.active = active
    webhook.save()
    return webhook


@transaction.atomic
def webhook_delete(*, webhook: Webhook) -> None:
    webhook.delete()
