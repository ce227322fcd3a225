"""HTTP views of the linkage graph's analytics and of the recommendations.

Each view checks its query parameters (400 naming the parameter), takes the warm graph or index
from ``linkage.graph_cache`` and calls one function of ``linkage.graph`` or ``linkage.recommend``.
Whole-graph analyses are cached under the graph's version, so they are computed once per change.
"""

from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from linkage import graph as linkage_graph
from linkage import graph_cache, jobs
from linkage.choices import Category, ProducerKind
from linkage.models import SourcingRequest
from linkage.recommend import PARTS, parse_weights, recommend_buyers, recommend_suppliers

__all__ = [
    "BuyerRecommendationsView",
    "CommunitiesView",
    "CriticalActorsView",
    "DependenceView",
    "HubsView",
    "SupplierRecommendationsView",
    "SupplyPathsView",
    "UnlinkedProducersView",
]

ANALYSIS_TIMEOUT = graph_cache.ANALYSIS_TIMEOUT
# Past this many actors (the national registry has about 220,000) Louvain communities and
# betweenness take tens of seconds: with a job queue they go to a worker.
HEAVY_ANALYSIS_NODES = 50_000


def _query(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _cached(name: str, params: dict, compute):
    """``compute(graph)``, cached under the graph's version and the parameters."""
    # The version is read first: a write after it bumps the version, so a result computed on a
    # graph that misses that write is never stored under the newer version.
    version = graph_cache.current_version()
    graph = graph_cache.get_graph()
    if version is None:
        return compute(graph)
    key = graph_cache.analysis_key(name, version, params)
    found = cache.get(key)
    if found is None:
        found = compute(graph)
        cache.set(key, found, timeout=ANALYSIS_TIMEOUT)
    return found


def _background_available() -> bool:
    return bool(settings.REDIS_URL)


def _analysis(request, name: str, params: dict, *, heavy: bool = True) -> Response:
    """A slow whole-graph analysis: from the cache, or computed now on a small graph, or, on a
    large graph with a job queue, sent to a worker with 202 and the job's status URL (the same
    request answers 200 from the cache once the job has finished)."""
    large = (
        heavy and _background_available() and (len(graph_cache.get_graph()) > HEAVY_ANALYSIS_NODES)
    )
    version = graph_cache.current_version() if large else None
    if version is not None:
        key = graph_cache.analysis_key(name, version, params)
        found = cache.get(key)
        if found is not None:
            return Response(found)
        job_id = cache.get(key + ":job")
        if job_id is None:
            job_id = jobs.enqueue(
                "linkage.graph_cache.run_analysis", name=name, params=params, key=key
            )
            cache.set(key + ":job", job_id, timeout=ANALYSIS_TIMEOUT)
        status_url = request.build_absolute_uri(reverse("job-status", args=[job_id]))
        return Response({"job_id": job_id, "status_url": status_url}, status=202)
    function = getattr(linkage_graph, name)
    return Response(_cached(name, params, lambda g: function(g, **params)))


def _page(rows: list, limit: int, offset: int) -> dict:
    return {
        "count": len(rows),
        "limit": limit,
        "offset": offset,
        "results": rows[offset : offset + limit],
    }


class PageQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=100)
    offset = serializers.IntegerField(min_value=0, default=0)


class PathsQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=200)


class HubsQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=100, default=10)
    measure = serializers.ChoiceField(choices=["degree", "betweenness"], default="degree")


class CommunitiesQuery(serializers.Serializer):
    min_size = serializers.IntegerField(min_value=1, max_value=10000, default=3)


class DependenceQuery(PageQuery):
    min_share = serializers.FloatField(min_value=0, max_value=1, default=0.0)
    min_buyers = serializers.IntegerField(min_value=1, default=1)


class CriticalQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=50)
    all_producers = serializers.BooleanField(
        default=False, help_text="count every producer cut off, not only households"
    )


class UnlinkedQuery(PageQuery):
    direct = serializers.BooleanField(
        default=False, help_text="a producer selling only through others counts as unlinked"
    )
    kind = serializers.ChoiceField(choices=ProducerKind.choices, required=False)


def _weight(part):
    return serializers.FloatField(
        min_value=0, max_value=1, required=False, help_text=f"weight of the {part} part, 0 to 1"
    )


class WeightsQuery(serializers.Serializer):
    w_learned = _weight("learned")
    w_category = _weight("category")
    w_distance = _weight("distance")
    w_capacity = _weight("capacity")
    w_stars = _weight("stars")
    w_graph = _weight("graph")
    k = serializers.IntegerField(
        min_value=1, max_value=100, default=10, help_text="how many outlets (or products) to list"
    )
    include_linked = serializers.BooleanField(default=False)
    max_distance_km = serializers.FloatField(min_value=0, max_value=5000, required=False)
    as_of = serializers.DateField(
        required=False, help_text="date the ratings are checked on (default today)"
    )

    def validate(self, attrs):
        raw = {part: attrs[f"w_{part}"] for part in PARTS if f"w_{part}" in attrs}
        try:
            attrs["weights"] = parse_weights(raw)
        except ValueError as exc:
            part, reason = exc.args
            raise ValidationError({f"w_{part}": [reason]}) from None
        return attrs


class BuyersQuery(WeightsQuery):
    producer = serializers.CharField(required=False)
    product = serializers.CharField(required=False)

    def validate(self, attrs):
        if ("producer" in attrs) == ("product" in attrs):
            raise ValidationError({"producer": ["give exactly one of producer or product"]})
        return super().validate(attrs)


class SuppliersQuery(WeightsQuery):
    buyer = serializers.CharField(required=False)
    request = serializers.CharField(required=False, help_text="code of a sourcing request")
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    min_stars = serializers.IntegerField(min_value=1, max_value=5, required=False)
    quantity_per_month = serializers.FloatField(min_value=0, required=False)

    def validate(self, attrs):
        if ("buyer" in attrs) == ("request" in attrs):
            raise ValidationError({"buyer": ["give exactly one of buyer or request"]})
        return super().validate(attrs)


def _schema(query, summary):
    return extend_schema(parameters=[query], responses=OpenApiTypes.OBJECT, summary=summary)


class SupplyPathsView(APIView):
    """Supply-chain paths of a product: upstream suppliers → its producer → buyers → chains."""

    @_schema(PathsQuery, "Supply-chain paths of a product")
    def get(self, request, product_code):
        params = _query(PathsQuery, request)
        graph = graph_cache.get_graph()
        if product_code not in graph.graph["products"]:
            raise Http404(f"No product with code {product_code}.")
        return Response(linkage_graph.supply_paths(graph, product_code, limit=params["limit"]))


class HubsView(APIView):
    """The most central actors of each kind."""

    @_schema(HubsQuery, "Hubs by kind")
    def get(self, request):
        params = _query(HubsQuery, request)
        return _analysis(request, "hubs", params, heavy=params["measure"] == "betweenness")


class CommunitiesView(APIView):
    """Groups of actors more tied to each other than to the rest."""

    @_schema(CommunitiesQuery, "Communities of the linkage graph")
    def get(self, request):
        params = _query(CommunitiesQuery, request)
        return _analysis(request, "communities", params)


class DependenceView(APIView):
    """Producers that depend on a single buyer: largest buyer's share and Herfindahl index."""

    @_schema(DependenceQuery, "Dependence of producers on their largest buyer")
    def get(self, request):
        params = _query(DependenceQuery, request)
        found = _cached(
            "dependence",
            {"min_share": params["min_share"], "min_buyers": params["min_buyers"]},
            lambda g: linkage_graph.dependence(
                g, min_share=params["min_share"], min_buyers=params["min_buyers"]
            ),
        )
        return Response(_page(found, params["limit"], params["offset"]))


class CriticalActorsView(APIView):
    """Actors whose loss cuts households off from every buyer."""

    @_schema(CriticalQuery, "Actors whose loss cuts households off from every buyer")
    def get(self, request):
        params = _query(CriticalQuery, request)
        found = _cached(
            "critical",
            params,
            lambda g: linkage_graph.critical_actors(
                g, households_only=not params["all_producers"], limit=params["limit"]
            ),
        )
        return Response({"count": len(found), "results": found})


class UnlinkedProducersView(APIView):
    """Producers with no buyer at all."""

    @_schema(UnlinkedQuery, "Producers with no buyer")
    def get(self, request):
        params = _query(UnlinkedQuery, request)
        found = _cached(
            "unlinked",
            {"direct": params["direct"]},
            lambda g: linkage_graph.unlinked_producers(g, direct=params["direct"]),
        )
        if "kind" in params:
            found = [row for row in found if row["kind"] == params["kind"]]
        return Response(_page(found, params["limit"], params["offset"]))


class BuyerRecommendationsView(APIView):
    """Ranked buyers for a producer or one of its products, each with the parts of its score."""

    @_schema(BuyersQuery, "Buyers for a producer or a product")
    def get(self, request):
        params = _query(BuyersQuery, request)
        recommender = graph_cache.get_recommender()
        producer, product = params.get("producer"), params.get("product")
        if producer is not None and producer not in recommender.index.p_pos:
            raise Http404(f"No producer with code {producer}.")
        if product is not None and product not in recommender.index.item_pos:
            raise Http404(f"No product with code {product}.")
        return Response(
            recommend_buyers(
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
        )


class SupplierRecommendationsView(APIView):
    """Ranked products with their producers for a buyer or a sourcing request."""

    @_schema(SuppliersQuery, "Suppliers for a buyer or a sourcing request")
    def get(self, request):
        params = _query(SuppliersQuery, request)
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
                raise Http404(f"No sourcing request with code {params['request']}.")
            buyer = found.pop("buyer__code")
            # Parameters given with the request override what it states.
            wanted = {**found, **wanted}
        node = recommender.graph.nodes.get(buyer) if buyer is not None else None
        if node is None or node["type"] != "buyer":
            raise Http404(f"No buyer with code {buyer}.")
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
        return Response(result)
