"""Every route of the REST API, under /api/v1/: one table, the views imported from their modules."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from . import (
    allocation_views,
    analytics_views,
    auth_views,
    event_views,
    job_views,
    network_views,
    notification_views,
    proposal_views,
    recommendation_views,
    registry_views,
    workflow_analytics_views,
)

router = DefaultRouter()
# Codes may contain dots; a ".json" suffix route would read "HTX.1" as a format.
router.include_format_suffixes = False
router.register("areas", registry_views.AreaViewSet, basename="area")
router.register("producers", registry_views.ProducerViewSet, basename="producer")
router.register("products", registry_views.ProductViewSet, basename="product")
router.register("buyers", registry_views.BuyerViewSet, basename="buyer")
router.register("linkages", registry_views.LinkageViewSet, basename="linkage")
router.register("proposals", proposal_views.ProposalViewSet, basename="proposal")
router.register(
    "sourcing-requests", registry_views.SourcingRequestViewSet, basename="sourcing-request"
)
router.register("webhooks", notification_views.WebhookViewSet, basename="webhook")
router.register("events", event_views.EventViewSet, basename="event")

registry = [
    path("import/", registry_views.ImportView.as_view(), name="import"),
    path("export.xlsx", registry_views.ExportWorkbookView.as_view(), name="export-workbook"),
    re_path(
        r"^export/(?P<table>[a-z_]+)\.(?P<format>csv|xlsx)$",
        registry_views.ExportTableView.as_view(),
        name="export-table",
    ),
    path("", include(router.urls)),
]

network = [
    path(
        "network/paths/<str:product_code>/",
        network_views.SupplyPathsView.as_view(),
        name="network-paths",
    ),
    path("network/hubs/", network_views.HubsView.as_view(), name="network-hubs"),
    path(
        "network/communities/",
        network_views.CommunitiesView.as_view(),
        name="network-communities",
    ),
    path(
        "network/dependence/",
        network_views.DependenceView.as_view(),
        name="network-dependence",
    ),
    path(
        "network/critical-actors/",
        network_views.CriticalActorsView.as_view(),
        name="network-critical-actors",
    ),
    path(
        "network/unlinked-producers/",
        network_views.UnlinkedProducersView.as_view(),
        name="network-unlinked-producers",
    ),
]

recommendations = [
    path(
        "recommendations/buyers/",
        recommendation_views.BuyerRecommendationsView.as_view(),
        name="recommendations-buyers",
    ),
    path(
        "recommendations/suppliers/",
        recommendation_views.SupplierRecommendationsView.as_view(),
        name="recommendations-suppliers",
    ),
]

allocation_and_jobs = [
    path("allocations/", allocation_views.AllocationView.as_view(), name="allocation-run"),
    path("jobs/<str:job_id>/", job_views.JobStatusView.as_view(), name="job-status"),
]

notifications = [
    path(
        "notifications/",
        notification_views.NotificationListView.as_view(),
        name="notification-list",
    ),
    path(
        "notifications/read-all/",
        notification_views.NotificationReadAllView.as_view(),
        name="notification-read-all",
    ),
    path(
        "notifications/<int:pk>/read/",
        notification_views.NotificationReadView.as_view(),
        name="notification-read",
    ),
]

analytics = [
    path("coverage/", analytics_views.CoverageView.as_view(), name="analytics-coverage"),
    path(
        "coverage/gaps/",
        analytics_views.CoverageGapsView.as_view(),
        name="analytics-coverage-gaps",
    ),
    path("siting/", analytics_views.SitingView.as_view(), name="analytics-siting"),
    path(
        "readiness/", workflow_analytics_views.ReadinessView.as_view(), name="analytics-readiness"
    ),
    path(
        "statistics/funnel/",
        workflow_analytics_views.FunnelView.as_view(),
        name="statistics-funnel",
    ),
    *(
        path(f"statistics/{name}/", view.as_view(), name=f"statistics-{name}")
        for name, view in [
            ("summary", analytics_views.SummaryView),
            ("by-year", analytics_views.ByYearView),
            ("by-group", analytics_views.ByGroupView),
            ("by-stars", analytics_views.ByStarsView),
            ("by-area", analytics_views.ByAreaView),
            ("by-producer-kind", analytics_views.ByProducerKindView),
            ("expiring", analytics_views.ExpiringView),
            ("targets", analytics_views.TargetsView),
        ]
    ),
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "redoc/",
        # ReDoc writes inline styles as it draws and searches in a worker made from a blob: its
        # page alone allows those (never inline scripts without the nonce).
        csp_replace({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(url_name="schema")
        ),
        name="redoc",
    ),
    path("auth/login/", auth_views.LoginView.as_view(), name="auth-login"),
    # The login's former address, kept for existing clients: the same view.
    path("auth/token/", auth_views.LoginView.as_view(), name="auth-token"),
    path("auth/logout/", auth_views.LogoutView.as_view(), name="auth-logout"),
    path("auth/logout-all/", auth_views.LogoutAllView.as_view(), name="auth-logout-all"),
    *registry,
    *network,
    *recommendations,
    *allocation_and_jobs,
    *notifications,
    path("analytics/", include(analytics)),
]
