"""HTTP views of the recommendations: buyers for a producer or product, suppliers for a buyer.

Each view checks its query parameters (400 naming the parameter), takes the warm recommender
from ``linkage.graph_cache`` and calls one function of ``linkage.recommend``.
"""

from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from linkage import graph_cache, selectors
from linkage.models import SourcingRequest
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
        # Readiness gaps: what each outlet requires that the producer does not meet.
        selectors.add_readiness_gaps(
            account_of(request), result, recommender.snapshot, language=get_language()
        )
        return Response({**result, "registry": graph_cache.stamp_of(recommender.snapshot)})


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
        priced_out: frozenset[str] = frozenset()
        if "request" in params:
            found = (
                SourcingRequest.objects.filter(code=params["request"])
                .values(
                    "category",
                    "min_stars",
                    "quantity_per_month",
                    "max_distance_km",
                    "buyer__code",
                    "price_max_vnd",
                )
                .first()
            )
            if found is None:
                raise Http404(_("No sourcing request has the code %s.") % params["request"])
            buyer = found.pop("buyer__code")
            priced_out = selectors.priced_above(found.pop("price_max_vnd"))
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
            priced_out=priced_out,
            **wanted,
        )
        result["request"]["code"] = params.get("request")
        return Response({**result, "registry": graph_cache.stamp_of(recommender.snapshot)})
