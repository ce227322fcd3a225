"""Routes of the workspaces, under /workspace/, and signing in and out."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path(
        "workspace/login/",
        auth_views.LoginView.as_view(template_name="workspace/login.html"),
        name="workspace-login",
    ),
    path("workspace/logout/", auth_views.LogoutView.as_view(), name="workspace-logout"),
    path("workspace/", views.home, name="workspace-home"),
    path("workspace/propose/", views.propose, name="workspace-propose"),
    path(
        "workspace/proposals/<int:pk>/move/",
        views.proposal_move,
        name="workspace-proposal-move",
    ),
    path("workspace/proposals/", views.all_proposals, name="workspace-proposals"),
    path("workspace/requests/new/", views.request_edit, name="workspace-request-new"),
    path("workspace/requests/<int:pk>/", views.request_edit, name="workspace-request-edit"),
    path(
        "workspace/requests/<int:pk>/close/",
        views.request_close,
        name="workspace-request-close",
    ),
    path("workspace/inbox/", views.inbox, name="workspace-inbox"),
    path("workspace/inbox/<int:pk>/read/", views.inbox_read, name="workspace-inbox-read"),
    path("workspace/inbox/read-all/", views.inbox_read_all, name="workspace-inbox-read-all"),
    path("workspace/allocation/", views.allocation, name="workspace-allocation"),
    path(
        "workspace/allocation/accept/",
        views.allocation_accept,
        name="workspace-allocation-accept",
    ),
    path("workspace/webhooks/", views.webhooks, name="workspace-webhooks"),
    path(
        "workspace/webhooks/<int:pk>/delete/",
        views.webhook_delete,
        name="workspace-webhook-delete",
    ),
]
