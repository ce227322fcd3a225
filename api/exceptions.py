"""Errors as JSON with the field and the reason, never an HTML 500 page for bad input, and a
backend out of reach (the database restarting, Redis or the job queue down) as 503 JSON with
``Retry-After``.
"""

import math

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from redis.exceptions import RedisError
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from linkage.services import WriteForbidden
from linkage.text import some_of

__all__ = ["RETRY_AFTER", "LoginLockedOut", "django_error_detail", "exception_handler"]

RETRY_AFTER = "5"  # seconds: a restarting database or Redis is usually back by then


class LoginLockedOut(exceptions.Throttled):
    """Too many failed sign-ins for the account or from the address (django-axes): 429 with the
    reason and Retry-After, whatever the password."""

    default_code = "locked_out"

    def __init__(self, wait=None, detail=None, code=None):
        # Throttled would append its own English "Expected available in …" to the reason.
        self.wait = math.ceil(wait) if wait is not None else None
        exceptions.APIException.__init__(self, detail or _lockout_reason(wait), code)


def _lockout_reason(wait) -> str:
    reason = _("Too many failed sign-ins for this account or from this address; sign-in is locked.")
    if wait is None:
        return reason
    seconds = math.ceil(wait)
    again = ngettext("Try again in %d second.", "Try again in %d seconds.", seconds) % seconds
    return f"{reason} {again}"


def django_error_detail(exc: DjangoValidationError) -> dict:
    """A Django ValidationError as a DRF error body: field → messages, else "non_field_errors"."""
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": exc.messages}
    return {
        ("non_field_errors" if field == "__all__" else field): messages
        for field, messages in exc.message_dict.items()
    }


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = exceptions.APIException(str(exc))
        exc.status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    elif isinstance(exc, SuspiciousOperation):
        # Too many fields, a malformed multipart body: the request's fault, answered in JSON
        # rather than Django's HTML 400 page.
        exc = exceptions.ValidationError({"non_field_errors": [str(exc)]})
    response = _error_response(exc, context)
    request = context.get("request")
    if response is None:
        return None
    if response.status_code == status.HTTP_400_BAD_REQUEST:
        response.data = _field_errors(response.data)
    if request is not None:
        # An error is JSON even where a CSV, XLSX or GeoJSON file was asked for (or a format
        # that does not exist): a client reads the field and the reason.
        renderer = getattr(request, "accepted_renderer", None)
        if renderer is None or renderer.format not in ("json", "api"):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
    return response


def _reasons(detail, where: str = "") -> list[str]:
    """Every reason in ``detail`` as flat text; the place of a nested one (an item of a list,
    a key of an object) goes before it."""
    if isinstance(detail, dict):
        return [
            reason
            for key, value in detail.items()
            for reason in _reasons(value, f"{where}{key}: " if key != "non_field_errors" else where)
        ]
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [f"{where}{item}" for item in detail]
        return [
            reason
            for index, item in enumerate(detail)
            for reason in _reasons(item, f"{where}{index}: ")
        ]
    return [f"{where}{detail}"]


def _field_errors(data) -> dict[str, list[str]]:
    """One shape for every 400: each field (``non_field_errors`` for the body as a whole) with a
    flat list of its reasons, never a nested object (a list's items, a parse error's detail)."""
    if isinstance(data, dict):
        named = {"detail": "non_field_errors"}
        return {named.get(field, field): _reasons(value) for field, value in data.items()}
    return {"non_field_errors": _reasons(data)}


def _still_referenced(exc: ProtectedError | RestrictedError) -> str:
    """What still refers to a record that cannot be deleted, in words: "3 products (SP1, SP2,
    SP3)" for each kind of record, the first few codes named."""
    by_kind: dict[str, list[str]] = {}
    for record in (
        exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
    ):
        label = str(record._meta.verbose_name_plural)
        by_kind.setdefault(label, []).append(str(getattr(record, "code", None) or record.pk))
    kinds = "; ".join(
        f"{len(codes)} {label} ({some_of(codes)})" for label, codes in by_kind.items()
    )
    return _("It cannot be deleted while other records refer to it: %s.") % kinds


def _error_response(exc, context):
    """DRF's handler, plus Django validation errors (among them the service layer's
    ``WriteRefused``), database rule violations and values the database refuses as 400, a field
    the account may not write at all (``WriteForbidden``) as 403 naming it, and a database out of
    reach as 503.

    The service layer checks the model rules first; an IntegrityError still reaching here is a
    race (two writes of the same code at once), which is the client's to retry, not a server fault.
    """
    if isinstance(exc, WriteForbidden):
        return Response(django_error_detail(exc), status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, ProtectedError | RestrictedError):
        return Response(
            {"non_field_errors": [_still_referenced(exc)]}, status=status.HTTP_409_CONFLICT
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_error_detail(exc))
    elif isinstance(exc, IntegrityError):
        return Response(
            {"non_field_errors": [f"The change breaks a rule of the registry: {exc}"]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    elif isinstance(exc, DataError):
        # A value the database cannot hold (PostgreSQL: a NUL character, a number out of range)
        # that reached a query unchecked, e.g. in a header: the request's fault, not the server's.
        return Response(
            {"non_field_errors": [f"A value cannot be stored or looked up: {exc}"]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    elif isinstance(exc, OperationalError | InterfaceError):
        # The database restarting or out of reach: the client may retry, and reads JSON. A GET
        # or HEAD is tried once more on a new connection by config.middleware, which reads this
        # mark on Django's request (a write is never repeated).
        request = context.get("request")
        if request is not None:
            getattr(request, "_request", request).database_fault = True
        return _unavailable("The database cannot be reached just now; try again in a moment.")
    elif isinstance(exc, RedisError):
        # Redis down (rq raises redis' own errors): the job queue and the jobs' states are out of
        # reach until it is back.
        return _unavailable(
            "The job queue cannot be reached just now; try again in a moment "
            "(or ask with background=never to run in the request)."
        )
    return drf_exception_handler(exc, context)


def _unavailable(reason: str) -> Response:
    return Response(
        {"detail": reason},
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": RETRY_AFTER},
    )
