"""Top-level routes: the admin, the API under /api/v1/, and the planners' pages."""
from importlib.util import find_spec

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("", RedirectView.as_view(url="/api/v1/docs/", permanent=False)),
]
if find_spec("analytics.pages"):
    urlpatterns.insert(2, path("", include("analytics.pages")))
