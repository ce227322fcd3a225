"""Routes of the global allocation and of background jobs; included under /api/v1/."""

from django.urls import path

from .allocation_views import AllocationView, JobStatusView

urlpatterns = [
    path("allocations/", AllocationView.as_view(), name="allocation-run"),
    path("jobs/<str:job_id>/", JobStatusView.as_view(), name="job-status"),
]
