"""Routes of the planners' analytics API, under /api/v1/analytics/."""

from django.urls import include, path

urlpatterns = [
    path("", include("analytics.coverage_views")),
    path("", include("analytics.statistics_views")),
]
