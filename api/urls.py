"""Routes of the REST API, under /api/v1/."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
# Codes may contain dots; a ".json" suffix route would read "HTX.1" as a format.
router.include_format_suffixes = False
router.register("areas", views.AreaViewSet, basename="area")
router.register("producers", views.ProducerViewSet, basename="producer")
router.register("products", views.ProductViewSet, basename="product")
router.register("buyers", views.BuyerViewSet, basename="buyer")
router.register("linkages", views.LinkageViewSet, basename="linkage")
router.register("sourcing-requests", views.SourcingRequestViewSet, basename="sourcing-request")


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("auth/token/", obtain_auth_token, name="auth-token"),
    path("import/", views.ImportView.as_view(), name="import"),
    path("export.xlsx", views.ExportWorkbookView.as_view(), name="export-workbook"),
    re_path(
        r"^export/(?P<table>[a-z_]+)\.(?P<fmt>csv|xlsx)$",
        views.ExportTableView.as_view(),
        name="export-table",
    ),
    path("", include(router.urls)),
    path("", include("api.allocation_urls")),
    path("", include("api.network_urls")),
    path("analytics/", include("analytics.urls")),
]
