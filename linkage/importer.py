"""Bulk import of the registry from the programme's spreadsheets (SPEC.md "Data interchange").

A workbook (a sheet per table), a folder of ``<table>.csv`` files, a single CSV or a zip of CSVs
goes in; an ``ImportReport`` comes out. Every row of every table is checked before anything is
written, and the writes happen in one transaction: an import with a bad row writes nothing unless
``skip_bad_rows``. Codes (and, for linkages, the key "kind:source>target:product") are the stable
keys, so importing the same file twice changes nothing.

The work is set-based so that the national dataset (about half a million rows) imports in well
under a minute: one query loads each table's existing rows, cells are parsed column by column
(low-cardinality columns through a per-value cache), unchanged rows are dropped by comparing
tuples, and the rest are written with batched upserts.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from django.db import IntegrityError, connection, transaction
from django.db import models as dj_models
from django.utils import timezone
from unidecode import unidecode

from .allocation import MAX_QUANTITY_PER_MONTH
from .choices import (
    NON_PHYSICAL_BUYER_KINDS,
    AreaLevel,
    BuyerKind,
    Category,
    LinkageKind,
    ProducerKind,
)
from .dates import EARLIEST_DATE, LATEST_DATE, rating_expiry
from .geocoding import geocoder_chain
from .models import Area, Buyer, Linkage, Producer, Product, SourcingRequest
from .text import fold, fold_key, looks_like_formula

__all__ = [
    "TABLES",
    "RowError",
    "ImportReport",
    "read_tables",
    "import_tables",
    "import_path",
    "import_upload",
    "table_for_name",
    "fold_many",
]

TABLES = ("areas", "producers", "products", "buyers", "linkages", "sourcing_requests")
BATCH_SIZE = 2000
# Far above the national dataset (half a million rows in all): a larger member is a zip bomb.
MAX_ZIP_MEMBER_BYTES = 512 * 2**20


@dataclass
class RowError:
    """A problem: file (or sheet), spreadsheet row (the header is row 1), column and reason."""

    file: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        column = f", column {self.column}" if self.column else ""
        return f"{self.file}, {where}{column}: {self.reason}"


@dataclass
class ImportReport:
    """What an import found and did. ``written`` is False after a dry run or a refused import."""

    errors: list[RowError]
    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    skipped_rows: int
    dry_run: bool
    written: bool
    geocoded: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no row had an error."""
        return not self.errors

    def as_dict(self) -> dict:
        """A JSON-able dict, for the API."""
        return {**asdict(self), "ok": self.ok}


# --- vocabulary ---------------------------------------------------------------------------------


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
_CATEGORIES = _labels(
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
_TRUE = {"yes", "y", "true", "t", "1", "x", "co", "c", "dung", "v"}
_FALSE = {"no", "n", "false", "f", "0", "khong", "k", "sai"}


@dataclass(frozen=True)
class _Column:
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
        return self.attr or self.name


def _ref(name, table, attr, **kw) -> _Column:
    return _Column(
        name, "ref", ref=table, attr=f"{attr}_id", lookup=f"{attr}__code", max_length=40, **kw
    )


_LAT = _Column("lat", "float", aliases=("Vĩ độ", "latitude", "vido"))
_LON = _Column("lon", "float", aliases=("Kinh độ", "longitude", "lng", "long", "kinhdo"))
_ADDRESS = _Column("address", "text", aliases=("Địa chỉ",), max_length=300)
_AREA = _ref(
    "area_code",
    "areas",
    "area",
    aliases=("Địa bàn", "Mã địa bàn", "Mã xã", "Mã đơn vị hành chính", "area"),
)


@dataclass(frozen=True)
class _Table:
    name: str
    model: type[dj_models.Model]
    columns: tuple[_Column, ...]
    sheet_aliases: tuple[str, ...]
    key: str = "code"

    @property
    def located(self) -> bool:
        return self.name in ("areas", "producers", "buyers")


_SPECS: dict[str, _Table] = {
    "areas": _Table(
        "areas",
        Area,
        (
            _Column("code", "text", True, ("Mã", "Mã địa bàn", "Mã đơn vị"), 40),
            _Column("name", "text", True, ("Tên", "Tên địa bàn", "Tên đơn vị"), 200),
            _Column("level", "choice", True, ("Cấp", "Cấp hành chính"), choices=_LEVELS),
            _ref(
                "parent_code",
                "areas",
                "parent",
                aliases=("Mã cấp trên", "Thuộc", "Mã đơn vị cấp trên", "Mã cha", "parent"),
            ),
            _LAT,
            _LON,
            _Column("population", "int", aliases=("Dân số", "Số dân")),
        ),
        ("Địa bàn", "Đơn vị hành chính", "area"),
    ),
    "producers": _Table(
        "producers",
        Producer,
        (
            _Column("code", "text", True, ("Mã", "Mã chủ thể"), 40),
            _Column("name", "text", True, ("Tên", "Tên chủ thể"), 300),
            _Column(
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
            _Column("members", "int", aliases=("Số thành viên", "Thành viên")),
        ),
        ("Chủ thể", "Chủ thể OCOP", "producer"),
    ),
    "products": _Table(
        "products",
        Product,
        (
            _Column("code", "text", True, ("Mã", "Mã sản phẩm", "Mã SP"), 40),
            _Column("name", "text", True, ("Tên", "Tên sản phẩm", "Tên SP"), 300),
            _ref(
                "producer_code",
                "producers",
                "producer",
                required=True,
                aliases=("Mã chủ thể", "Chủ thể", "producer"),
            ),
            _Column(
                "category",
                "choice",
                True,
                ("Nhóm sản phẩm", "Nhóm", "Nhóm SP", "Bộ sản phẩm"),
                choices=_CATEGORIES,
            ),
            _Column("stars", "stars", aliases=("Hạng sao", "Số sao", "Sao", "Xếp hạng")),
            _Column("potential_five_star", "bool", aliases=("Tiềm năng 5 sao", "Tiềm năng")),
            _Column(
                "rated_on", "date", aliases=("Ngày đánh giá", "Ngày công nhận", "Ngày xếp hạng")
            ),
            _Column(
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
            _Column("unit", "text", aliases=("Đơn vị", "Đơn vị tính", "ĐVT"), max_length=40),
            _Column("price_vnd", "int", aliases=("Giá", "Giá bán", "Giá (đồng)", "Giá (VNĐ)")),
            _Column(
                "traceability_url",
                "url",
                aliases=("Truy xuất nguồn gốc", "Link truy xuất"),
                max_length=500,
            ),
        ),
        ("Sản phẩm", "Sản phẩm OCOP", "product"),
    ),
    "buyers": _Table(
        "buyers",
        Buyer,
        (
            _Column("code", "text", True, ("Mã", "Mã bên mua"), 40),
            _Column("name", "text", True, ("Tên", "Tên bên mua"), 300),
            _Column(
                "kind", "choice", True, ("Loại hình", "Loại", "Loại bên mua"), choices=_BUYER_KINDS
            ),
            _ref("chain_code", "buyers", "chain", aliases=("Mã chuỗi", "Chuỗi", "chain")),
            _AREA,
            _ADDRESS,
            _LAT,
            _LON,
            _Column(
                "categories",
                "categories",
                aliases=("Nhóm sản phẩm", "Nhóm sản phẩm nhận", "Nhóm", "category"),
            ),
            _Column(
                "min_stars",
                "stars",
                aliases=("Hạng sao tối thiểu", "Sao tối thiểu", "Số sao tối thiểu"),
            ),
        ),
        ("Bên mua", "Người mua", "buyer"),
    ),
    "linkages": _Table(
        "linkages",
        Linkage,
        (
            _Column(
                "source_code", "actor", True, ("Mã nguồn", "Từ", "Bên bán", "Mã bên bán", "source")
            ),
            _Column(
                "target_code",
                "actor",
                True,
                ("Mã đích", "Đến", "Bên nhận", "Mã bên nhận", "target"),
            ),
            _Column(
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
            _Column(
                "volume_per_month",
                "float",
                aliases=("Khối lượng/tháng", "Khối lượng", "Sản lượng/tháng", "volume"),
            ),
            _Column("started_on", "date", aliases=("Ngày bắt đầu", "Bắt đầu", "Từ ngày")),
            _Column("ended_on", "date", aliases=("Ngày kết thúc", "Kết thúc", "Đến ngày")),
        ),
        ("Liên kết", "linkage"),
        key="key",
    ),
    "sourcing_requests": _Table(
        "sourcing_requests",
        SourcingRequest,
        (
            _Column("code", "text", True, ("Mã", "Mã yêu cầu"), 40),
            _ref("buyer_code", "buyers", "buyer", required=True, aliases=("Mã bên mua", "Bên mua")),
            _Column("category", "choice", True, ("Nhóm sản phẩm", "Nhóm"), choices=_CATEGORIES),
            _Column(
                "min_stars", "stars", aliases=("Hạng sao tối thiểu", "Sao tối thiểu", "Số sao")
            ),
            _Column(
                "quantity_per_month",
                "float",
                True,
                ("Số lượng/tháng", "Số lượng", "Khối lượng/tháng", "quantity"),
            ),
            _Column(
                "max_distance_km",
                "float",
                aliases=(
                    "Khoảng cách tối đa (km)",
                    "Khoảng cách tối đa",
                    "Bán kính (km)",
                    "max_distance",
                ),
            ),
        ),
        ("Yêu cầu tìm nguồn hàng", "Yêu cầu", "Yêu cầu nguồn hàng", "sourcing_request", "request"),
    ),
}

_NON_NEGATIVE = {
    "population",
    "members",
    "capacity_per_month",
    "price_vnd",
    "volume_per_month",
    "quantity_per_month",
    "max_distance_km",
}


def _heading_map(spec: _Table) -> dict[str, str]:
    mapping = {}
    for column in spec.columns:
        for alias in (column.name, *column.aliases):
            mapping.setdefault(fold_key(alias), column.name)
    return mapping


_HEADINGS = {name: _heading_map(spec) for name, spec in _SPECS.items()}
_TABLE_NAMES = {
    fold_key(alias): name
    for name, spec in _SPECS.items()
    for alias in (name, name.replace("_", " "), *spec.sheet_aliases)
}


def table_for_name(name: str) -> str | None:
    """The table a sheet or file name stands for ("Sản phẩm", "products.csv" → "products")."""
    stem = Path(str(name)).name
    if stem.lower().endswith(".csv"):
        stem = stem[:-4]
    key = fold_key(stem)
    return _TABLE_NAMES.get(key) or _TABLE_NAMES.get(key.removesuffix("s"))


# --- reading ------------------------------------------------------------------------------------


def _read_csv(source) -> pd.DataFrame:
    return pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _excel_engine() -> str:
    # calamine (Rust) reads a national workbook about nine times faster than openpyxl; openpyxl
    # stays the fallback so that a missing optional wheel never stops an import.
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return "openpyxl"
    return "calamine"


def _read_workbook(source, label: str) -> tuple[dict, dict, list[str]]:
    try:
        sheets = pd.read_excel(source, sheet_name=None, dtype=object, engine=_excel_engine())
    except Exception as error:  # each reader has its own errors for a broken file
        raise ValueError(f"not a readable .xlsx workbook ({error})") from error
    tables, names, warnings = {}, {}, []
    for sheet, frame in sheets.items():
        table = table_for_name(sheet)
        if table is None or table in tables:
            warnings.append(f"{label}: sheet {sheet!r} is not a table of the registry; ignored")
            continue
        tables[table], names[table] = frame, str(sheet)
    return tables, names, warnings


def _read_any(path: str | Path) -> tuple[dict, dict, list[str]]:
    path = Path(path)
    if path.is_dir():
        tables, names, warnings = {}, {}, []
        for csv in sorted(path.glob("*.csv")):
            table = table_for_name(csv.name)
            if table is None:
                warnings.append(f"{csv.name}: not a table of the registry; ignored")
                continue
            tables[table], names[table] = _read_csv(csv), csv.name
        return tables, names, warnings
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_workbook(path, path.name)
    if suffix == ".csv":
        table = table_for_name(path.name)
        if table is None:
            raise ValueError(f"{path.name}: the file name names no table ({', '.join(TABLES)})")
        return {table: _read_csv(path)}, {table: path.name}, []
    if suffix == ".zip":
        with path.open("rb") as handle:
            return _read_zip(handle)
    raise ValueError(f"{path.name}: give an .xlsx workbook, a .csv, a .zip or a folder of CSVs")


def _read_zip(fileobj) -> tuple[dict, dict, list[str]]:
    tables, names, warnings = {}, {}, []
    with zipfile.ZipFile(fileobj) as archive:
        for info in archive.infolist():
            base = Path(info.filename).name
            if info.is_dir() or base.startswith((".", "__")):
                continue
            table = table_for_name(base) if base.lower().endswith(".csv") else None
            if table is None or table in tables:
                warnings.append(f"{info.filename}: not a table of the registry; ignored")
                continue
            if info.file_size > MAX_ZIP_MEMBER_BYTES:
                raise ValueError(
                    f"{info.filename}: larger than {MAX_ZIP_MEMBER_BYTES // 2**20} MB unpacked"
                )
            try:
                with archive.open(info) as member:
                    content = member.read(MAX_ZIP_MEMBER_BYTES + 1)
            except (RuntimeError, NotImplementedError) as error:
                # zipfile's words for an encrypted member or an unknown compression method.
                raise ValueError(f"{info.filename}: {error}") from None
            if len(content) > MAX_ZIP_MEMBER_BYTES:
                raise ValueError(
                    f"{info.filename}: larger than {MAX_ZIP_MEMBER_BYTES // 2**20} MB unpacked"
                )
            tables[table], names[table] = _read_csv(io.BytesIO(content)), base
    return tables, names, warnings


def read_tables(path: str | Path) -> dict[str, pd.DataFrame]:
    """The tables in a workbook, a folder of ``<table>.csv``, a single CSV or a zip of CSVs.

    Sheet and file names are matched like headings ("Sản phẩm" → products). Cells keep their
    types as read (CSV cells are strings). Raises ValueError for a file that names no table.
    """
    return _read_any(path)[0]


# --- cell parsing -------------------------------------------------------------------------------


class _Bad(ValueError):
    """A cell that cannot be read; the message is the reason shown to the user."""


def _clean(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


_THOUSANDS = re.compile(r"^-?\d{1,3}([.,\s]\d{3})+$")


def _number(value) -> float:
    if isinstance(value, bool):
        raise _Bad("not a number")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).replace("\u00a0", "").replace(" ", "")
        if _THOUSANDS.match(text) and not re.match(r"^-?\d{1,3}[.,]\d{3}$", text):
            text = re.sub(r"[.,\s]", "", text)
        elif text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            raise _Bad(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise _Bad(f"{value!r} is not a number")
    return number


def _integer(value) -> int:
    if isinstance(value, str):
        text = value.replace("\u00a0", "").replace(" ", "")
        if _THOUSANDS.match(text):
            value = re.sub(r"[.,]", "", text)
    number = _number(value)
    if not number.is_integer():
        raise _Bad(f"{value!r} is not a whole number")
    return int(number)


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%d/%m/%y")


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 100_000:  # an Excel serial day number that lost its date format
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
        raise _Bad(f"{value!r} is not a date")
    text = str(value).strip()
    if " " in text or "T" in text:
        text = re.split(r"[ T]", text)[0]
    for form in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
    raise _Bad(f"{value!r} is not a date (write 2024-03-31 or 31/03/2024)")


_STARS = re.compile(r"^([0-9]+)(?:[.,]0+)?\s*(?:sao|star|stars|\*+)?\.?$")


def _stars(value) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if not number.is_integer():
            raise _Bad(f"{value!r} is not a number of stars")
    else:
        match = _STARS.match(fold(str(value)))
        if not match:
            raise _Bad(f"{value!r} is not a number of stars (write 4 or 4 sao)")
        number = float(match.group(1))
    if not 1 <= number <= 5:
        raise _Bad(f"stars must be between 1 and 5, not {value!r}")
    return int(number)


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    key = fold_key(_text(value))
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise _Bad(f"{value!r} is not yes or no (write có/không, yes/no, 1/0 or x)")


def _choice(mapping: Mapping[str, str]) -> Callable[[Any], str]:
    def parse(value) -> str:
        code = mapping.get(fold_key(_text(value)))
        if code is None:
            allowed = ", ".join(sorted(set(mapping.values())))
            raise _Bad(f"{value!r} is not one of: {allowed}")
        return code

    return parse


def _categories(value) -> str:
    codes = []
    for part in re.split(r"[;,]", _text(value)):
        if part.strip():
            code = _choice(_CATEGORIES)(part)
            if code not in codes:
                codes.append(code)
    return ",".join(codes)


def _url(value) -> str:
    text = _text(value)
    if not re.match(r"^https?://[^\s/$.?#].[^\s]*$", text, re.IGNORECASE):
        raise _Bad(f"{text!r} is not a web address (http:// or https://)")
    return text


def _parser(column: _Column) -> tuple[Callable[[Any], Any], bool]:
    """The cell parser of a column, and whether caching by value pays (few distinct values)."""
    kind = column.kind
    if kind == "float":
        return _number, False
    if kind == "int":
        return _integer, False
    if kind == "date":
        return _date, True
    if kind == "bool":
        return _boolean, True
    if kind == "stars":
        return _stars, True
    if kind == "choice":
        return _choice(column.choices), True
    if kind == "categories":
        return _categories, True
    if kind == "url":
        return _url, False
    return _text, False


def _fast_cells(values: list, column: _Column) -> list | None:
    """The parsed column without a Python call per cell, when its kind allows; cells it cannot
    read are left as ``_SLOW`` for the per-cell parser. None when there is no fast path.
    """
    if column.kind in ("text", "actor"):
        return [v if v.__class__ is str or v is None else _SLOW for v in values]
    if column.kind == "float":
        # Decimal commas and thousands separators fail to_numeric and go the slow way.
        numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").tolist()
        return [
            None if raw is None else (n if math.isfinite(n) else _SLOW)
            for raw, n in zip(values, numbers, strict=True)
        ]
    return None


_SLOW = object()


def _parse_column(values: list, column: _Column) -> tuple[list, dict[int, str]]:
    """Parsed cells (None for blank) and {position: reason} for the cells that fail."""
    parse, cached = _parser(column)
    fast = _fast_cells(values, column)
    out: list = fast if fast is not None else [None] * len(values)
    bad: dict[int, str] = {}
    cache: dict = {}
    slow = (
        (i for i, v in enumerate(out) if v is _SLOW)
        if fast is not None
        else (i for i, raw in enumerate(values) if raw is not None)
    )
    for i in slow:
        raw = values[i]
        out[i] = None
        try:
            if cached:
                key = (type(raw), raw)
                if key not in cache:
                    try:
                        cache[key] = parse(raw)
                    except _Bad as error:
                        cache[key] = error
                result = cache[key]
                if isinstance(result, _Bad):
                    raise result
            else:
                result = parse(raw)
        except _Bad as error:
            bad[i] = str(error)
            continue
        out[i] = result
    limit = column.max_length
    if limit or column.name in _NON_NEGATIVE:
        for i, result in enumerate(out):
            if result is None:
                continue
            if limit and len(result) > limit:
                bad[i] = f"longer than {limit} characters"
                out[i] = None
            elif not limit and result < 0:
                bad[i] = "must not be negative"
                out[i] = None
    return out, bad


# Control characters but tab, line feed and carriage return (as openpyxl refuses them).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _range_check(spec: _Table, column: _Column) -> Callable[[Any], str | None] | None:
    """The column's check of a parsed value: the reason it cannot be stored, else None."""
    if column.kind in ("text", "actor", "ref", "url"):
        # PostgreSQL refuses NUL; the other control characters cannot go into an Excel export.
        reason = "must not contain control characters"
        formula = "must not start with =, + or @ (a spreadsheet would run it as a formula)"
        return lambda value: (
            reason if _CONTROL.search(value) else formula if looks_like_formula(value) else None
        )
    if column.kind == "int":
        internal = spec.model._meta.get_field(column.field).get_internal_type()
        high = connection.ops.integer_field_range(internal)[1]
        if high is None:
            return None
        return lambda value: f"must be at most {high}" if value > high else None
    if column.kind == "date":
        reason = f"must be between {EARLIEST_DATE} and {LATEST_DATE}"
        return lambda value: None if EARLIEST_DATE <= value <= LATEST_DATE else reason
    if column.name == "quantity_per_month":
        reason = f"must be at most {MAX_QUANTITY_PER_MONTH}"
        return lambda value: reason if value > MAX_QUANTITY_PER_MONTH else None
    return None


def _out_of_range(spec: _Table, column: _Column, values: list, bad: dict[int, str]):
    """{position: reason} for parsed cells the database, the exports or the later sums cannot
    hold: text with control characters (PostgreSQL refuses NUL, Excel the others), integers past
    the column's range, dates outside EARLIEST_DATE..LATEST_DATE and monthly quantities past
    MAX_QUANTITY_PER_MONTH. Those cells are set to None in ``values``.
    """
    check = _range_check(spec, column)
    found: dict[int, str] = {}
    if check is None:
        return found
    for pos, value in enumerate(values):
        if value is not None and pos not in bad:
            reason = check(value)
            if reason:
                found[pos] = reason
                values[pos] = None
    return found


# --- one table, parsed --------------------------------------------------------------------------


@dataclass
class _Parsed:
    spec: _Table
    file: str
    rows: list[int]  # spreadsheet row of each position
    cols: dict[str, list]
    present: set[str]
    errors: list[RowError] = field(default_factory=list)
    bad: set[int] = field(default_factory=set)
    keys: list = field(default_factory=list)

    def fail(self, pos: int, column: str, reason: str) -> None:
        self.errors.append(RowError(self.file, self.rows[pos], column, reason))
        self.bad.add(pos)

    def good(self) -> Iterable[int]:
        return (i for i in range(len(self.rows)) if i not in self.bad)


def _as_frame(data) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    return pd.DataFrame.from_records(list(data))


def _cells(series: pd.Series) -> list:
    """The cells of a column, stripped, None where blank; vectorised for CSV's string columns."""
    if series.dtype != object and pd.api.types.is_string_dtype(series.dtype):
        stripped = series.str.strip()
        blank = (stripped.isna() | (stripped == "")).to_numpy()
        return [None if empty else v for v, empty in zip(stripped.tolist(), blank, strict=True)]
    return [_clean(v) for v in series.tolist()]


def _parse_table(spec: _Table, data, file: str, warnings: list[str]) -> _Parsed:
    frame = _as_frame(data)
    headings = _HEADINGS[spec.name]
    sources: dict[str, Any] = {}
    for heading in frame.columns:
        name = headings.get(fold_key(str(heading)))
        if name is None:
            if not str(heading).startswith("Unnamed:"):
                warnings.append(f"{file}: column {heading!r} is not used; ignored")
        elif name in sources:
            warnings.append(f"{file}: column {heading!r} repeats {name}; ignored")
        else:
            sources[name] = heading
    raw = {name: _cells(frame[heading]) for name, heading in sources.items()}
    count = len(frame)
    keep = [i for i in range(count) if any(raw[name][i] is not None for name in raw)]
    if len(keep) < count:
        raw = {name: [values[i] for i in keep] for name, values in raw.items()}
    parsed = _Parsed(spec, file, [i + 2 for i in keep], {}, set(sources))
    missing = [c.name for c in spec.columns if c.required and c.name not in sources]
    if missing:
        for name in missing:
            parsed.errors.append(RowError(file, 1, name, "required column is missing"))
        parsed.bad.update(range(len(keep)))
    for column in spec.columns:
        if column.name not in raw:
            parsed.cols[column.name] = [None] * len(keep)
            continue
        values, bad = _parse_column(raw[column.name], column)
        bad.update(_out_of_range(spec, column, values, bad))
        for pos, reason in bad.items():
            parsed.fail(pos, column.name, reason)
        if column.required and not missing:
            for pos, value in enumerate(raw[column.name]):
                if value is None:
                    parsed.fail(pos, column.name, "required")
        parsed.cols[column.name] = values
    _check_rows(parsed)
    return parsed


# Every cross-table rule in one place, each a short branch: they split when the importer becomes
# a package with a checking module of its own.
def _check_rows(parsed: _Parsed) -> None:  # noqa: C901
    """Rules between the cells of one row, and codes repeated within the file."""
    cols, name = parsed.cols, parsed.spec.name
    # A row with an unreadable cell is already refused; checking it further would only report
    # the same cell again under another name.
    unread = set(parsed.bad)
    if parsed.spec.located:
        for pos, (lat, lon) in enumerate(zip(cols["lat"], cols["lon"], strict=True)):
            if pos in unread:
                continue
            if (lat is None) != (lon is None):
                parsed.fail(
                    pos,
                    "lon" if lon is None else "lat",
                    "latitude and longitude go together: give both or neither",
                )
            elif lat is not None and not (-90 <= lat <= 90):
                parsed.fail(pos, "lat", "latitude must be between -90 and 90")
            elif lon is not None and not (-180 <= lon <= 180):
                parsed.fail(pos, "lon", "longitude must be between -180 and 180")
    if name == "products":
        for pos, (potential, stars) in enumerate(
            zip(cols["potential_five_star"], cols["stars"], strict=True)
        ):
            if potential and stars != 4 and pos not in unread:
                parsed.fail(
                    pos, "potential_five_star", "only a 4-star product can be potential 5-star"
                )
    if name == "linkages":
        for pos, (start, end) in enumerate(zip(cols["started_on"], cols["ended_on"], strict=True)):
            if start and end and end < start:
                parsed.fail(pos, "ended_on", "ends before it starts")
        for pos, (source, target) in enumerate(
            zip(cols["source_code"], cols["target_code"], strict=True)
        ):
            if source is not None and source == target:
                parsed.fail(pos, "target_code", "a linkage cannot join an actor to itself")
        parsed.keys = [
            Linkage.make_key(kind, source, target, product) if kind and source and target else None
            for kind, source, target, product in zip(
                cols["kind"],
                cols["source_code"],
                cols["target_code"],
                cols["product_code"],
                strict=True,
            )
        ]
        for pos, key in enumerate(parsed.keys):
            if key and len(key) > 200:
                parsed.fail(pos, "source_code", "the codes of this linkage are too long")
    else:
        parsed.keys = cols["code"]
    first: dict[str, int] = {}
    for pos, key in enumerate(parsed.keys):
        if key is None:
            continue
        if key in first:
            what = "this linkage" if name == "linkages" else f"code {key!r}"
            parsed.fail(
                pos,
                "code" if name != "linkages" else "source_code",
                f"{what} appears again (first at row {parsed.rows[first[key]]})",
            )
        else:
            first[key] = pos


# --- what is stored -----------------------------------------------------------------------------


def _stored_fields(spec: _Table) -> list[tuple[str, str]]:
    """(interchange column, values_list path) of the compared columns of a table."""
    pairs = []
    for column in spec.columns:
        if spec.name == "linkages" and column.name in (
            "source_code",
            "target_code",
            "kind",
            "product_code",
        ):
            continue  # part of the key
        if column.name == "code":
            continue
        pairs.append((column.name, column.lookup or column.field))
    return pairs


@dataclass
class _Stored:
    """A table's rows in the database: key → (id, tuple of compared values)."""

    rows: dict[str, tuple[int, tuple]]
    names: tuple[str, ...]
    extra: dict[str, dict] = field(default_factory=dict)


def _load_stored(spec: _Table) -> _Stored:
    pairs = _stored_fields(spec)
    paths = [path for _, path in pairs]
    rows = {}
    for record in (
        spec.model.objects.order_by()
        .values_list(spec.key, "id", *paths)
        .iterator(chunk_size=20_000)
    ):
        rows[record[0]] = (record[1], record[2:])
    return _Stored(rows, tuple(name for name, _ in pairs))


# --- the import ---------------------------------------------------------------------------------


class _AsciiTable(dict):
    """str.translate table filled on demand with unidecode's form of each character."""

    def __missing__(self, code: int) -> str:
        value = self[code] = unidecode(chr(code))
        return value


_ASCII = _AsciiTable()
_SPACES = re.compile(r"\s+")


def fold_many(names: Iterable[str]) -> list[str]:
    """``fold`` of many names, the same result three times faster.

    unidecode maps each character on its own, so a per-character translation table gives the
    same ASCII form; the saving matters for the 200,000 households of a national import.
    """
    return [_SPACES.sub(" ", (name or "").translate(_ASCII).lower()).strip() for name in names]


def _upsert_sql(spec: _Table, fields, update_fields: list[str], source: str) -> str:
    """INSERT … ``source`` ON CONFLICT (key) DO UPDATE: the same on SQLite and PostgreSQL."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    sql = f"INSERT INTO {quote(spec.model._meta.db_table)} ({names}) {source}"
    columns = [spec.model._meta.get_field(name).column for name in update_fields]
    if not columns:
        # Nothing to update (a linkage file of keys only): every row written is new.
        return sql
    sets = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in columns)
    return f"{sql} ON CONFLICT ({quote(spec.key)}) DO UPDATE SET {sets}"


def _write_rows(
    cursor,
    spec: _Table,
    fields,
    update_fields: list[str],
    batches: Iterable[list[tuple]],
    done: Callable[[int], Any],
) -> None:
    """Upsert the rows of ``batches``, calling ``done(n)`` after each batch.

    SQLite reuses one prepared statement per row, which is fast there. PostgreSQL pays a round
    trip per statement, so the rows are streamed with COPY into a temporary table and upserted
    from it in one statement.
    """
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    if connection.vendor != "postgresql":
        marks = ", ".join(["%s"] * len(fields))
        sql = _upsert_sql(spec, fields, update_fields, f"VALUES ({marks})")
        for rows in batches:
            cursor.executemany(sql, rows)
            done(len(rows))
        return
    table = quote(spec.model._meta.db_table)
    temp = quote(f"import_{spec.model._meta.db_table}")
    cursor.execute(f"DROP TABLE IF EXISTS {temp}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA"
    )
    with cursor.cursor.copy(f"COPY {temp} ({names}) FROM STDIN") as copy:
        for rows in batches:
            for row in rows:
                copy.write_row(row)
            done(len(rows))
    cursor.execute(_upsert_sql(spec, fields, update_fields, f"SELECT {names} FROM {temp}"))


class _Run:
    """One import: parse every table, check references, geocode, diff, then write."""

    def __init__(self, tables, source_names, dry_run, skip_bad_rows, progress, warnings):
        self.dry_run, self.skip, self.progress = dry_run, skip_bad_rows, progress
        self.warnings = list(warnings)
        self.errors: list[RowError] = []
        self.parsed: dict[str, _Parsed] = {}
        names = dict(source_names or {})
        for key, data in tables.items():
            table = key if key in _SPECS else table_for_name(key)
            if table is None:
                self.warnings.append(f"{key}: not a table of the registry; ignored")
                continue
            file = names.get(key) or names.get(table) or str(key)
            self.parsed[table] = _parse_table(_SPECS[table], data, file, self.warnings)
        self._stored: dict[str, _Stored] = {}
        self.geocoded: Counter = Counter()

    def stored(self, table: str) -> _Stored:
        if table not in self._stored:
            self._stored[table] = _load_stored(_SPECS[table])
        return self._stored[table]

    def _import_codes(self, table: str) -> set[str]:
        """Codes a reference may point to in this import: rows that will be written."""
        parsed = self.parsed.get(table)
        if parsed is None:
            return set()
        if self.skip:
            return {parsed.keys[i] for i in parsed.good() if parsed.keys[i] is not None}
        return {key for key in parsed.keys if key is not None}

    def check_references(self) -> None:
        """References to codes of the database or of this import, table by table."""
        for table in TABLES:
            parsed = self.parsed.get(table)
            if parsed is None:
                continue
            # Checks that refuse rows come before the references, so that with skip_bad_rows a
            # row pointing at a refused one (a store of a refused chain) is refused in turn.
            if table in ("producers", "buyers"):
                self._check_actor_codes(parsed)
            if table == "buyers":
                self._check_chain_kinds(parsed)
            if table == "buyers" and "chain_code" in parsed.present:
                self._check_chains(parsed)
            for column in parsed.spec.columns:
                if column.kind == "ref" and column.name in parsed.present:
                    self._check_ref(parsed, column)
            if table == "linkages":
                self._check_actors(parsed)
                if "product_code" in parsed.present:
                    self._check_linkage_products(parsed)
            if table in ("areas", "buyers"):
                self._check_cycles(parsed)

    def _check_ref(self, parsed: _Parsed, column: _Column) -> None:
        known = self.stored(column.ref).rows.keys()
        own = self._import_codes(column.ref)
        for _ in range(10 if column.ref == parsed.spec.name else 1):
            before = len(parsed.bad)
            for pos, code in enumerate(parsed.cols[column.name]):
                if code is None or pos in parsed.bad or code in known:
                    continue
                if code not in own:
                    parsed.fail(pos, column.name, f"no {column.ref[:-1]} has code {code!r}")
            if column.ref != parsed.spec.name or len(parsed.bad) == before or not self.skip:
                break
            own = self._import_codes(column.ref)  # a failed parent fails its children in turn

    def _check_chain_kinds(self, parsed: _Parsed) -> None:
        """A chain that has stores stays a chain."""
        with_stores = set(
            Buyer.objects.order_by().filter(stores__isnull=False).values_list("code", flat=True)
        )
        for pos, code in enumerate(parsed.keys):
            kind = parsed.cols["kind"][pos]
            if code in with_stores and kind and kind != BuyerKind.RETAIL_CHAIN:
                parsed.fail(pos, "kind", f"{code!r} has stores; move them before changing its kind")

    def _check_chains(self, parsed: _Parsed) -> None:
        kinds = {
            code: kind
            for code, kind in Buyer.objects.order_by()
            .filter(kind=BuyerKind.RETAIL_CHAIN)
            .values_list("code", "kind")
        }
        for pos, code in enumerate(parsed.keys):
            if code is not None and parsed.cols["kind"][pos]:
                kinds[code] = parsed.cols["kind"][pos]
        for pos, chain in enumerate(parsed.cols["chain_code"]):
            if chain is None or pos in parsed.bad:
                continue
            if chain not in kinds and chain not in self.stored("buyers").rows:
                continue  # already reported as unknown
            if kinds.get(chain) != BuyerKind.RETAIL_CHAIN:
                parsed.fail(pos, "chain_code", f"{chain!r} is not a retail chain")

    def _check_cycles(self, parsed: _Parsed) -> None:
        column = "parent_code" if parsed.spec.name == "areas" else "chain_code"
        if column not in parsed.present:
            return
        # The file's rows over the stored ones: a loop may close through records already there.
        stored = self.stored(parsed.spec.name)
        at = stored.names.index(column)
        parent = {code: values[at] for code, (_, values) in stored.rows.items()}
        parent.update(
            (parsed.keys[i], parsed.cols[column][i])
            for i in parsed.good()
            if parsed.keys[i] is not None
        )
        for pos in list(parsed.good()):
            seen, code = set(), parsed.keys[pos]
            while code in parent and code not in seen:
                seen.add(code)
                code = parent[code]
            if code is not None and code in seen:
                parsed.fail(pos, column, f"{column} makes a loop back to {code!r}")

    def _check_actor_codes(self, parsed: _Parsed) -> None:
        """Linkages name their ends by code alone, so one code names one producer or buyer."""
        other = "buyers" if parsed.spec.name == "producers" else "producers"
        taken = self.stored(other).rows.keys() | self._import_codes(other)
        for pos, code in enumerate(parsed.keys):
            if code is not None and code in taken and pos not in parsed.bad:
                parsed.fail(pos, "code", f"{code!r} is already the code of a {other[:-1]}")

    def _check_linkage_products(self, parsed: _Parsed) -> None:
        """A linkage's product belongs to one of its two ends."""
        owner: dict[str, str] = {}
        stored = self.stored("products")
        if "producer_code" in stored.names:
            at = stored.names.index("producer_code")
            owner = {code: values[at] for code, (_, values) in stored.rows.items()}
        products = self.parsed.get("products")
        if products is not None and "producer_code" in products.present:
            for pos in products.good():
                owner[products.keys[pos]] = products.cols["producer_code"][pos]
        for pos, product in enumerate(parsed.cols["product_code"]):
            if product is None or pos in parsed.bad or product not in owner:
                continue
            if owner[product] not in (
                parsed.cols["source_code"][pos],
                parsed.cols["target_code"][pos],
            ):
                parsed.fail(
                    pos,
                    "product_code",
                    f"{product!r} is a product of {owner[product]!r}, not of either end",
                )

    def _check_actors(self, parsed: _Parsed) -> None:
        producers = self.stored("producers").rows.keys() | self._import_codes("producers")
        buyers = self.stored("buyers").rows.keys() | self._import_codes("buyers")
        self.actor_tables: dict[str, str] = {}
        for column in ("source_code", "target_code"):
            for pos, code in enumerate(parsed.cols[column]):
                if code is None:
                    continue
                in_producers, in_buyers = code in producers, code in buyers
                if in_producers and in_buyers:
                    parsed.fail(pos, column, f"{code!r} is the code of a producer and of a buyer")
                elif not (in_producers or in_buyers):
                    parsed.fail(pos, column, f"no producer or buyer has code {code!r}")
                else:
                    self.actor_tables[code] = "producer" if in_producers else "buyer"

    # -- geocoding -------------------------------------------------------------------------------

    # Three tables, each with the same fall-back order: it splits by table when the importer
    # becomes a package.
    def geocode(self) -> None:  # noqa: C901
        """Fill missing coordinates: keep what the database has, else ask the geocoder chain."""
        if not any(table in self.parsed for table in ("areas", "producers", "buyers")):
            return
        locate = None
        points: dict[str, tuple[float, float]] = {}
        area_names: dict[str, str] = {}
        area_parents: dict[str, str | None] = {}
        stored = self.stored("areas")
        name_i, parent_i = stored.names.index("name"), stored.names.index("parent_code")
        lat_i, lon_i = stored.names.index("lat"), stored.names.index("lon")
        for code, (_, values) in stored.rows.items():
            area_names[code], area_parents[code] = values[name_i], values[parent_i]
            if values[lat_i] is not None:
                points[code] = (values[lat_i], values[lon_i])
        areas = self.parsed.get("areas")
        if areas is not None:
            for pos in areas.good():
                code = areas.keys[pos]
                area_names[code] = areas.cols["name"][pos]
                if "parent_code" in areas.present:
                    area_parents[code] = areas.cols["parent_code"][pos]

        def area_address(code: str | None) -> str:
            names = []
            while code and len(names) < 4 and code in area_names:
                names.append(area_names[code])
                code = area_parents.get(code)
            return ", ".join(names)

        for table in ("areas", "producers", "buyers"):
            parsed = self.parsed.get(table)
            if parsed is None:
                continue
            stored = self.stored(table)
            lat_i, lon_i = stored.names.index("lat"), stored.names.index("lon")
            cols = parsed.cols
            for pos in parsed.good():
                code = parsed.keys[pos]
                if cols["lat"][pos] is None:
                    existing = stored.rows.get(code)
                    if existing is not None and existing[1][lat_i] is not None:
                        cols["lat"][pos], cols["lon"][pos] = existing[1][lat_i], existing[1][lon_i]
                    elif table == "buyers" and cols["kind"][pos] in NON_PHYSICAL_BUYER_KINDS:
                        pass  # a chain or a platform has no shop floor to place
                    else:
                        if locate is None:
                            locate = geocoder_chain()
                        if table == "areas":
                            found = locate(area_address(code), None)
                        else:
                            area = cols["area_code"][pos]
                            address = cols["address"][pos] or (
                                None if area in points else area_address(area)
                            )
                            found = locate(address, points.get(area))
                        if found is not None:
                            cols["lat"][pos], cols["lon"][pos], source = found
                            self.geocoded[source] += 1
                if table == "areas" and cols["lat"][pos] is not None:
                    points[code] = (cols["lat"][pos], cols["lon"][pos])

    # -- diff and write --------------------------------------------------------------------------

    def diff(self, table: str) -> tuple[list[int], list[int], int]:
        """Positions of the rows to create and to update, and the count of unchanged rows."""
        parsed, stored = self.parsed[table], self.stored(table)
        cols = parsed.cols
        # Blank cells become the values the database stores for them, so that equal rows compare
        # equal: False for a flag, "" for a text column.
        if "potential_five_star" in cols:
            cols["potential_five_star"] = [bool(flag) for flag in cols["potential_five_star"]]
        for name in ("address", "unit", "traceability_url", "categories"):
            if name in cols:
                cols[name] = [value or "" for value in cols[name]]
        compared = [
            i
            for i, name in enumerate(stored.names)
            if name in parsed.present or name in ("lat", "lon")
        ]
        columns = [cols[stored.names[i]] for i in compared]
        create, update, unchanged = [], [], 0
        for pos in parsed.good():
            key = parsed.keys[pos]
            existing = stored.rows.get(key)
            if existing is None:
                create.append(pos)
                continue
            old = existing[1]
            if all(old[i] == column[pos] for i, column in zip(compared, columns, strict=True)):
                unchanged += 1
            else:
                update.append(pos)
        return create, update, unchanged

    def write(self, plan: dict[str, tuple[list[int], list[int]]]) -> None:
        from tqdm import tqdm

        ids: dict[str, dict[str, int]] = {}

        def id_map(table: str) -> dict[str, int]:
            if table not in ids:
                model = _SPECS[table].model
                ids[table] = dict(model.objects.order_by().values_list(_SPECS[table].key, "id"))
            return ids[table]

        now = timezone.now()
        if connection.vendor == "sqlite":
            # The default 2 MB page cache thrashes on the indexes of 200,000-row tables.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -131072")
        for table in TABLES:
            if table not in plan or not any(plan[table]):
                continue
            parsed, spec = self.parsed[table], _SPECS[table]
            create, update = plan[table]
            fields = [f for f in spec.model._meta.concrete_fields if not f.primary_key]
            update_fields = self._update_fields(parsed)
            refs = {c.ref for c in spec.columns if c.kind == "ref" and c.name in parsed.present}
            if table == "linkages":
                refs |= {"producers", "buyers"}
            for generation in self._generations(parsed, create + update):
                # Load the code → id maps first: no other query may run while COPY streams.
                for ref in refs:
                    id_map(ref)
                bar = tqdm(
                    total=len(generation),
                    desc=f"writing {table}",
                    unit="row",
                    disable=not self.progress,
                    leave=False,
                )
                batches = (
                    self._rows(parsed, generation[start : start + BATCH_SIZE], fields, id_map, now)
                    for start in range(0, len(generation), BATCH_SIZE)
                )
                with connection.cursor() as cursor:
                    _write_rows(cursor, spec, fields, update_fields, batches, bar.update)
                bar.close()
                ids.pop(table, None)

    @staticmethod
    def _generations(parsed: _Parsed, positions: list[int]) -> list[list[int]]:
        """Rows in the order parents before children, for the tables that point at themselves."""
        column = {"areas": "parent_code", "buyers": "chain_code"}.get(parsed.spec.name)
        if column is None or column not in parsed.present:
            return [positions]
        parent = {parsed.keys[pos]: parsed.cols[column][pos] for pos in positions}
        depth: dict[str, int] = {}

        def level(code: str) -> int:
            # Loops were refused by _check_cycles, so every walk up ends.
            if code not in depth:
                up = parent.get(code)
                depth[code] = level(up) + 1 if up in parent else 0
            return depth[code]

        groups: dict[int, list[int]] = {}
        for pos in positions:
            groups.setdefault(level(parsed.keys[pos]), []).append(pos)
        return [groups[k] for k in sorted(groups)]

    @staticmethod
    def _update_fields(parsed: _Parsed) -> list[str]:
        spec = parsed.spec
        fields = []
        for column in spec.columns:
            if column.name in ("code",) or (
                spec.name == "linkages"
                and column.name in ("source_code", "target_code", "kind", "product_code")
            ):
                continue
            if column.name in parsed.present or column.name in ("lat", "lon"):
                fields.append(column.field)
        if spec.name in ("areas", "producers", "buyers", "products"):
            fields.append("name_folded")
        if spec.name == "products" and "rated_on" in parsed.present:
            fields.append("rating_expires_on")
        if spec.name != "areas" and spec.name != "linkages":
            fields.append("updated_at")
        return fields

    def _rows(self, parsed: _Parsed, chunk: list[int], fields, id_map, now) -> list[tuple]:
        """The database rows of the positions ``chunk``, a value per field of ``fields``.

        Built column by column rather than through model instances: at half a million rows
        the instances alone would cost more than the whole budget. Derived columns use the
        functions the models' ``fill_derived`` uses (fold, rating_expiry, Linkage.make_key).
        """
        spec, cols = parsed.spec, parsed.cols
        by_field = {column.field: column for column in spec.columns}
        ops = connection.ops
        stamp = ops.adapt_datetimefield_value(now)
        columns = []
        for model_field in fields:
            name = model_field.attname
            column = by_field.get(name)
            if column is not None and (
                column.name in parsed.present or column.name in ("lat", "lon")
            ):
                values = [cols[column.name][pos] for pos in chunk]
                if column.kind == "ref":
                    codes = id_map(column.ref)
                    values = [None if code is None else codes[code] for code in values]
                elif column.kind == "date":
                    values = [ops.adapt_datefield_value(day) for day in values]
            elif name == "name_folded":
                values = fold_many(cols["name"][pos] for pos in chunk)
            elif name == "rating_expires_on":
                values = [
                    ops.adapt_datefield_value(rating_expiry(cols["rated_on"][pos])) for pos in chunk
                ]
            elif name == "key":
                values = [parsed.keys[pos] for pos in chunk]
            elif spec.name == "linkages" and name.endswith(("_producer_id", "_buyer_id")):
                end, kind = name.split("_")[:2]
                codes = id_map(f"{kind}s")
                values = [
                    codes[code] if self.actor_tables[code] == kind else None
                    for code in (cols[f"{end}_code"][pos] for pos in chunk)
                ]
            elif getattr(model_field, "auto_now", False) or getattr(
                model_field, "auto_now_add", False
            ):
                values = [stamp] * len(chunk)
            else:
                values = [
                    model_field.get_db_prep_save(model_field.get_default(), connection)
                ] * len(chunk)
            columns.append(values)
        return list(zip(*columns, strict=True))

    def run(self) -> ImportReport:
        self.check_references()
        for table in TABLES:
            if table in self.parsed:
                self.errors.extend(sorted(self.parsed[table].errors, key=lambda e: e.row))
        blocked = bool(self.errors) and not self.skip
        self.geocode()
        plan, created, updated, unchanged = {}, {}, {}, {}
        for table in TABLES:
            created[table] = updated[table] = unchanged[table] = 0
            if table in self.parsed:
                create, update, same = self.diff(table)
                plan[table] = (create, update)
                created[table], updated[table], unchanged[table] = len(create), len(update), same
        skipped = sum(len(p.bad) for p in self.parsed.values()) if self.skip else 0
        written = False
        if not self.dry_run and not blocked and any(c or u for c, u in plan.values()):
            from .services import registry_imported

            try:
                with transaction.atomic():
                    self.write(plan)
                    registry_imported(
                        created={t: len(c) for t, (c, _u) in plan.items()},
                        updated={t: len(u) for t, (_c, u) in plan.items()},
                    )
                written = True
            except (IntegrityError, KeyError) as error:
                # Only a concurrent write between the checks and the writes gets here.
                self.errors.append(
                    RowError(
                        "",
                        0,
                        "",
                        f"the registry changed during the import; nothing written ({error})",
                    )
                )
        return ImportReport(
            errors=self.errors,
            created=created,
            updated=updated,
            unchanged=unchanged,
            skipped_rows=skipped,
            dry_run=self.dry_run,
            written=written,
            geocoded=dict(self.geocoded),
            warnings=self.warnings,
        )


def import_tables(
    tables: Mapping[str, pd.DataFrame | Iterable[Mapping]],
    *,
    source_names: Mapping[str, str] | None = None,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    progress: bool = False,
    warnings: Iterable[str] = (),
) -> ImportReport:
    """Check and write tables given as DataFrames or lists of dicts, keyed by table name.

    ``source_names`` maps a table to the file or sheet named in errors. Headings, sheet names
    and labels may be Vietnamese. Nothing is written when any row is bad (unless
    ``skip_bad_rows``: the good rows are written, the bad ones counted in ``skipped_rows``), on a
    dry run, or when nothing changed. Owner fields are never touched. Returns the report; never
    raises for bad data.
    """
    return _Run(tables, source_names, dry_run, skip_bad_rows, progress, warnings).run()


def _unreadable(file: str, reason: str, dry_run: bool) -> ImportReport:
    zero = dict.fromkeys(TABLES, 0)
    return ImportReport(
        [RowError(file, 0, "", reason)], dict(zero), dict(zero), dict(zero), 0, dry_run, False
    )


def import_path(path, *, dry_run=False, skip_bad_rows=False, progress=False) -> ImportReport:
    """Import a workbook, a CSV, a zip of CSVs or a folder of CSVs from disk (see import_tables)."""
    try:
        tables, names, warnings = _read_any(path)
    except (ValueError, OSError, zipfile.BadZipFile, KeyError) as error:
        return _unreadable(Path(path).name, f"cannot be read: {error}", dry_run)
    return import_tables(
        tables,
        source_names=names,
        dry_run=dry_run,
        skip_bad_rows=skip_bad_rows,
        progress=progress,
        warnings=warnings,
    )


def import_upload(fileobj, *, filename: str, dry_run=False, skip_bad_rows=False) -> ImportReport:
    """Import an uploaded .xlsx, a .csv (its table taken from the file name) or a .zip of CSVs.

    A file that cannot be read gives a report with one error (row 0) rather than an exception,
    so the API can answer 400 with the reason.
    """
    name = Path(filename or "").name
    suffix = Path(name).suffix.lower()
    try:
        data = io.BytesIO(fileobj.read())
        if suffix in (".xlsx", ".xlsm"):
            tables, names, warnings = _read_workbook(data, name)
        elif suffix == ".csv":
            table = table_for_name(name)
            if table is None:
                return _unreadable(
                    name, f"the file name does not name a table ({', '.join(TABLES)})", dry_run
                )
            tables, names, warnings = {table: _read_csv(data)}, {table: name}, []
        elif suffix == ".zip":
            tables, names, warnings = _read_zip(data)
        else:
            return _unreadable(
                name, "give an .xlsx workbook, a .csv file or a .zip of CSV files", dry_run
            )
    except (ValueError, OSError, zipfile.BadZipFile, KeyError, UnicodeDecodeError) as error:
        return _unreadable(name, f"cannot be read: {error}", dry_run)
    if not tables:
        return _unreadable(name, "no sheet or file names a table of the registry", dry_run)
    return import_tables(
        tables, source_names=names, dry_run=dry_run, skip_bad_rows=skip_bad_rows, warnings=warnings
    )
