"""The inbox on the workspaces: a user's notifications, unread first, each with the page it is
about. Reads only; marking read goes through ``notifications.services``."""

from __future__ import annotations

from django.urls import reverse

from notifications import messages
from notifications.models import Notification

__all__ = ["INBOX_SIZE", "inbox", "target_of", "unread_count"]

INBOX_SIZE = 100


def unread_count(user) -> int:
    """How many of ``user``'s notifications are unread (the header's count)."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def target_of(note: Notification) -> str:
    """The workspace page, and the place on it, that ``note`` is about."""
    home = reverse("workspace-home")
    code = note.subject_code
    if note.subject_type == "proposal":
        return f"{home}#proposal-{code}"
    if note.subject_type == "sourcing_request":
        # A producer is told of a request it may answer; the buyer's side sees its own request.
        anchor = "match" if note.kind == messages.SOURCING_REQUEST_MATCHED else "request"
        return f"{home}#{anchor}-{code}"
    if note.subject_type == "product":
        return f"{home}#product-{code}"
    return home


def inbox(user, *, limit: int = INBOX_SIZE) -> list[Notification]:
    """``user``'s newest notifications, the unread ones first, each with ``title``, ``body``
    (in the active language) and ``target``."""
    mine = Notification.objects.filter(recipient=user).order_by("-created_at", "-id")
    notes = list(mine.filter(read_at__isnull=True)[:limit])
    if len(notes) < limit:
        notes += mine.filter(read_at__isnull=False)[: limit - len(notes)]
    for note in notes:
        note.title, note.body = messages.render(note.kind, note.params)
        note.target = target_of(note)
    return notes
