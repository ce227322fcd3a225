"""The interchange vocabulary: the tables, their columns, and the words people write for them.

``SPECS`` maps a table name to its ``Table``: the model it fills, its ``Column``s (kind, aliases
in Vietnamese and English, limits, references) and the sheet names that stand for it.
``HEADINGS`` maps a folded heading to a column name, per table; ``table_for_name`` maps a sheet or
file name to a table. Pure data, no database access.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from django.db import models as dj_models

from ..choices import (
    AreaLevel,
    AreaScheme,
    BuyerKind,
    Category,
    LinkageKind,
    ProducerKind,
    ProposalOrigin,
    ProposalSide,
    ProposalState,
)
from ..models import Area, Buyer, Linkage, Producer, Product, Proposal, SourcingRequest
from ..text import fold_key

__all__ = [
    "TABLES",
    "CATEGORIES",
    "Column",
    "Table",
    "SPECS",
    "NON_NEGATIVE",
    "HEADINGS",
    "table_for_name",
]

TABLES = (
    "areas",
    "producers",
    "products",
    "buyers",
    "linkages",
    "sourcing_requests",
    "proposals",
)


def _labels(choices, extra: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """folded label or code → code, from the TextChoices plus the everyday names people write."""
    mapping = {}
    for value, label in choices.choices:
        mapping[fold_key(value)] = value
        mapping[fold_key(str(label))] = value
        for alias in extra.get(value, ()):
            mapping[fold_key(alias)] = value
    return mapping


_LEVELS = _labels(
    AreaLevel,
    {
        "province": ("Tỉnh", "Thành phố", "TP", "Thành phố trực thuộc trung ương", "Cấp tỉnh"),
        "district": ("Quận", "Huyện", "Thị xã", "Cấp huyện", "Quận/huyện"),
        "commune": ("Xã", "Phường", "Thị trấn", "Đặc khu", "Cấp xã", "Xã/phường"),
    },
)
_SCHEMES = _labels(
    AreaScheme,
    {
        "legacy": ("cũ", "3 cấp", "trước 1/7/2025", "trước sáp nhập", "old"),
        "current": ("mới", "2 cấp", "từ 1/7/2025", "sau sáp nhập", "new"),
    },
)
_PRODUCER_KINDS = _labels(
    ProducerKind,
    {
        "household": (
            "Hộ kinh doanh",
            "Hộ sản xuất kinh doanh",
            "Hộ sản xuất",
            "Hộ gia đình",
            "Hộ",
            "HKD",
            "Hộ SXKD",
        ),
        "cooperative": ("HTX", "Hợp tác xã", "Cooperative"),
        "cooperative_group": ("Tổ hợp tác", "THT", "Tổ HTX", "cooperative group"),
        "enterprise": (
            "Doanh nghiệp",
            "Công ty",
            "DN",
            "Công ty TNHH",
            "Công ty cổ phần",
            "CTCP",
            "company",
        ),
    },
)
CATEGORIES = _labels(
    Category,
    {
        "food": ("Thực phẩm",),
        "beverages": ("Đồ uống", "beverage", "drinks"),
        "herbal": ("Thảo dược", "Dược liệu"),
        "textiles": ("Vải và may mặc", "Vải may mặc", "Dệt may", "textile"),
        "handicraft": (
            "Thủ công mỹ nghệ",
            "Lưu niệm nội thất trang trí",
            "Lưu niệm",
            "handicrafts",
            "Đồ lưu niệm – nội thất – trang trí",
        ),
        "tourism": ("Du lịch", "Dịch vụ du lịch", "Du lịch cộng đồng", "Dịch vụ du lịch cộng đồng"),
    },
)
_BUYER_KINDS = _labels(
    BuyerKind,
    {
        "retail_chain": ("Chuỗi bán lẻ", "Chuỗi", "Chuỗi siêu thị", "retail chain", "chain"),
        "store": ("Cửa hàng", "Siêu thị", "Cửa hàng tiện lợi", "Cửa hàng của chuỗi"),
        "sales_point": (
            "Điểm giới thiệu và bán sản phẩm OCOP",
            "Điểm bán OCOP",
            "Điểm bán",
            "Điểm giới thiệu sản phẩm OCOP",
            "sales point",
        ),
        "ecommerce": (
            "Sàn thương mại điện tử",
            "Sàn TMĐT",
            "TMĐT",
            "Thương mại điện tử",
            "e-commerce",
        ),
        "wholesaler": ("Bán buôn", "Đại lý bán buôn", "Nhà bán buôn"),
        "distributor": ("Nhà phân phối", "NPP", "Phân phối"),
    },
)
_LINKAGE_KINDS = _labels(
    LinkageKind,
    {
        "member_of": ("Thành viên", "Thành viên của", "Là thành viên", "member"),
        "supplies": (
            "Cung cấp nguyên liệu",
            "Cung cấp",
            "Vùng nguyên liệu",
            "Cung ứng nguyên liệu",
        ),
        "sells_to": ("Bán cho", "Bán hàng", "Tiêu thụ", "sells"),
        "lists_on": ("Đăng bán trên", "Đăng bán", "Niêm yết", "lists"),
        "mou": ("Biên bản ghi nhớ", "Ghi nhớ", "Thỏa thuận hợp tác", "MOU"),
    },
)

_PROPOSAL_STATES = _labels(
    ProposalState,
    {
        "proposed": ("Đề xuất", "Mới đề xuất"),
        "accepted": ("Chấp nhận", "Đồng ý"),
        "declined": ("Từ chối",),
        "withdrawn": ("Rút lại", "Đã rút"),
        "mou_signed": ("Đã ký MOU", "Ký biên bản ghi nhớ", "MOU", "mou signed"),
        "trading": ("Giao dịch", "Đang bán", "trading"),
        "ended": ("Kết thúc", "Đã dừng"),
    },
)
_PROPOSAL_SIDES = _labels(
    ProposalSide,
    {
        "producer": ("Chủ thể", "Chủ thể OCOP", "Bên bán", "Nhà sản xuất", "HTX"),
        "buyer": ("Bên mua", "Người mua", "Chuỗi"),
    },
)
_PROPOSAL_ORIGINS = _labels(
    ProposalOrigin,
    {
        "recommendation": ("Gợi ý",),
        "sourcing_request": ("Yêu cầu", "Yêu cầu tìm nguồn hàng"),
        "allocation": ("Phân bổ",),
        "other": ("Khác",),
    },
)


@dataclass(frozen=True)
class Column:
    """One interchange column: how to parse it and which model field it fills."""

    name: str
    kind: str  # text, int, float, date, bool, stars, choice, categories, url, ref
    required: bool = False
    aliases: tuple[str, ...] = ()
    max_length: int | None = None
    choices: Mapping[str, str] | None = None
    ref: str | None = None  # table a *_code column points to
    attr: str | None = None  # model field, when it differs from ``name``
    lookup: str | None = None  # values_list path of the stored value, for refs

    @property
    def field(self) -> str:
        """The model field the column fills."""
        return self.attr or self.name


def _ref(name, table, attr, **kw) -> Column:
    return Column(
        name, "ref", ref=table, attr=f"{attr}_id", lookup=f"{attr}__code", max_length=40, **kw
    )


_LAT = Column("lat", "float", aliases=("Vĩ độ", "latitude", "vido"))
_LON = Column("lon", "float", aliases=("Kinh độ", "longitude", "lng", "long", "kinhdo"))
_ADDRESS = Column("address", "text", aliases=("Địa chỉ",), max_length=300)
_AREA = _ref(
    "area_code",
    "areas",
    "area",
    aliases=("Địa bàn", "Mã địa bàn", "Mã xã", "Mã đơn vị hành chính", "area"),
)


@dataclass(frozen=True)
class Table:
    """One interchange table: the model it fills, its columns, its key and its sheet names."""

    name: str
    model: type[dj_models.Model]
    columns: tuple[Column, ...]
    sheet_aliases: tuple[str, ...]
    key: str = "code"

    @property
    def located(self) -> bool:
        """Whether its rows have a place (lat, lon) that the import may fill in."""
        return self.name in ("areas", "producers", "buyers")


SPECS: dict[str, Table] = {
    "areas": Table(
        "areas",
        Area,
        (
            Column("code", "text", True, ("Mã", "Mã địa bàn", "Mã đơn vị"), 40),
            Column("name", "text", True, ("Tên", "Tên địa bàn", "Tên đơn vị"), 200),
            Column("level", "choice", True, ("Cấp", "Cấp hành chính"), choices=_LEVELS),
            _ref(
                "parent_code",
                "areas",
                "parent",
                aliases=("Mã cấp trên", "Thuộc", "Mã đơn vị cấp trên", "Mã cha", "parent"),
            ),
            _LAT,
            _LON,
            Column("population", "int", aliases=("Dân số", "Số dân")),
            Column(
                "official_code",
                "text",
                aliases=("Mã hành chính", "Mã ĐVHC", "Mã TCTK", "Mã đơn vị hành chính"),
                max_length=5,
            ),
            Column(
                "scheme",
                "choice",
                aliases=("Phân cấp", "Phân cấp hành chính", "Thời kỳ"),
                choices=_SCHEMES,
            ),
            _ref(
                "successor_code",
                "areas",
                "successor",
                aliases=("Nay thuộc", "Mã đơn vị mới", "Sáp nhập vào", "successor"),
            ),
        ),
        ("Địa bàn", "Đơn vị hành chính", "area"),
    ),
    "producers": Table(
        "producers",
        Producer,
        (
            Column("code", "text", True, ("Mã", "Mã chủ thể"), 40),
            Column("name", "text", True, ("Tên", "Tên chủ thể"), 300),
            Column(
                "kind",
                "choice",
                True,
                ("Loại hình", "Loại chủ thể", "Loại"),
                choices=_PRODUCER_KINDS,
            ),
            _AREA,
            _ADDRESS,
            _LAT,
            _LON,
            Column("members", "int", aliases=("Số thành viên", "Thành viên")),
            _ref(
                "legacy_area_code",
                "areas",
                "legacy_area",
                aliases=("Địa bàn cũ", "Mã địa bàn cũ", "Địa bàn trước 1/7/2025"),
            ),
        ),
        ("Chủ thể", "Chủ thể OCOP", "producer"),
    ),
    "products": Table(
        "products",
        Product,
        (
            Column("code", "text", True, ("Mã", "Mã sản phẩm", "Mã SP"), 40),
            Column("name", "text", True, ("Tên", "Tên sản phẩm", "Tên SP"), 300),
            _ref(
                "producer_code",
                "producers",
                "producer",
                required=True,
                aliases=("Mã chủ thể", "Chủ thể", "producer"),
            ),
            Column(
                "category",
                "choice",
                True,
                ("Nhóm sản phẩm", "Nhóm", "Nhóm SP", "Bộ sản phẩm"),
                choices=CATEGORIES,
            ),
            Column("stars", "stars", aliases=("Hạng sao", "Số sao", "Sao", "Xếp hạng")),
            Column("potential_five_star", "bool", aliases=("Tiềm năng 5 sao", "Tiềm năng")),
            Column(
                "rated_on", "date", aliases=("Ngày đánh giá", "Ngày công nhận", "Ngày xếp hạng")
            ),
            Column(
                "capacity_per_month",
                "float",
                aliases=(
                    "Công suất/tháng",
                    "Sản lượng/tháng",
                    "Công suất",
                    "Sản lượng",
                    "Sản lượng mỗi tháng",
                ),
            ),
            Column("unit", "text", aliases=("Đơn vị", "Đơn vị tính", "ĐVT"), max_length=40),
            Column("price_vnd", "int", aliases=("Giá", "Giá bán", "Giá (đồng)", "Giá (VNĐ)")),
            Column(
                "traceability_url",
                "url",
                aliases=("Truy xuất nguồn gốc", "Link truy xuất"),
                max_length=500,
            ),
        ),
        ("Sản phẩm", "Sản phẩm OCOP", "product"),
    ),
    "buyers": Table(
        "buyers",
        Buyer,
        (
            Column("code", "text", True, ("Mã", "Mã bên mua"), 40),
            Column("name", "text", True, ("Tên", "Tên bên mua"), 300),
            Column(
                "kind", "choice", True, ("Loại hình", "Loại", "Loại bên mua"), choices=_BUYER_KINDS
            ),
            _ref("chain_code", "buyers", "chain", aliases=("Mã chuỗi", "Chuỗi", "chain")),
            _AREA,
            _ADDRESS,
            _LAT,
            _LON,
            Column(
                "categories",
                "categories",
                aliases=("Nhóm sản phẩm", "Nhóm sản phẩm nhận", "Nhóm", "category"),
            ),
            Column(
                "min_stars",
                "stars",
                aliases=("Hạng sao tối thiểu", "Sao tối thiểu", "Số sao tối thiểu"),
            ),
        ),
        ("Bên mua", "Người mua", "buyer"),
    ),
    "linkages": Table(
        "linkages",
        Linkage,
        (
            Column(
                "source_code", "actor", True, ("Mã nguồn", "Từ", "Bên bán", "Mã bên bán", "source")
            ),
            Column(
                "target_code",
                "actor",
                True,
                ("Mã đích", "Đến", "Bên nhận", "Mã bên nhận", "target"),
            ),
            Column(
                "kind",
                "choice",
                True,
                ("Loại liên kết", "Loại", "Hình thức"),
                choices=_LINKAGE_KINDS,
            ),
            _ref(
                "product_code",
                "products",
                "product",
                aliases=("Mã sản phẩm", "Sản phẩm", "product"),
            ),
            Column(
                "volume_per_month",
                "float",
                aliases=("Khối lượng/tháng", "Khối lượng", "Sản lượng/tháng", "volume"),
            ),
            Column("started_on", "date", aliases=("Ngày bắt đầu", "Bắt đầu", "Từ ngày")),
            Column("ended_on", "date", aliases=("Ngày kết thúc", "Kết thúc", "Đến ngày")),
        ),
        ("Liên kết", "linkage"),
        key="key",
    ),
    "sourcing_requests": Table(
        "sourcing_requests",
        SourcingRequest,
        (
            Column("code", "text", True, ("Mã", "Mã yêu cầu"), 40),
            _ref("buyer_code", "buyers", "buyer", required=True, aliases=("Mã bên mua", "Bên mua")),
            Column("category", "choice", True, ("Nhóm sản phẩm", "Nhóm"), choices=CATEGORIES),
            Column("min_stars", "stars", aliases=("Hạng sao tối thiểu", "Sao tối thiểu", "Số sao")),
            Column(
                "quantity_per_month",
                "float",
                True,
                ("Số lượng/tháng", "Số lượng", "Khối lượng/tháng", "quantity"),
            ),
            Column(
                "max_distance_km",
                "float",
                aliases=(
                    "Khoảng cách tối đa (km)",
                    "Khoảng cách tối đa",
                    "Bán kính (km)",
                    "max_distance",
                ),
            ),
            Column("deadline", "date", aliases=("Hạn chót", "Hạn nhận đề xuất", "Hạn")),
            Column(
                "price_min_vnd",
                "int",
                aliases=("Giá tối thiểu", "Giá tối thiểu (đồng)", "Giá thấp nhất", "price_min"),
            ),
            Column(
                "price_max_vnd",
                "int",
                aliases=("Giá tối đa", "Giá tối đa (đồng)", "Giá cao nhất", "price_max"),
            ),
        ),
        ("Yêu cầu tìm nguồn hàng", "Yêu cầu", "Yêu cầu nguồn hàng", "sourcing_request", "request"),
    ),
    "proposals": Table(
        "proposals",
        Proposal,
        (
            _ref(
                "product_code",
                "products",
                "product",
                required=True,
                aliases=("Mã sản phẩm", "Sản phẩm", "product"),
            ),
            _ref("buyer_code", "buyers", "buyer", required=True, aliases=("Mã bên mua", "Bên mua")),
            Column("proposed_on", "date", True, ("Ngày đề xuất", "Ngày")),
            Column("state", "choice", True, ("Trạng thái", "Tình trạng"), choices=_PROPOSAL_STATES),
            Column(
                "proposed_by",
                "choice",
                True,
                ("Bên đề xuất", "Đề xuất bởi"),
                choices=_PROPOSAL_SIDES,
            ),
            Column("origin", "choice", aliases=("Nguồn",), choices=_PROPOSAL_ORIGINS),
            _ref(
                "request_code",
                "sourcing_requests",
                "sourcing_request",
                aliases=("Mã yêu cầu", "Yêu cầu"),
            ),
            Column("accepted_on", "date", aliases=("Ngày chấp nhận",)),
            Column("closed_on", "date", aliases=("Ngày từ chối", "Ngày rút lại")),
            Column("mou_signed_on", "date", aliases=("Ngày ký MOU", "Ngày ký biên bản ghi nhớ")),
            Column("trading_on", "date", aliases=("Ngày bắt đầu giao dịch", "Ngày giao dịch")),
            Column("ended_on", "date", aliases=("Ngày kết thúc",)),
            Column("note", "text", aliases=("Ghi chú",), max_length=1000),
        ),
        ("Đề xuất", "Đề xuất kết nối", "proposal", "MOU", "Biên bản ghi nhớ"),
        key="key",
    ),
}

NON_NEGATIVE = {
    "population",
    "members",
    "capacity_per_month",
    "price_vnd",
    "price_min_vnd",
    "price_max_vnd",
    "volume_per_month",
    "quantity_per_month",
    "max_distance_km",
}


def _heading_map(spec: Table) -> dict[str, str]:
    mapping = {}
    for column in spec.columns:
        for alias in (column.name, *column.aliases):
            mapping.setdefault(fold_key(alias), column.name)
    return mapping


HEADINGS = {name: _heading_map(spec) for name, spec in SPECS.items()}
_TABLE_NAMES = {
    fold_key(alias): name
    for name, spec in SPECS.items()
    for alias in (name, name.replace("_", " "), *spec.sheet_aliases)
}


def table_for_name(name: str) -> str | None:
    """The table a sheet or file name stands for ("Sản phẩm", "products.csv" → "products")."""
    stem = Path(str(name)).name
    if stem.lower().endswith(".csv"):
        stem = stem[:-4]
    key = fold_key(stem)
    return _TABLE_NAMES.get(key) or _TABLE_NAMES.get(key.removesuffix("s"))
