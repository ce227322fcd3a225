"""The planners' pages: a coverage map and a statistics page, served with their own static files.

The pages hold no data: their scripts read the JSON and GeoJSON endpoints of the API, so what the
map and the charts show is what the API answers. Nothing is loaded from another host: Leaflet and
Chart.js are vendored under static/vendor/, and the OpenStreetMap tiles are an optional layer that
is off until the planner turns it on.
"""

import math

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse

__all__ = ["coverage_map", "index", "statistics_page"]

DEFAULT_RADIUS_KM = 5.0
MAX_RADIUS_KM = 200.0
DEFAULT_SITES = 10
MAX_SITES = 100
API = "/api/v1/"


def _number(request, field: str, default: float, low: float, high: float) -> float:
    """A query parameter as a number within bounds; ValueError names the field and the reason."""
    raw = request.GET.get(field)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{field}: not a number: {raw!r}") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{field}: must be between {low:g} and {high:g}")
    return value


def index(request):
    """Links to the map, the statistics and the API documentation."""
    return render(request, "planner/index.html", {"page": "index"})


def coverage_map(request):
    """Areas coloured by coverage, sales points with their radius, gaps and proposed sites."""
    try:
        radius_km = _number(request, "radius_km", DEFAULT_RADIUS_KM, 0.1, MAX_RADIUS_KM)
        sites = int(_number(request, "k", DEFAULT_SITES, 1, MAX_SITES))
    except ValueError as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    analytics = f"{API}analytics/"
    sources = {
        "areas": f"{analytics}coverage/?format=geojson&radius_km={radius_km:g}",
        "gaps": f"{analytics}coverage/gaps/?format=geojson&radius_km={radius_km:g}",
        "sites": f"{analytics}siting/?k={sites}&format=geojson&radius_km={radius_km:g}",
        "sales_points": f"{API}buyers/geojson/?kind=sales_point",
    }
    context = {"page": "map", "radius_km": radius_km, "sites": sites, "sources": sources}
    return render(request, "planner/map.html", context)


def statistics_page(request):
    """Charts and tables of the programme statistics, with CSV and Excel downloads."""
    base = f"{API}analytics/statistics/"
    tables = [
        ("by-year", "Theo năm (by year)"),
        ("targets", "So với chỉ tiêu (against target)"),
        ("by-group", "Theo nhóm sản phẩm (by product group)"),
        ("by-stars", "Theo hạng sao (by stars)"),
        ("by-producer-kind", "Theo loại chủ thể (by producer kind)"),
        ("by-area", "Theo địa bàn (by area)"),
        ("expiring", "Sắp hết hạn (expiring within 6 months)"),
    ]
    downloads = [
        {
            "name": name,
            "label": label,
            "csv": f"{base}{name}/?format=csv",
            "xlsx": f"{base}{name}/?format=xlsx",
        }
        for name, label in tables
    ]
    context = {
        "page": "statistics",
        "base": base,
        "target": settings.OCOP_YEARLY_TARGET,
        "downloads": downloads,
        "map_url": reverse("planner-map"),
    }
    return render(request, "planner/statistics.html", context)
