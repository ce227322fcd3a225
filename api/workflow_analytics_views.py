"""The planners' view of the match workflow: readiness gaps counted over producers, and the
funnel from proposal to trading. Planners and staff only; JSON, CSV and XLSX.

Neither reads the registry's snapshot: credentials and proposals are not part of it, and their
writes do not move the registry's version. Both are read from the database in a few queries
(``analytics.selectors``) and computed by pure functions (``linkage.readiness``,
``analytics.funnel``).
"""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors
from analytics.funnel import funnel
from linkage.choices import Category
from linkage.models import Area
from linkage.readiness import readiness_shares

from . import queries
from .analytics_views import records
from .permissions import IsPlanner
from .renderers import TABLE_RENDERERS, CSVRenderer, Download, XLSXRenderer, file_format

__all__ = ["FunnelView", "ReadinessView"]


def _schema(query, summary):
    return extend_schema(
        summary=summary,
        parameters=[
            query,
            OpenApiParameter("format", str, enum=["json", "csv", "xlsx"], description="a download"),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT),
            (200, CSVRenderer.media_type): OpenApiResponse(OpenApiTypes.STR),
            (200, XLSXRenderer.media_type): OpenApiResponse(OpenApiTypes.BINARY),
        },
    )


def _answer(request, frame, name: str, meta: dict) -> Response:
    if file_format(request):
        return Response(Download.of(frame, name, name.removeprefix("ocop-")[:31]))
    return Response(
        {
            **meta,
            "count": len(frame),
            "columns": [*frame.index.names, *frame.columns],
            "results": records(frame),
        }
    )


def _who(params: dict, area: Area | None, language: str) -> str:
    """The producers counted, in words: "4-star food producers near Hà Đông"."""
    vi = language.startswith("vi")
    parts = []
    if params.get("category"):
        label = Category(params["category"]).label
        parts.append(str(label).lower())
    stars = params.get("stars")
    stars = (f"{stars} sao" if vi else f"{stars}-star") if stars else ""
    if vi:
        who = " ".join(["sản xuất", *parts]) + (f" {stars}" if stars else "")
        return who + (f" gần {area.name}" if area else "")
    who = " ".join([*([stars] if stars else []), *parts, "producers"])
    return who + (f" near {area.name}" if area else "")


class ReadinessView(APIView):
    """Of the producers of a group and stars near an area, the share lacking each requirement."""

    permission_classes = [IsPlanner]
    renderer_classes = TABLE_RENDERERS

    @_schema(queries.ReadinessQuery, "Readiness gaps of producers, counted")
    def get(self, request):
        params = queries.read_query(queries.ReadinessQuery, request)
        area = None
        if params.get("area"):
            area = Area.objects.filter(code=params["area"]).first()
            if area is None:
                raise Http404(_("No area has the code %s.") % params["area"])
        near = (area.lat, area.lon) if area is not None and area.lat is not None else None
        producers, credentials = selectors.readiness_frames(
            category=params.get("category"),
            stars=params.get("stars"),
            near=near,
            radius_km=params["radius_km"] if near else None,
        )
        as_of = params.get("as_of") or dt.date.today()
        language = get_language() or "vi"
        frame = readiness_shares(
            producers,
            credentials,
            as_of=as_of,
            min_volume=params.get("min_volume"),
            who=_who(params, area, language),
            language=language,
        )
        meta = {
            "as_of": as_of.isoformat(),
            "area": params.get("area"),
            "radius_km": params["radius_km"] if area else None,
            "category": params.get("category"),
            "stars": params.get("stars"),
            "producers": len(producers),
        }
        return _answer(request, frame, f"ocop-readiness-{as_of.isoformat()}", meta)


class FunnelView(APIView):
    """Proposals, accepted, MOUs signed, trading and ended, by year, group, chain or area."""

    permission_classes = [IsPlanner]
    renderer_classes = TABLE_RENDERERS

    @_schema(queries.FunnelQuery, "The funnel from proposal to trading")
    def get(self, request):
        params = queries.read_query(queries.FunnelQuery, request)
        by = params["by"]
        proposals = selectors.proposal_frame(params["level"] if by == "area" else None)
        frame = funnel(proposals, by)
        total = records(funnel(proposals))[0] if len(proposals) else None
        meta = {"by": by, "level": params["level"] if by == "area" else None, "total": total}
        return _answer(request, frame, f"ocop-funnel-by-{by}", meta)
