"""Routes of the planners' analytics API, under /api/v1/analytics/."""
from importlib.util import find_spec

from django.urls import include, path

urlpatterns = [
    path("", include(module))
    for module in ("analytics.coverage_views", "analytics.statistics_views")
    if find_spec(module)
]
