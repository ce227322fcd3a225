"""Background jobs over HTTP: every queued run is answered the same way, and followed here.

A view that hands work to ``linkage.jobs`` answers ``job_accepted``: 202 with the job's id, its
status URL under ``/api/v1/jobs/<id>/`` and a ``Location`` header naming the same URL.
"""

import re

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from linkage.jobs import JOB_STATUSES, job_status

__all__ = ["JOB_ACCEPTED", "JobStatusView", "job_accepted"]

_JOB_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")

JOB_ACCEPTED = inline_serializer(
    "JobAccepted",
    {"job_id": serializers.CharField(), "status_url": serializers.URLField()},
)
_JOB_STATUS = inline_serializer(
    "JobStatus",
    {
        "id": serializers.CharField(),
        "status": serializers.ChoiceField(JOB_STATUSES),
        "result": serializers.JSONField(allow_null=True),
        "error": serializers.CharField(allow_null=True),
        "progress": inline_serializer(
            "JobProgress",
            {
                "done": serializers.IntegerField(),
                "total": serializers.IntegerField(),
                "stage": serializers.CharField(),
            },
            allow_null=True,
            help_text="How far a long job has got (an import: the tables read, checked, written).",
        ),
    },
)


def job_accepted(request, job_id: str) -> Response:
    """202 Accepted for a queued job: its id and where to follow it."""
    url = request.build_absolute_uri(reverse("job-status", args=[job_id]))
    return Response(
        {"job_id": job_id, "status_url": url},
        status=status.HTTP_202_ACCEPTED,
        headers={"Location": url},
    )


class JobStatusView(APIView):
    """A background job: queued, started (with its progress), finished (with its result) or failed
    (with the error)."""

    @extend_schema(
        responses={
            200: _JOB_STATUS,
            404: inline_serializer("JobNotFound", {"detail": serializers.CharField()}),
        }
    )
    def get(self, request, job_id: str):
        found = job_status(job_id) if _JOB_ID.match(job_id) else None
        if found is None:
            raise NotFound(_("No job %s: unknown, or its result has expired.") % job_id)
        return Response(found)
