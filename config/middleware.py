"""A read that met a database restart is tried once more, on a fresh connection.

``CONN_HEALTH_CHECKS`` replaces a dead kept connection before a request uses it; a restart while
the request runs (or between the check and the query) still breaks it. A GET or HEAD changes
nothing, so this middleware runs it once more on a new connection, after a short pause, when the
first try met ``OperationalError`` or ``InterfaceError``. Writes (any other method) are never
repeated: the client gets the fault (503 JSON from the API) and decides.

The fault is noticed in two places: ``process_exception`` for Django views (the admin, the
planners' pages), and the API's exception handler (``api.exceptions``), which answers 503 itself
and sets the request's ``database_fault`` attribute (the apps do not import ``config``).
"""

import logging
import time

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse

__all__ = ["DATABASE_FAULTS", "RetryIdempotentReads", "mark_database_fault"]

logger = logging.getLogger(__name__)

DATABASE_FAULTS = (OperationalError, InterfaceError)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD"})
RETRY_PAUSE = 0.2  # seconds: a restarting server often accepts connections again by then
_MARK = "database_fault"  # also set by api.exceptions
_RETRIED = "database_fault_retried"


def mark_database_fault(request) -> None:
    """Note on ``request`` (Django's or DRF's) that a database fault ended its handling."""
    setattr(getattr(request, "_request", request), _MARK, True)


def _close_connections() -> None:
    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except DATABASE_FAULTS:  # a broken connection may fail to close; it is dropped anyway
            pass


class RetryIdempotentReads:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, _MARK, False) and request.method in IDEMPOTENT_METHODS:
            setattr(request, _MARK, False)
            setattr(request, _RETRIED, True)
            logger.warning("Database fault on %s %s: once more", request.method, request.path)
            _close_connections()
            time.sleep(RETRY_PAUSE)
            response = self.get_response(request)
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_FAULTS):
            return None
        if request.method in IDEMPOTENT_METHODS and not getattr(request, _RETRIED, False):
            mark_database_fault(request)
            # Stands for the first try, which is thrown away: not logged as a server error.
            return HttpResponse(status=503)
        return None  # the error handler answers 503 (config.errors)
