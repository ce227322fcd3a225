"""HTTP views of the linkage graph's analytics, under /api/v1/network/.

Each view checks its query parameters (400 naming the parameter), takes the warm graph or index
from ``linkage.graph_cache`` and calls one function of ``linkage.graph`` or ``linkage.recommend``.
Whole-graph analyses are cached under the graph's version, so they are computed once per change.
"""

from django.core.cache import cache
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from linkage import graph as linkage_graph
from linkage import graph_cache, jobs

from .job_views import JOB_ACCEPTED, job_accepted
from .queries import (
    CommunitiesQuery,
    CriticalQuery,
    DependenceQuery,
    HubsQuery,
    PathsQuery,
    UnlinkedQuery,
    read_query,
)

__all__ = [
    "CommunitiesView",
    "CriticalActorsView",
    "DependenceView",
    "HubsView",
    "SupplyPathsView",
    "UnlinkedProducersView",
]

ANALYSIS_TIMEOUT = graph_cache.ANALYSIS_TIMEOUT
# Past this many actors (the national registry has about 220,000) Louvain communities and
# betweenness take tens of seconds: with a job queue they go to a worker.
HEAVY_ANALYSIS_NODES = 50_000


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


def _analysis(request, name: str, params: dict, *, heavy: bool = True) -> Response:
    """A slow whole-graph analysis: from the cache, or computed now, or sent to a worker by
    ``linkage.jobs``' rule (a large graph with a queue, or ``background=always``) with 202 and
    the job's status URL; the same request answers 200 from the cache once the job has finished.
    """
    params = dict(params)
    background = params.pop("background", "auto") if heavy else "never"
    queued = background != "never" and jobs.runs_as_job(
        size=len(graph_cache.get_graph()),
        inline_limit=HEAVY_ANALYSIS_NODES,
        background=background,
    )
    version = graph_cache.current_version() if queued else None
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
        return job_accepted(request, job_id)
    function = getattr(linkage_graph, name)
    return Response(_cached(name, params, lambda g: function(g, **params)))


def _page(rows: list, limit: int, offset: int) -> dict:
    return {
        "count": len(rows),
        "limit": limit,
        "offset": offset,
        "results": rows[offset : offset + limit],
    }


def _schema(query, summary, *, queued: bool = False, not_found: bool = False):
    responses = {200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT}
    if queued:
        responses[202] = JOB_ACCEPTED
    if not_found:
        responses[404] = OpenApiTypes.OBJECT
    return extend_schema(parameters=[query], responses=responses, summary=summary)


class SupplyPathsView(APIView):
    """Supply-chain paths of a product: upstream suppliers → its producer → buyers → chains."""

    @_schema(PathsQuery, "Supply-chain paths of a product", not_found=True)
    def get(self, request, product_code):
        params = read_query(PathsQuery, request)
        graph = graph_cache.get_graph()
        if product_code not in graph.graph["products"]:
            raise Http404(_("No product has the code %s.") % product_code)
        return Response(linkage_graph.supply_paths(graph, product_code, limit=params["limit"]))


class HubsView(APIView):
    """The most central actors of each kind."""

    @_schema(HubsQuery, "Hubs by kind", queued=True)
    def get(self, request):
        params = read_query(HubsQuery, request)
        if params["measure"] != "betweenness":
            params.pop("background")
        return _analysis(request, "hubs", params, heavy=params["measure"] == "betweenness")


class CommunitiesView(APIView):
    """Groups of actors more tied to each other than to the rest."""

    @_schema(CommunitiesQuery, "Communities of the linkage graph", queued=True)
    def get(self, request):
        params = read_query(CommunitiesQuery, request)
        return _analysis(request, "communities", params)


class DependenceView(APIView):
    """Producers that depend on a single buyer: largest buyer's share and Herfindahl index."""

    @_schema(DependenceQuery, "Dependence of producers on their largest buyer")
    def get(self, request):
        params = read_query(DependenceQuery, request)
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
        params = read_query(CriticalQuery, request)
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
        params = read_query(UnlinkedQuery, request)
        found = _cached(
            "unlinked",
            {"direct": params["direct"]},
            lambda g: linkage_graph.unlinked_producers(g, direct=params["direct"]),
        )
        if "kind" in params:
            found = [row for row in found if row["kind"] == params["kind"]]
        return Response(_page(found, params["limit"], params["offset"]))
