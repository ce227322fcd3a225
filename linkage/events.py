"""Domain events: what happened in the registry, told to whoever listens.

The service layer (``linkage.services``) emits an event for every write it makes; listeners (the
workspace notifications, webhooks) subscribe by event name. Delivery happens after the
transaction commits, so a listener never hears of a write that was rolled back, and a listener
that fails is logged without undoing the write it heard of.

A plain in-process dispatcher: each process delivers the events of its own writes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

__all__ = ["ANY", "Event", "emit", "listen", "stop_listening"]

ANY = "*"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Something that happened: ``name`` is "<entity>.<what>" (``sourcing_request.created``),
    ``code`` the record's code (or id), ``actor_id`` the user who did it (None for the system),
    ``data`` plain JSON-able details."""

    name: str
    code: str | None = None
    actor_id: int | None = None
    data: dict = field(default_factory=dict)


Listener = Callable[[Event], object]
_listeners: dict[str, list[Listener]] = defaultdict(list)


def listen(name: str, listener: Listener) -> None:
    """Call ``listener(event)`` for every event called ``name`` (``ANY``: every event)."""
    if listener not in _listeners[name]:
        _listeners[name].append(listener)


def stop_listening(name: str, listener: Listener) -> None:
    if listener in _listeners[name]:
        _listeners[name].remove(listener)


def emit(event: Event) -> None:
    """Deliver ``event`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: _deliver(event))


def _deliver(event: Event) -> None:
    for listener in [*_listeners[event.name], *_listeners[ANY]]:
        try:
            listener(event)
        except Exception:
            # A notification that fails must not turn a committed write into an error.
            logger.exception("listener %r failed on %s", listener, event.name)
