"""HTTP views of the recommendations: buyers for a producer or product, suppliers for a buyer.

Each view checks its query parameters (400 naming the parameter), takes the warm recommender
from ``linkage.graph_cache`` and calls one function of ``linkage.recommend``.
"""

import datetime as dt

from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from linkage import graph_cache, readiness
from linkage.models import BuyerRequirements, Credential, Producer, SourcingRequest
from linkage.recommend import recommend_buyers, recommend_suppliers

from .permissions import account_of
from .queries import BuyersQuery, SuppliersQuery, read_query

__all__ = ["BuyerRecommendationsView", "SupplierRecommendationsView"]


def _schema(query, summary):
    return extend_schema(
        parameters=[query],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
        summary=summary,
    )


class BuyerRecommendationsView(APIView):
    """Ranked buyers for a producer or one of its products, each with the parts of its score."""

    @_schema(BuyersQuery, "Buyers for a producer or a product")
    def get(self, request):
        params = read_query(BuyersQuery, request)
        recommender = graph_cache.get_recommender()
        producer, product = params.get("producer"), params.get("product")
        if producer is not None and producer not in recommender.index.p_pos:
            raise Http404(_("No producer has the code %s.") % producer)
        if product is not None and product not in recommender.index.item_pos:
            raise Http404(_("No product has the code %s.") % product)
        result = recommend_buyers(
            recommender,
            producer=producer,
            product=product,
            k=params["k"],
            weights=params["weights"],
            include_linked=params["include_linked"],
            max_distance_km=params.get("max_distance_km"),
            as_of=params.get("as_of") or timezone.localdate(),
            language=get_language(),
        )
        _add_readiness(request, result, recommender.snapshot, as_of=result["as_of"])
        return Response({**result, "registry": graph_cache.stamp_of(recommender.snapshot)})


def _add_readiness(request, result: dict, snapshot, *, as_of: str) -> None:
    """Each outlet's ``readiness_gaps``: what it (or its chain) requires that the producer does
    not meet (``linkage.readiness``), in the request's language; null for readers who may not
    see the producer's credentials. Two queries for the listed outlets, whatever their number.
    """
    rows = result["results"]
    if not rows:
        return
    account = account_of(request)
    producer = None
    # Anonymous readers and accounts that own nothing see no credentials: no query for them.
    if account.is_planner or account.buyer_ids or account.producer_ids:
        producer = Producer.objects.filter(code=result["producer"]["code"]).only("pk").first()
    if producer is None or not account.sees_contacts_of_producer(producer):
        for row in rows:
            row["readiness_gaps"] = None
        return
    codes = {row["buyer"]["code"] for row in rows}
    codes |= {row["buyer"]["chain"]["code"] for row in rows if row["buyer"].get("chain")}
    declared = {
        row["buyer__code"]: row
        for row in BuyerRequirements.objects.filter(buyer__code__in=codes).values(
            "buyer__code", "documents", "min_volume_per_month"
        )
    }
    held = dict(Credential.objects.filter(producer=producer).values_list("kind", "expires_on"))
    day = dt.date.fromisoformat(as_of)
    language = get_language()
    for row in rows:
        chain = row["buyer"].get("chain")
        found, _source = readiness.effective_requirements(
            declared.get(row["buyer"]["code"]), declared.get(chain["code"]) if chain else None
        )
        wanted = None
        if found is not None:
            wanted = {
                "documents": [c for c in found["documents"].split(",") if c],
                "min_volume_per_month": found["min_volume_per_month"],
            }
        capacity = snapshot.product_table.get(row["product"], {}).get("capacity_per_month")
        gaps = readiness.readiness_gaps(wanted, held, capacity, day)
        row["readiness_gaps"] = readiness.with_text(gaps, language)


class SupplierRecommendationsView(APIView):
    """Ranked products with their producers for a buyer or a sourcing request."""

    @_schema(SuppliersQuery, "Suppliers for a buyer or a sourcing request")
    def get(self, request):
        params = read_query(SuppliersQuery, request)
        recommender = graph_cache.get_recommender()
        wanted = {
            name: params[name]
            for name in ("category", "min_stars", "quantity_per_month", "max_distance_km")
            if name in params
        }
        buyer = params.get("buyer")
        if "request" in params:
            found = (
                SourcingRequest.objects.filter(code=params["request"])
                .values(
                    "category", "min_stars", "quantity_per_month", "max_distance_km", "buyer__code"
                )
                .first()
            )
            if found is None:
                raise Http404(_("No sourcing request has the code %s.") % params["request"])
            buyer = found.pop("buyer__code")
            # Parameters given with the request override what it states.
            wanted = {**found, **wanted}
        node = recommender.snapshot.nodes.get(buyer) if buyer is not None else None
        if node is None or node["type"] != "buyer":
            raise Http404(_("No buyer has the code %s.") % buyer)
        result = recommend_suppliers(
            recommender,
            buyer=buyer,
            k=params["k"],
            weights=params["weights"],
            include_linked=params["include_linked"],
            as_of=params.get("as_of") or timezone.localdate(),
            language=get_language(),
            **wanted,
        )
        result["request"]["code"] = params.get("request")
        return Response({**result, "registry": graph_cache.stamp_of(recommender.snapshot)})
