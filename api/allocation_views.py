"""HTTP for the global allocation: run it in the request or as a job (``linkage.jobs``' rule)."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from linkage.allocation import allocation_run
from linkage.jobs import enqueue, runs_as_job
from linkage.models import SourcingRequest

from .job_views import JOB_ACCEPTED, job_accepted
from .permissions import BUYER_ROLE
from .queries import AllocationInput

__all__ = ["AllocationView"]

# Past this many open requests an allocation takes seconds (the national set has 1,000): with a
# worker queue it runs there.
INLINE_REQUESTS = 200


class AllocationView(APIView):
    """Allocate monthly quantities from products to open sourcing requests (most served, then
    least quantity × km), respecting every capacity and reporting unmet demand with its reason.

    A chain is measured from its nearest store; a buyer with neither a location nor stores has no
    distance limit applied and no distance cost. ``background`` decides where it runs: ``auto``
    sends runs over many requests to the worker queue when one is configured, ``always`` makes
    it a job (202 and its status URL), ``never`` runs it in this request.

    It writes nothing, but a national run is heavy: planners and buyer accounts (the sourcing
    teams) may run it.
    """

    write_roles = frozenset({BUYER_ROLE})

    @extend_schema(
        request=AllocationInput,
        responses={200: OpenApiTypes.OBJECT, 202: JOB_ACCEPTED, 400: OpenApiTypes.OBJECT},
    )
    def post(self, request):
        data = request.data if request.data is not None else {}
        serializer = AllocationInput(data=data)
        serializer.is_valid(raise_exception=True)
        codes = serializer.validated_data.get("requests")
        size = (
            len(codes)
            if codes is not None
            else SourcingRequest.objects.filter(
                SourcingRequest.matchable_q(timezone.localdate())
            ).count()
        )
        if runs_as_job(
            size=size,
            inline_limit=INLINE_REQUESTS,
            background=serializer.validated_data["background"],
        ):
            return job_accepted(
                request, enqueue("linkage.allocation.allocation_run", request_codes=codes)
            )
        return Response(allocation_run(request_codes=codes))
