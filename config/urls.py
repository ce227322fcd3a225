"""Top-level routes: the admin, the API under /api/v1/, the planners' pages, the workspaces and
the events' printable schedules."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("", include("planner.urls")),
    path("", include("workspace.urls")),
    path("", include("events.urls")),
    path("", RedirectView.as_view(pattern_name="planner-index", permanent=False)),
]

# JSON under /api/ even where no API view answers; 503 when a backend is out of reach.
handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"
