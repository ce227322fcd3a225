"""Routes of the linkage graph's analytics and of the recommendations (included at /api/v1/)."""

from django.urls import path

from . import network_views as views

urlpatterns = [
    path(
        "network/paths/<str:product_code>/", views.SupplyPathsView.as_view(), name="network-paths"
    ),
    path("network/hubs/", views.HubsView.as_view(), name="network-hubs"),
    path("network/communities/", views.CommunitiesView.as_view(), name="network-communities"),
    path("network/dependence/", views.DependenceView.as_view(), name="network-dependence"),
    path(
        "network/critical-actors/",
        views.CriticalActorsView.as_view(),
        name="network-critical-actors",
    ),
    path(
        "network/unlinked-producers/",
        views.UnlinkedProducersView.as_view(),
        name="network-unlinked-producers",
    ),
    path(
        "recommendations/buyers/",
        views.BuyerRecommendationsView.as_view(),
        name="recommendations-buyers",
    ),
    path(
        "recommendations/suppliers/",
        views.SupplierRecommendationsView.as_view(),
        name="recommendations-suppliers",
    ),
]
