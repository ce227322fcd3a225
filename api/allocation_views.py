"""HTTP for the global allocation: run it (inline or as a job) and read a job's status."""

import re

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import BUYER_ROLE
from linkage.allocation import allocation_run, check_request_codes
from linkage.jobs import JOB_STATUSES, enqueue, job_status

__all__ = ["AllocationView", "JobStatusView"]

_JOB_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


class AllocationInputSerializer(serializers.Serializer):
    requests = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        allow_empty=False,
        help_text="Codes of open sourcing requests; every open request when left out.",
    )

    def get_fields(self):
        # "async" is a Python keyword, so it cannot be declared as a class attribute.
        fields = super().get_fields()
        fields["async"] = serializers.BooleanField(
            required=False,
            default=False,
            help_text="Run as a background job and answer 202 with the job's status URL.",
        )
        return fields

    def validate_requests(self, codes):
        return check_request_codes(codes)


_JOB_ACCEPTED = inline_serializer(
    "AllocationJobAccepted",
    {"job_id": serializers.CharField(), "status_url": serializers.URLField()},
)
_JOB_STATUS = inline_serializer(
    "JobStatus",
    {
        "id": serializers.CharField(),
        "status": serializers.ChoiceField(JOB_STATUSES),
        "result": serializers.JSONField(allow_null=True),
        "error": serializers.CharField(allow_null=True),
    },
)


class AllocationView(APIView):
    """Allocate monthly quantities from products to open sourcing requests (most served, then
    least quantity × km), respecting every capacity and reporting unmet demand with its reason.

    A chain is measured from its nearest store; a buyer with neither a location nor stores has no
    distance limit applied and no distance cost. With "async" the run is a background job (a
    django-rq worker when Redis is configured, in-process otherwise): 202 and its status URL.

    It writes nothing, but a national run is heavy: planners and buyer accounts (the sourcing
    teams) may run it.
    """

    write_roles = frozenset({BUYER_ROLE})

    @extend_schema(
        request=AllocationInputSerializer,
        responses={200: OpenApiTypes.OBJECT, 202: _JOB_ACCEPTED},
    )
    def post(self, request):
        data = request.data if request.data is not None else {}
        serializer = AllocationInputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        codes = serializer.validated_data.get("requests")
        if serializer.validated_data["async"]:
            job_id = enqueue("linkage.allocation.allocation_run", request_codes=codes)
            url = request.build_absolute_uri(reverse("job-status", args=[job_id]))
            return Response({"job_id": job_id, "status_url": url}, status=status.HTTP_202_ACCEPTED)
        return Response(allocation_run(request_codes=codes))


class JobStatusView(APIView):
    """A background job: queued, started, finished (with its result) or failed (with the error)."""

    @extend_schema(responses={200: _JOB_STATUS})
    def get(self, request, job_id: str):
        found = job_status(job_id) if _JOB_ID.match(job_id) else None
        if found is None:
            raise NotFound(f"No job {job_id!r}: unknown, or its result has expired.")
        return Response(found)
