"""HTTP views of the linkage graph's analytics, under /api/v1/network/.

Each view checks its query parameters (400 naming the parameter), takes the warm snapshot of the
registry from ``linkage.graph_cache`` and calls one function of ``linkage.network``. Whole-graph
analyses are kept under the registry's version, so they are computed once per change across
processes; every answer carries the ``registry`` stamp (version, age, whether it is current).
"""

from django.core.cache import cache
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from linkage import graph_cache, jobs, network
from linkage.result_cache import RESULT_TIMEOUT, cached, result_key

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

# Past this many actors (five times the national registry's 220,000, whose communities take under
# a second on igraph) a first request for communities or betweenness goes to a worker.
HEAVY_ANALYSIS_NODES = 1_000_000


def _analysis(request, name: str, params: dict, *, heavy: bool = False):
    """A whole-graph analysis of the snapshot, computed once per registry version and parameters
    (``graph_cache.network_analysis``). A heavy one on a large graph, or with
    ``background=always``, goes to a worker by ``linkage.jobs``' rule: 202 with the job's status
    URL, and the same request answers 200 from the cache once the job has finished. Returns the
    result and the registry stamp, or a 202 ``Response``."""
    params = dict(params)
    background = params.pop("background", "auto") if heavy else "never"
    snapshot = graph_cache.get_snapshot()
    if background != "never" and jobs.runs_as_job(
        size=snapshot.size, inline_limit=HEAVY_ANALYSIS_NODES, background=background
    ):
        version = snapshot.version
        key = result_key(f"network:{name}", version, params) if version else None
        found = cached(f"network:{name}", params, version=version)
        if found is not None:
            return found[0], found[1].as_json(graph_cache.current_version())
        job_id = cache.get(key + ":job") if key else None
        if job_id is None:
            job_id = jobs.enqueue(
                "linkage.graph_cache.run_network_analysis", name=name, params=params
            )
            if key:
                cache.set(key + ":job", job_id, timeout=RESULT_TIMEOUT)
        return job_accepted(request, job_id)
    result, _snapshot, stamp = graph_cache.network_analysis(name, params)
    return result, stamp.as_json(graph_cache.current_version())


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
        snapshot = graph_cache.get_snapshot()
        if product_code not in snapshot.product_position:
            raise Http404(_("No product has the code %s.") % product_code)
        found = network.supply_paths(snapshot, product_code, limit=params["limit"])
        return Response({**found, "registry": graph_cache.stamp_of(snapshot)})


def _answer(found) -> Response:
    if isinstance(found, Response):
        return found
    result, registry = found
    return Response({**result, "registry": registry})


class HubsView(APIView):
    """The most central actors of each kind."""

    @_schema(HubsQuery, "Hubs by kind", queued=True)
    def get(self, request):
        params = read_query(HubsQuery, request)
        heavy = params["measure"] == "betweenness"
        if not heavy:
            params.pop("background")
        return _answer(_analysis(request, "hubs", params, heavy=heavy))


class CommunitiesView(APIView):
    """Groups of actors more tied to each other than to the rest."""

    @_schema(CommunitiesQuery, "Communities of the linkage graph", queued=True)
    def get(self, request):
        params = read_query(CommunitiesQuery, request)
        return _answer(_analysis(request, "communities", params, heavy=True))


class DependenceView(APIView):
    """Producers that depend on a single buyer: largest buyer's share and Herfindahl index."""

    @_schema(DependenceQuery, "Dependence of producers on their largest buyer")
    def get(self, request):
        params = read_query(DependenceQuery, request)
        found, registry = _analysis(
            request,
            "dependence",
            {"min_share": params["min_share"], "min_buyers": params["min_buyers"]},
        )
        return Response({**_page(found, params["limit"], params["offset"]), "registry": registry})


class CriticalActorsView(APIView):
    """Actors whose loss cuts households off from every buyer."""

    @_schema(CriticalQuery, "Actors whose loss cuts households off from every buyer")
    def get(self, request):
        params = read_query(CriticalQuery, request)
        found, registry = _analysis(
            request,
            "critical_actors",
            {"households_only": not params["all_producers"], "limit": params["limit"]},
        )
        return Response({"count": len(found), "results": found, "registry": registry})


class UnlinkedProducersView(APIView):
    """Producers with no buyer at all."""

    @_schema(UnlinkedQuery, "Producers with no buyer")
    def get(self, request):
        params = read_query(UnlinkedQuery, request)
        # The positions are kept per version, and rows made for the page asked only: nationally
        # the households that sell to nobody directly are 200,000.
        positions, snapshot, stamp = graph_cache.network_analysis(
            "unlinked_positions", {"direct": params["direct"]}
        )
        if "kind" in params:
            positions = positions[snapshot.kinds[positions] == params["kind"]]
        start, stop = params["offset"], params["offset"] + params["limit"]
        return Response(
            {
                "count": len(positions),
                "limit": params["limit"],
                "offset": params["offset"],
                "results": network.unlinked_rows(snapshot, positions[start:stop]),
                "registry": stamp.as_json(graph_cache.current_version()),
            }
        )
