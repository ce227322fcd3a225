"""The planners' pages: a coverage map and a statistics page, served with their own static files.

The pages hold no data: their scripts read the JSON and GeoJSON endpoints of the API, so what the
map, its lists and the charts show is what the API answers, and each download is the same request
in another format. The views only check the filters (a form each, so a bad value is a message
beside its field) and name the API requests. Nothing is loaded from another host: Leaflet and
Chart.js are vendored under static/vendor/, the base layer of boundaries is a static file, and the
OpenStreetMap tiles are an optional layer that is off until the planner turns it on.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

from linkage.accounts import Account
from linkage.choices import AreaLevel, Category

from .forms import DEFAULT_RADIUS_KM, DEFAULT_SITES, SALES_POINTS, MapForm, StatisticsForm, bound

__all__ = ["coverage_map", "index", "statistics_page"]

API = "/api/v1/"
GAPS_SHOWN = 20
DOWNLOAD_FORMATS = ("csv", "xlsx", "geojson")
EXPIRING_MONTHS = 6


def _url(path: str, **params) -> str:
    return f"{API}{path}?{urlencode({k: v for k, v in params.items() if v not in (None, '')})}"


def index(request):
    """Links to the map, the statistics and the API documentation."""
    return render(request, "planner/index.html", {"page": "index"})


def _facility_sources(supply: str, category: str) -> list[str]:
    """The buyers/geojson requests that draw the supply the analysis counts."""
    if supply.startswith("chain:"):
        queries = [{"kind": "store", "chain": supply.partition(":")[2]}]
    elif supply.startswith("kinds:"):
        queries = [{"kind": kind} for kind in supply.partition(":")[2].split(",")]
    else:
        queries = [{"kind": "sales_point"}]
    return [_url("buyers/geojson/", **query, category=category) for query in queries]


def _map_labels() -> dict[str, str]:
    """The words the map's script writes, in the page's language."""
    return {
        "areas": _("Địa bàn"),
        "communes": _("Tên xã, phường"),
        "provinces": _("Ranh giới tỉnh"),
        "province_names": _("Tên tỉnh"),
        "radius": _("Bán kính phục vụ"),
        "facilities": _("Cơ sở bán hàng"),
        "gaps": _("Vùng trống"),
        "sites": _("Địa điểm đề xuất"),
        "tiles": _("OpenStreetMap (trực tuyến)"),
        "could_not_load": _("Không tải được"),
        "computing": _("Đang tính địa điểm đề xuất…"),
        "still_running": _("Vẫn đang tính; tải lại trang sau."),
        "partial": _("Chỉ hiện một phần cơ sở bán hàng."),
        "population_share": _("Tỷ lệ dân số được phủ"),
        "producer_share": _("Tỷ lệ chủ thể được phủ"),
        "population_covered": _("Dân số được phủ"),
        "producers_covered": _("Chủ thể được phủ"),
        "none": _("Không có"),
        "name": _("Tên"),
        "population": _("Dân số"),
        "uncovered_population": _("Dân số chưa phủ"),
        "producers_uncovered": _("Chủ thể chưa phủ"),
        "nearest": _("Cơ sở gần nhất"),
        "distance_km": _("Khoảng cách (km)"),
        "covered": _("Được phủ"),
        "yes": _("có"),
        "no": _("không"),
        "marginal_population": _("Dân số thêm được phủ"),
        "marginal_producers": _("Chủ thể thêm được phủ"),
        "kind": _("Loại"),
    }


def coverage_map(request):
    """Areas coloured by coverage over the provinces, the supply with its radius, the ranked gaps
    and the proposed sites in lists beside the map, with their downloads and a before/after."""
    defaults = {"supply": SALES_POINTS, "radius_km": DEFAULT_RADIUS_KM, "k": DEFAULT_SITES}
    form = bound(MapForm, request.GET, defaults)
    context = {
        "page": "map",
        "form": form,
        "boundaries": static("planner/boundaries/vietnam.geojson"),
        "labels": _map_labels(),
    }
    if not form.is_valid():
        return render(request, "planner/map.html", context, status=400)
    data = form.cleaned_data
    # The one spelling of the radius every request and the drawn circles use: machine text.
    radius = f"{data['radius_km']:g}"
    common = {"radius_km": radius, "supply": data["supply"], "category": data["category"]}
    gaps = {**common, "limit": GAPS_SHOWN}
    context.update(
        radius_km=radius,
        sources={
            "areas": _url("analytics/coverage/", format="geojson", **common),
            "gaps": _url("analytics/coverage/gaps/", format="geojson", **gaps),
            "sites": _url("analytics/siting/", format="geojson", k=data["k"], **common),
            "facilities": _facility_sources(data["supply"], data["category"]),
        },
        gap_downloads=[
            (fmt, _url("analytics/coverage/gaps/", format=fmt, **gaps)) for fmt in DOWNLOAD_FORMATS
        ],
        sites_k=data["k"],
    )
    return render(request, "planner/map.html", context)


def _column_labels() -> dict[str, str]:
    """Column names of the statistics tables, in the page's language."""
    return {
        "year": _("Năm"),
        "rated": _("Được đánh giá"),
        "5": _("5 sao"),
        "potential_5": _("Tiềm năng 5 sao"),
        "4": _("4 sao"),
        "3": _("3 sao"),
        "cumulative": _("Lũy kế"),
        "valid_at_year_end": _("Còn hiệu lực cuối năm"),
        "target": _("Chỉ tiêu"),
        "share": _("Tỷ lệ"),
        "met": _("Đạt"),
        "shortfall": _("Còn thiếu"),
        "label": _("Nhóm"),
        "products": _("Sản phẩm"),
        "producers": _("Chủ thể"),
        "name": _("Tên"),
        "level": _("Cấp"),
        "code": _("Mã"),
        "category": _("Nhóm sản phẩm"),
        "star_class": _("Hạng sao"),
        "rated_on": _("Ngày đánh giá"),
        "rating_expires_on": _("Hết hạn"),
        "days_left": _("Còn (ngày)"),
        "producer_name": _("Tên chủ thể"),
        "area_name": _("Địa bàn"),
        "product": _("Tên sản phẩm"),
        "area": _("Địa bàn"),
        "producer_kind": _("Loại chủ thể"),
        "rated_per_year": _("Được đánh giá trong năm"),
        "expiring_per_month": _("Hết hạn"),
        "yes": _("có"),
        "no": _("không"),
        "no_data": _("Không có dữ liệu"),
        "could_not_load": _("Không tải được"),
        "invalid": _("Bộ lọc chưa hợp lệ"),
        "summary_certified": _("Sản phẩm đạt 3–5 sao"),
        "summary_valid": _("Còn hiệu lực"),
        "summary_producers": _("Chủ thể"),
        "summary_below_3": _("Dưới 3 sao (không xếp hạng OCOP)"),
        "summary_expiring": _("Sắp hết hạn trong 6 tháng"),
        "summary_rated_this_year": _("Được đánh giá trong năm nay"),
        "summary_target": _("Chỉ tiêu năm"),
        "group": _("Nhóm sản phẩm"),
        "chain": _("Chuỗi bán lẻ"),
        "proposals": _("Đề xuất"),
        "accepted": _("Được chấp nhận"),
        "mou_signed": _("Đã ký MOU"),
        "trading": _("Đã giao dịch"),
        "ended": _("Đã kết thúc"),
        "median_days_to_trading": _("Trung vị số ngày từ đề xuất đến giao dịch"),
        "funnel_none": _("(không có)"),
        **{f"category_{code}": str(label) for code, label in Category.choices},
        **{f"level_{code}": str(label) for code, label in AreaLevel.choices},
    }


def _table_parameters(name: str, query: dict) -> dict:
    """The parameters a table's request takes from the filters (the target only for targets)."""
    chosen = {key: value for key, value in query.items() if key != "target"}
    if name == "targets":
        chosen["target"] = query.get("target")
    if name == "expiring":
        chosen["months"] = EXPIRING_MONTHS
    return chosen


def _funnel(request, form) -> dict:
    """The funnel's request and downloads for a planner; for anyone else only where to sign in,
    since the funnel API answers planners alone and the page must not show what it refuses."""
    if "by" not in form.fields:
        login = reverse("workspace-login")
        return {"login": f"{login}?{urlencode({'next': request.get_full_path()})}"}
    by = form.cleaned_data["by"] if form.is_valid() else "year"
    return {
        "by": by,
        "source": _url("analytics/statistics/funnel/", by=by),
        "csv": _url("analytics/statistics/funnel/", by=by, format="csv"),
        "xlsx": _url("analytics/statistics/funnel/", by=by, format="xlsx"),
    }


def statistics_page(request):
    """Charts and tables of the programme statistics, with CSV and Excel downloads; for a
    signed-in planner also the funnel of the match workflow, read from its API."""
    planner = request.user.is_authenticated and Account.of_user(request.user).is_planner
    defaults = {"target": settings.OCOP_YEARLY_TARGET, "by": "year"}
    form = bound(StatisticsForm, request.GET, defaults, planner=planner)
    base = f"{API}analytics/statistics/"
    tables = [
        ("by-year", _("Theo năm")),
        ("targets", _("So với chỉ tiêu")),
        ("by-group", _("Theo nhóm sản phẩm")),
        ("by-stars", _("Theo hạng sao")),
        ("by-producer-kind", _("Theo loại chủ thể")),
        ("by-area", _("Theo địa bàn")),
        ("expiring", _("Sắp hết hạn trong 6 tháng")),
    ]
    valid = form.is_valid()
    query = {}
    if valid:
        data = form.cleaned_data
        query = {
            "as_of": data["as_of"].isoformat() if data["as_of"] else None,
            "basis": data["basis"],
            "target": data["target"],
        }
    downloads = [
        {
            "name": name,
            "label": label,
            "csv": _url(f"analytics/statistics/{name}/", **extra, format="csv"),
            "xlsx": _url(f"analytics/statistics/{name}/", **extra, format="xlsx"),
        }
        for name, label in tables
        for extra in [_table_parameters(name, query)]
    ]
    context = {
        "page": "statistics",
        "form": form,
        "base": base,
        "query": urlencode({k: v for k, v in query.items() if v not in (None, "")}),
        "downloads": downloads,
        "captions": {**dict(tables), "funnel": _("Phễu kết nối: đề xuất đến giao dịch")},
        "labels": _column_labels(),
        "map_url": reverse("planner-map"),
        "expiring_months": EXPIRING_MONTHS,
        "funnel": _funnel(request, form),
    }
    return render(request, "planner/statistics.html", context, status=200 if valid else 400)
