"""Django's own error pages: JSON under /api/, and 503 (not 500) when a backend is out of reach.

DRF answers the errors of the API's views itself (``api.exceptions``); these handlers answer the
rest: a path under /api/ that no route matches, and a fault outside a DRF view. A client of the
API always reads JSON; a database or Redis out of reach is a 503 with ``Retry-After``, something
to retry, never a 500.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.views import defaults
from redis.exceptions import RedisError

__all__ = ["BACKEND_FAULTS", "RETRY_AFTER", "not_found", "server_error"]

BACKEND_FAULTS = (OperationalError, InterfaceError, RedisError)
RETRY_AFTER = "5"


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    fault = isinstance(sys.exc_info()[1], BACKEND_FAULTS)
    if _is_api(request):
        if fault:
            response = JsonResponse(
                {"detail": "A backend of the service cannot be reached just now; try again."},
                status=503,
            )
        else:
            response = JsonResponse({"detail": "Server error."}, status=500)
    else:
        response = defaults.server_error(request, template_name)
        if fault:
            response.status_code = 503
    if fault:
        response["Retry-After"] = RETRY_AFTER
    return response


def not_found(request, exception, template_name=defaults.ERROR_404_TEMPLATE_NAME):
    if _is_api(request):
        return JsonResponse({"detail": f"No endpoint at {request.path}."}, status=404)
    return defaults.page_not_found(request, exception, template_name)
