"""HTTP views of the match workflow: proposals, their transitions, and proposals made from the
lines of an allocation. Every write goes through ``linkage.services``.

Signed-in accounts only: each sees the proposals of its own side (those of its producers'
products, those to its buyers and its chains' stores); planners see all. Another account's
proposal answers 404.
"""

from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from linkage import services
from linkage.models import Proposal

from . import filters
from . import serializers as s
from .permissions import account_of

__all__ = ["ProposalViewSet"]

_REFUSED = {
    400: OpenApiResponse(description="A field and the reason (an illegal transition names `to`)."),
    403: OpenApiResponse(description="The step belongs to the other party."),
}


class ProposalViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Proposals of a product to a buyer, from proposed to trading (README, "Proposals")."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.ProposalSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = filters.ProposalFilter
    ordering_fields = ["id", "proposed_on", "updated_at", "state"]

    def get_queryset(self):
        queryset = Proposal.objects.select_related(
            "product__producer", "buyer", "sourcing_request"
        ).order_by("-proposed_on", "-id")
        if getattr(self, "swagger_fake_view", False):
            return queryset
        account = account_of(self.request)
        if account.is_planner:
            return queryset
        return queryset.filter(
            Q(product__producer_id__in=account.producer_ids) | account.buyer_q("buyer__")
        )

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.ProposalDetailSerializer
        return super().get_serializer_class()

    def retrieve(self, request, *args, **kwargs):
        proposal = self.get_object()
        proposal = self.get_queryset().prefetch_related("events").get(pk=proposal.pk)
        return Response(s.ProposalDetailSerializer(proposal).data)

    @extend_schema(
        request=s.ProposalCreateSerializer,
        responses={201: s.ProposalDetailSerializer, **_REFUSED},
        summary="Propose a product to a buyer",
    )
    def create(self, request, *args, **kwargs):
        body = s.ProposalCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        proposal = services.proposal_create(actor=account_of(request), **body.validated_data)
        return Response(
            s.ProposalDetailSerializer(self._fresh(proposal)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=s.TransitionSerializer,
        responses={200: s.ProposalDetailSerializer, **_REFUSED},
        summary="Move a proposal to its next state",
    )
    @action(detail=True, methods=["post"], url_path="transition")
    def transition(self, request, pk=None):
        proposal = self.get_object()
        body = s.TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        proposal = services.proposal_transition(
            actor=account_of(request), proposal=proposal, **body.validated_data
        )
        return Response(s.ProposalDetailSerializer(self._fresh(proposal)).data)

    @extend_schema(
        request=s.AllocationLinesSerializer,
        responses={201: s.ProposalSerializer(many=True), **_REFUSED},
        summary="Accept allocation lines: a proposal from the buyer for each",
    )
    @action(detail=False, methods=["post"], url_path="from-allocation")
    def from_allocation(self, request):
        body = s.AllocationLinesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        made = services.proposals_from_allocation(
            actor=account_of(request), lines=body.validated_data["lines"]
        )
        fresh = self.get_queryset().filter(pk__in=[p.pk for p in made]).order_by("id")
        return Response(s.ProposalSerializer(fresh, many=True).data, status=status.HTTP_201_CREATED)

    @staticmethod
    def _fresh(proposal):
        return (
            Proposal.objects.select_related("product__producer", "buyer", "sourcing_request")
            .prefetch_related("events")
            .get(pk=proposal.pk)
        )
