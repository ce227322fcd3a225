"""Demo and synthetic data in the interchange format (SPEC "Data interchange").

Pure: tables in, tables out, no ORM. Two generators:

* ``hanoi_demo_tables`` — a realistic Hà Nội programme: its 126 communes and wards since 1 July
  2025 and its 30 districts of before (kept for the figures published by district), with their
  official codes, the craft villages in the communes they lie in, about 3,463 rated products in
  the published proportions, producers where their products come from, raw-material households,
  the retail chains, OCOP sales points and platforms named in the press, and sales linkages with a
  neighbourhood effect.
* ``synthetic_frames`` / ``synthetic_tables`` — a national-scale set (``NATIONAL_SCALE``), built
  column-wise with numpy so 200,000 households take a few seconds and little memory.

Both are deterministic for a seed. ``write_csv_folder`` writes either as a folder of CSV files,
one per table, which ``python manage.py import_data`` reads back.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from linkage import admin_units
from linkage.distance import haversine_km
from linkage.eligibility import GROUPS
from linkage.interchange import COLUMNS
from linkage.text import fold_key

__all__ = [
    "CATEGORIES",
    "HANOI_TARGETS",
    "NATIONAL_SCALE",
    "TABLE_COLUMNS",
    "hanoi_demo_tables",
    "synthetic_frames",
    "synthetic_tables",
    "write_csv_folder",
]

DATA_DIR = Path(__file__).resolve().parent / "data"

# The interchange columns, the ones the exporter writes and the importer reads, of the tables a
# simulated registry fills (its actors and their ties; proposals are dealings, not simulated).
TABLE_COLUMNS = {name: columns for name, columns in COLUMNS.items() if name != "proposals"}

CATEGORIES = GROUPS

# The published Hà Nội figures the demo reproduces (SPEC "Domain facts"). Newly rated products by
# year: 1,054 by 2020, 1,649 by end 2021, 518 in 2022, 3,463 by June 2025, at least 400 a year.
HANOI_TARGETS = {
    "products": 3463,
    "by_category": {
        "food": 2251,
        "handicraft": 1004,
        "beverages": 69,
        "textiles": 69,
        "herbal": 35,
        "tourism": 35,
    },
    # 5★ / potential 5★ (4★ with the flag) / other 4★ / 3★
    "by_stars": {"5": 10, "4p": 35, "4": 2286, "3": 1132},
    "by_year": {2019: 450, 2020: 604, 2021: 595, 2022: 518, 2023: 420, 2024: 456, 2025: 420},
    "sales_points": 110,
    # The districts (before 1 July 2025) the products rated in 2022 came from.
    "districts_2022": 26,
    "sourcing_requests": 40,
    "raw_households": 3000,
}

NATIONAL_SCALE = {
    "provinces": 34,
    "communes": 3321,
    "producers": 10_000,
    "households": 200_000,
    "products": 17_000,
    "stores": 10_000,
    "sales_points": 1_000,
}

_EPOCH = dt.date(1970, 1, 1)
_LAST_DAY = dt.date(2025, 6, 30)

_UNITS = {
    "food": ("kg", 100, 3000, 40_000, 400_000),
    "beverages": ("chai", 200, 5000, 50_000, 600_000),
    "herbal": ("hộp", 50, 1500, 80_000, 800_000),
    "textiles": ("chiếc", 20, 600, 150_000, 3_000_000),
    "handicraft": ("sản phẩm", 20, 800, 100_000, 5_000_000),
    "tourism": ("lượt khách", 50, 2000, 100_000, 1_500_000),
}

_GENERIC_PRODUCTS = {
    "food": (
        "Giò chả {p}",
        "Gạo nếp cái hoa vàng {p}",
        "Mật ong {p}",
        "Bánh chưng {p}",
        "Trứng gà sạch {p}",
        "Rau an toàn {p}",
        "Bưởi diễn {p}",
        "Nhãn chín muộn {p}",
        "Thịt lợn sạch {p}",
        "Tương {p}",
        "Ruốc thịt {p}",
        "Nem chua {p}",
        "Gạo J02 {p}",
        "Cá thính {p}",
        "Ổi {p}",
        "Dưa chuột {p}",
        "Bún khô {p}",
        "Chả cá {p}",
    ),
    "beverages": ("Trà xanh {p}", "Rượu nếp {p}", "Nước cốt gừng {p}", "Trà sen {p}"),
    "herbal": ("Trà thảo dược {p}", "Tinh dầu {p}", "Cao dược liệu {p}", "Trà túi lọc {p}"),
    "textiles": ("Khăn thêu {p}", "Áo dài {p}", "Túi vải thổ cẩm {p}", "Đồ len {p}"),
    "handicraft": (
        "Mây tre đan {p}",
        "Đồ gỗ mỹ nghệ {p}",
        "Tranh thêu {p}",
        "Đèn lồng {p}",
        "Chổi chít {p}",
        "Hoa lụa {p}",
    ),
    "tourism": ("Du lịch nông nghiệp {p}", "Trải nghiệm làng nghề {p}"),
}
_VARIANTS = (
    "loại đặc biệt",
    "hộp quà",
    "túi 500 g",
    "hũ 1 kg",
    "loại 1",
    "bao bì mới",
    "hộp 6 sản phẩm",
    "phiên bản quà tặng",
    "cỡ lớn",
    "cỡ nhỏ",
)
_TRADE_WORD = {
    "food": "Nông nghiệp",
    "beverages": "Chè và đồ uống",
    "herbal": "Dược liệu",
    "textiles": "Dệt may",
    "handicraft": "Thủ công mỹ nghệ",
    "tourism": "Du lịch",
}
_SURNAMES = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Phan",
    "Vũ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Đinh",
    "Trịnh",
)
_MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Hữu", "Thanh", "Ngọc", "Quang", "Thu", "Xuân")
_GIVEN = (
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hà",
    "Hải",
    "Hạnh",
    "Hòa",
    "Hùng",
    "Hương",
    "Lan",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Phong",
    "Phương",
    "Quân",
    "Sơn",
    "Tâm",
    "Thắng",
    "Thảo",
    "Thủy",
    "Trung",
    "Tuấn",
    "Vân",
    "Yến",
    "Khánh",
    "Linh",
    "Đạt",
)
_BRAND = (
    "Minh",
    "Phát",
    "Hoàng",
    "Long",
    "An",
    "Phú",
    "Thành",
    "Đạt",
    "Hưng",
    "Thịnh",
    "Việt",
    "Tâm",
    "Phúc",
    "Lộc",
    "Gia",
    "Bảo",
    "Kim",
    "Ngọc",
    "Xuân",
    "Hòa",
)

# (code, name, categories, min_stars, store names and counts); the counts are the demo's stores.
_HANOI_CHAINS = (
    (
        "CH-AEON",
        "AEON Việt Nam",
        "food;beverages;handicraft;textiles",
        4,
        (("AEON Mall {d}", 2), ("AEON MaxValu {c}", 10)),
    ),
    (
        "CH-WINMART",
        "WinCommerce (WinMart / WinMart+)",
        "food;beverages;herbal",
        3,
        (("WinMart {d}", 12), ("WinMart+ {c}", 100)),
    ),
    (
        "CH-CENTRAL",
        "Central Retail (GO! / Tops)",
        "food;beverages;handicraft",
        4,
        (("GO! {d}", 3), ("Tops Market {d}", 5)),
    ),
    (
        "CH-HAPRO",
        "Hapro",
        "food;beverages;herbal;handicraft;textiles",
        3,
        (("Hapro Mart {c}", 20),),
    ),
    ("CH-BRG", "BRG Mart", "food;beverages;herbal", 3, (("BRG Mart {c}", 18),)),
    (
        "CH-COOP",
        "Saigon Co.op (Co.opmart / Co.op Food)",
        "food;beverages;herbal",
        3,
        (("Co.opmart {d}", 5), ("Co.op Food {c}", 10)),
    ),
)
_PLATFORMS = (
    ("EC-POSTMART", "Postmart (Bưu điện Việt Nam)"),
    ("EC-VOSO", "Voso (Viettel Post)"),
    ("EC-TIKI", "Tiki"),
    ("EC-LAZADA", "Lazada"),
    ("EC-SHOPEE", "Shopee"),
)
_PLATFORM_CATEGORIES = "food;beverages;herbal;textiles;handicraft"
_HANOI_TRADERS = (
    (
        "HN-WS-LONGBIEN",
        "Chợ đầu mối nông sản Long Biên",
        "wholesaler",
        "LONG_BIEN",
        "food;beverages",
    ),
    ("HN-WS-MINHKHAI", "Chợ đầu mối Minh Khai", "wholesaler", "BAC_TU_LIEM", "food"),
    ("HN-WS-DONGANH", "Chợ đầu mối Đông Anh", "wholesaler", "DONG_ANH", "food;beverages"),
    (
        "HN-DS-THUDO",
        "Công ty Phân phối Nông sản Thủ Đô",
        "distributor",
        "HOANG_MAI",
        "food;beverages;herbal",
    ),
    (
        "HN-DS-LANGNGHE",
        "Công ty Xuất khẩu Hàng thủ công Làng Việt",
        "distributor",
        "GIA_LAM",
        "handicraft;textiles",
    ),
    (
        "HN-DS-QUATANG",
        "Công ty Quà tặng Đất Việt",
        "distributor",
        "CAU_GIAY",
        "food;beverages;handicraft;textiles;herbal",
    ),
)
_HANOI = "01"  # Hà Nội's official code


def _read_csv(name: str) -> list[dict]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _exact_labels(counts: Mapping, rng: np.random.Generator) -> np.ndarray:
    """An array holding each label exactly ``counts[label]`` times, in random order."""
    labels = np.concatenate([np.full(n, label, dtype=object) for label, n in counts.items()])
    return rng.permutation(labels)


def _person(rng: np.random.Generator) -> str:
    return " ".join(
        (
            _SURNAMES[rng.integers(len(_SURNAMES))],
            _MIDDLE[rng.integers(len(_MIDDLE))],
            _GIVEN[rng.integers(len(_GIVEN))],
        )
    )


def _brand(rng: np.random.Generator) -> str:
    first, second = rng.choice(len(_BRAND), size=2, replace=False)
    return f"{_BRAND[first]} {_BRAND[second]}"


# --- Hà Nội -------------------------------------------------------------------------------------


def _hanoi_areas() -> tuple[list[dict], dict, list[dict]]:
    """Areas rows; the districts by slug and the communes; the specialty places with the commune
    each sits in.

    The areas are Hà Nội (official code 01), its 126 communes and wards since 1 July 2025 and, for
    the figures published before, its 30 districts of until 30 June 2025, each with its official
    code and centre from ``linkage.admin_units``. A commune's population is its old communes'
    share of their district's census population; its ``district`` is the old district most of
    it came from (``districts`` holds the old communes of each, for the specialty places).
    """
    units = admin_units.gazetteer()
    districts = _read_csv("hanoi_districts.csv")
    old_districts = {
        admin_units.short_key(u.name): u
        for (scheme, level, _code), u in units.units.items()
        if scheme == admin_units.LEGACY and level == "district" and u.province == _HANOI
    }
    old_communes = [
        u
        for (scheme, level, _code), u in units.units.items()
        if scheme == admin_units.LEGACY and level == "commune" and u.province == _HANOI
    ]
    for district in districts:
        unit = old_districts[admin_units.short_key(district["name"])]
        district["code"] = f"HN.{district['slug']}"
        district["official_code"] = unit.code
        district["lat"], district["lon"] = float(district["lat"]), float(district["lon"])
        district["population"] = int(district["population"])
    by_slug = {d["slug"]: d for d in districts}
    slug_of = {d["official_code"]: d["slug"] for d in districts}
    wards_in = defaultdict(int)
    for old in old_communes:
        wards_in[old.district] += 1

    communes: dict[str, dict] = {}
    for (scheme, level, _code), unit in sorted(units.units.items()):
        if scheme == admin_units.CURRENT and level == "commune" and unit.province == _HANOI:
            communes[unit.code] = {
                "code": f"HN.{fold_key(unit.name).upper()}",
                "official_code": unit.code,
                "name": unit.name,
                "short": unit.short_name,
                "lat": unit.lat,
                "lon": unit.lon,
                "population": 0.0,
                "_districts": defaultdict(float),
            }
    for old in old_communes:
        new = units.successors_of(old)
        district = by_slug[slug_of[old.district]]
        share = district["population"] / wards_in[old.district] / max(len(new), 1)
        for unit in new:
            communes[unit.code]["population"] += share
            communes[unit.code]["_districts"][district["slug"]] += share
    for commune in communes.values():
        commune["district"] = max(commune["_districts"], key=commune["_districts"].get)
        commune["population"] = int(round(commune["population"]))
        commune["weight"] = float(commune["population"])
    by_official = communes
    commune_rows = sorted(communes.values(), key=lambda c: c["code"])

    specialties = []
    for row in _read_csv("hanoi_specialty_places.csv"):
        commune = _specialty_commune(row, units, old_communes, by_slug, by_official)
        specialties.append(
            {
                "commune": commune["code"],
                "district": row["district"],
                "category": row["category"],
                "weight": float(row["weight"]),
                "products": row["products"].split("|"),
            }
        )
    areas = [
        {
            "code": "HN",
            "name": "Hà Nội",
            "level": "province",
            "parent_code": None,
            "lat": 21.0245,
            "lon": 105.84117,
            "population": sum(d["population"] for d in districts),
            "official_code": _HANOI,
            "scheme": "current",
            "successor_code": None,
        }
    ]
    for district in districts:
        prefix = {"quan": "Quận", "huyen": "Huyện", "thi_xa": "Thị xã"}[district["kind"]]
        areas.append(
            {
                "code": district["code"],
                "name": f"{prefix} {district['name']}",
                "level": "district",
                "parent_code": "HN",
                "lat": district["lat"],
                "lon": district["lon"],
                "population": district["population"],
                "official_code": district["official_code"],
                "scheme": "legacy",
                "successor_code": None,
            }
        )
    for c in commune_rows:
        del c["_districts"]
        areas.append(
            {
                "code": c["code"],
                "name": c["name"],
                "level": "commune",
                "parent_code": "HN",
                "lat": round(c["lat"], 6),
                "lon": round(c["lon"], 6),
                "population": c["population"],
                "official_code": c["official_code"],
                "scheme": "current",
                "successor_code": None,
            }
        )
    return areas, {"districts": by_slug, "communes": commune_rows}, specialties


def _specialty_commune(row, units, old_communes, by_slug, by_official) -> dict:
    """The commune (since 1 July 2025) a specialty place of an old district lies in: the one its
    old commune of that name went into, else the nearest of those its district's went into."""
    district = by_slug[row["district"]]["official_code"]
    key = admin_units.short_key(row["place"])
    same = [
        o for o in old_communes if o.district == district and admin_units.short_key(o.name) == key
    ]
    if same and units.successors_of(same[0]):
        return by_official[units.successors_of(same[0])[0].code]
    candidates = {
        new.code
        for old in old_communes
        if old.district == district
        for new in units.successors_of(old)
    }
    nearest = min(
        sorted(candidates),
        key=lambda code: float(
            haversine_km(
                float(row["lat"]),
                float(row["lon"]),
                by_official[code]["lat"],
                by_official[code]["lon"],
            )
        ),
    )
    return by_official[nearest]


def _rated_dates(rng: np.random.Generator) -> np.ndarray:
    days = []
    for year, count in HANOI_TARGETS["by_year"].items():
        start = dt.date(year, 3, 1) if year == 2019 else dt.date(year, 1, 10)
        end = _LAST_DAY if year == 2025 else dt.date(year, 12, 20)
        offsets = rng.integers(0, (end - start).days + 1, size=count)
        days.extend(start + dt.timedelta(days=int(o)) for o in offsets)
    return np.array(sorted(days), dtype=object)


_KIND_MIX = {
    "food": {"enterprise": 0.30, "cooperative": 0.32, "cooperative_group": 0.08, "household": 0.30},
    "beverages": {
        "enterprise": 0.45,
        "cooperative": 0.35,
        "cooperative_group": 0.0,
        "household": 0.20,
    },
    "herbal": {
        "enterprise": 0.45,
        "cooperative": 0.40,
        "cooperative_group": 0.0,
        "household": 0.15,
    },
    "textiles": {
        "enterprise": 0.30,
        "cooperative": 0.25,
        "cooperative_group": 0.10,
        "household": 0.35,
    },
    "handicraft": {
        "enterprise": 0.25,
        "cooperative": 0.25,
        "cooperative_group": 0.10,
        "household": 0.40,
    },
    "tourism": {
        "enterprise": 0.40,
        "cooperative": 0.60,
        "cooperative_group": 0.0,
        "household": 0.0,
    },
}


def _producer_name(kind: str, category: str, place: str, rng: np.random.Generator) -> str:
    if kind == "enterprise":
        form = ("Công ty TNHH", "Công ty Cổ phần")[int(rng.integers(2))]
        return f"{form} {_brand(rng)} {place}"
    if kind == "cooperative":
        return f"Hợp tác xã {_TRADE_WORD[category]} {place} {_brand(rng)}"
    if kind == "cooperative_group":
        return f"Tổ hợp tác {_TRADE_WORD[category]} {place} {_brand(rng)}"
    return f"Hộ kinh doanh {_person(rng)}"


def hanoi_demo_tables(seed: int = 2025) -> dict[str, list[dict]]:
    """The Hà Nội demo dataset, deterministic for ``seed``.

    Returns a dict from each interchange table name (``TABLE_COLUMNS``) to a list of row dicts
    with those columns; empty values are None, dates ISO strings, categories ";"-separated.
    """
    rng = np.random.default_rng(seed)
    areas, geo, specialties = _hanoi_areas()
    districts, communes = geo["districts"], geo["communes"]
    commune_by_code = {c["code"]: c for c in communes}
    c_pop = np.array([c["population"] for c in communes], dtype=float)
    c_rural = np.array([districts[c["district"]]["profile"] != "urban" for c in communes])

    # Products: exact published proportions, then each assigned to a producer of its group.
    n_products = HANOI_TARGETS["products"]
    categories = _exact_labels(HANOI_TARGETS["by_category"], rng)
    star_labels = _exact_labels(HANOI_TARGETS["by_stars"], rng)
    rated = _rated_dates(rng)
    producers: list[dict] = []
    products: list[dict] = []
    product_index_by_producer: dict[str, list[int]] = defaultdict(list)
    for category in CATEGORIES:
        idx = np.flatnonzero(categories == category)
        if not len(idx):
            continue
        per_producer = 1.6 if category == "tourism" else 2.8
        n_prod = max(1, int(round(len(idx) / per_producer)))
        places = [s for s in specialties if s["category"] == category]
        place_w = np.array([s["weight"] for s in places], dtype=float)
        generic_w = c_pop * np.where(c_rural, 1.0, 0.15 if category != "handicraft" else 0.3)
        mix = _KIND_MIX[category]
        kinds = rng.choice(list(mix), size=n_prod, p=np.array(list(mix.values())))
        at_place = rng.random(n_prod) < (0.8 if places else 0.0)
        group_producers = []
        for i in range(n_prod):
            if at_place[i]:
                place = places[int(rng.choice(len(places), p=place_w / place_w.sum()))]
                commune = commune_by_code[place["commune"]]
                templates = place["products"]
                old_district = place["district"]
            else:
                commune = communes[int(rng.choice(len(communes), p=generic_w / generic_w.sum()))]
                templates = [t.format(p=commune["short"]) for t in _GENERIC_PRODUCTS[category]]
                old_district = commune["district"]
            kind = str(kinds[i])
            code = f"HN-P{len(producers) + 1:05d}"
            members = None
            if kind == "cooperative":
                members = int(rng.integers(7, 150))
            elif kind == "cooperative_group":
                members = int(rng.integers(3, 15))
            producers.append(
                {
                    "code": code,
                    "name": _producer_name(kind, category, commune["short"], rng),
                    "kind": kind,
                    "area_code": commune["code"],
                    "address": f"{commune['name']}, Hà Nội",
                    "lat": round(commune["lat"] + rng.normal(0, 0.006), 6),
                    "lon": round(commune["lon"] + rng.normal(0, 0.006), 6),
                    "members": members,
                    "legacy_area_code": districts[old_district]["code"],
                    "_category": category,
                    "_templates": templates,
                }
            )
            group_producers.append(len(producers) - 1)
        size_w = rng.lognormal(0, 0.8, size=n_prod)
        owners = (
            np.concatenate(
                [
                    np.arange(n_prod),
                    rng.choice(n_prod, size=len(idx) - n_prod, p=size_w / size_w.sum()),
                ]
            )
            if len(idx) > n_prod
            else np.arange(len(idx))
        )
        for product_i, owner in zip(idx, rng.permutation(owners), strict=True):
            product_index_by_producer[producers[group_producers[owner]]["code"]].append(
                int(product_i)
            )

    unit_rows = {}
    for producer in producers:
        used: dict[str, int] = defaultdict(int)
        for product_i in product_index_by_producer[producer["code"]]:
            category = producer["_category"]
            templates = producer["_templates"]
            base = templates[int(rng.integers(len(templates)))]
            used[base] += 1
            name = base if used[base] == 1 else f"{base} {_VARIANTS[(used[base] - 2) % 10]}"
            label = star_labels[product_i]
            stars = 4 if label == "4p" else int(label)
            unit, cap_lo, cap_hi, price_lo, price_hi = _UNITS[category]
            unit_rows[product_i] = {
                "code": f"HN-SP{product_i + 1:05d}",
                "name": name,
                "producer_code": producer["code"],
                "category": category,
                "stars": stars,
                "potential_five_star": label == "4p",
                "rated_on": rated[product_i],
                "capacity_per_month": float(
                    round(math.exp(rng.uniform(math.log(cap_lo), math.log(cap_hi))))
                ),
                "unit": unit,
                "price_vnd": int(
                    round(math.exp(rng.uniform(math.log(price_lo), math.log(price_hi))), -3)
                ),
                "traceability_url": (
                    f"https://ocop.example.org/truy-xuat/HN-SP{product_i + 1:05d}"
                    if stars >= 4 and rng.random() < 0.7
                    else None
                ),
            }
    _rated_2022_in_published_districts(unit_rows, producers, rng)
    for product_i in range(n_products):
        row = unit_rows[product_i]
        products.append({**row, "rated_on": _iso(row["rated_on"])})

    buyers = _hanoi_buyers(rng, districts, communes, c_pop)
    linkages, raw_households = _hanoi_linkages(
        rng, producers, products, product_index_by_producer, buyers, communes
    )
    requests = _hanoi_sourcing_requests(rng, buyers, producers, products)
    producer_rows = [
        {k: v for k, v in p.items() if not k.startswith("_")} for p in producers
    ] + raw_households
    return {
        "areas": areas,
        "producers": producer_rows,
        "products": products,
        "buyers": [{k: v for k, v in b.items() if not k.startswith("_")} for b in buyers],
        "linkages": linkages,
        "sourcing_requests": requests,
    }


def _rated_2022_in_published_districts(unit_rows: dict, producers: list[dict], rng) -> None:
    """Make the products rated in 2022 come from ``HANOI_TARGETS["districts_2022"]`` districts,
    as published (518 products "thuộc 26 quận, huyện, thị xã").

    The districts with the fewest 2022 products give their 2022 ratings away: each such rating
    date is swapped with that of a product of the same group rated in another year in a district
    that keeps them, so the counts by year, group and stars stay exact.
    """
    district_of = {p["code"]: p["legacy_area_code"] for p in producers}
    rows = list(unit_rows.values())
    in_2022 = defaultdict(list)
    for row in rows:
        if row["rated_on"].year == 2022:
            in_2022[district_of[row["producer_code"]]].append(row)
    keep = HANOI_TARGETS["districts_2022"]
    ranked = sorted(in_2022, key=lambda code: (-len(in_2022[code]), code))
    dropped = set(ranked[keep:])
    for district in sorted(dropped):
        for row in in_2022[district]:
            partners = [
                other
                for other in rows
                if other["category"] == row["category"]
                and other["rated_on"].year != 2022
                and district_of[other["producer_code"]] not in dropped
            ]
            partner = partners[int(rng.integers(len(partners)))]
            row["rated_on"], partner["rated_on"] = partner["rated_on"], row["rated_on"]


def _place_in(rng, communes, weights, jitter=0.008) -> tuple[dict, float, float]:
    commune = communes[int(rng.choice(len(communes), p=weights / weights.sum()))]
    return (
        commune,
        round(commune["lat"] + rng.normal(0, jitter), 6),
        round(commune["lon"] + rng.normal(0, jitter), 6),
    )


def _hanoi_buyers(rng, districts, communes, c_pop) -> list[dict]:
    urban = np.array([districts[c["district"]]["profile"] == "urban" for c in communes])
    store_w = c_pop * np.where(urban, 3.0, 1.0)
    buyers: list[dict] = []
    for code, name, cats, min_stars, formats in _HANOI_CHAINS:
        buyers.append(
            {
                "code": code,
                "name": name,
                "kind": "retail_chain",
                "chain_code": None,
                "area_code": None,
                "address": None,
                "lat": None,
                "lon": None,
                "categories": cats,
                "min_stars": min_stars,
            }
        )
        n = 0
        for pattern, count in formats:
            seen: dict[str, int] = defaultdict(int)
            for _ in range(count):
                commune, lat, lon = _place_in(rng, communes, store_w)
                district = districts[commune["district"]]
                label = pattern.format(d=district["name"], c=commune["short"])
                seen[label] += 1
                if seen[label] > 1:
                    label = f"{label} {seen[label]}"
                n += 1
                buyers.append(
                    {
                        "code": f"{code}-{n:03d}",
                        "name": label,
                        "kind": "store",
                        "chain_code": code,
                        "area_code": commune["code"],
                        "address": f"{commune['name']}, {district['name']}, Hà Nội",
                        "lat": lat,
                        "lon": lon,
                        "categories": cats,
                        "min_stars": min_stars,
                    }
                )
    # Every district has an OCOP sales point; the rest follow population, more in the city.
    district_of = np.array([c["district"] for c in communes], dtype=object)
    sales_w = c_pop * np.where(urban, 1.5, 1.0)
    picks = []
    for slug in districts:
        mask = district_of == slug
        picks.append(_place_in(rng, communes, np.where(mask, sales_w, 0.0)))
    for _ in range(HANOI_TARGETS["sales_points"] - len(picks)):
        picks.append(_place_in(rng, communes, sales_w))
    seen = defaultdict(int)
    for i, (commune, lat, lon) in enumerate(picks, start=1):
        district = districts[commune["district"]]
        seen[commune["code"]] += 1
        suffix = f" số {seen[commune['code']]}" if seen[commune["code"]] > 1 else ""
        buyers.append(
            {
                "code": f"HN-DB{i:03d}",
                "name": f"Điểm giới thiệu và bán sản phẩm OCOP {commune['short']}{suffix}",
                "kind": "sales_point",
                "chain_code": None,
                "area_code": commune["code"],
                "address": f"{commune['name']}, {district['name']}, Hà Nội",
                "lat": lat,
                "lon": lon,
                "categories": ";".join(CATEGORIES),
                "min_stars": 3,
            }
        )
    for code, name in _PLATFORMS:
        buyers.append(
            {
                "code": code,
                "name": name,
                "kind": "ecommerce",
                "chain_code": None,
                "area_code": None,
                "address": None,
                "lat": None,
                "lon": None,
                "categories": _PLATFORM_CATEGORIES,
                "min_stars": 3,
            }
        )
    for code, name, kind, slug, cats in _HANOI_TRADERS:
        district = districts[slug]
        members = [c for c in communes if c["district"] == slug]
        commune = members[0]
        buyers.append(
            {
                "code": code,
                "name": name,
                "kind": kind,
                "chain_code": None,
                "area_code": commune["code"],
                "address": f"{district['name']}, Hà Nội",
                "lat": round(commune["lat"], 6),
                "lon": round(commune["lon"], 6),
                "categories": cats,
                "min_stars": 3,
            }
        )
    for buyer in buyers:
        buyer["_cats"] = buyer["categories"].split(";")
    return buyers


def _start_after(rng, rated_on: str | None) -> str:
    start = max(
        dt.date.fromisoformat(rated_on) if rated_on else dt.date(2019, 6, 1), dt.date(2019, 6, 1)
    )
    day = start + dt.timedelta(days=int(rng.integers(15, 420)))
    return _iso(min(day, _LAST_DAY))


# One pass of the simulation in the order its random draws are taken: splitting it would change
# the draws, and with them the published demo figures.
def _hanoi_linkages(rng, producers, products, product_index_by_producer, buyers, communes):  # noqa: C901
    """sells_to with a neighbourhood effect, lists_on, mou, and the raw-material households."""
    linkages: list[dict] = []
    keys: set[tuple] = set()

    def add(source, target, kind, product=None, volume=None, started=None, ended=None):
        key = (kind, source, target, product)
        if key in keys:
            return
        keys.add(key)
        linkages.append(
            {
                "source_code": source,
                "target_code": target,
                "kind": kind,
                "product_code": product,
                "volume_per_month": volume,
                "started_on": started,
                "ended_on": ended,
            }
        )

    outlets = [
        b
        for b in buyers
        if b["kind"] in ("store", "sales_point", "retail_chain", "wholesaler", "distributor")
    ]
    o_lat = np.array([b["lat"] if b["lat"] is not None else np.nan for b in outlets])
    o_lon = np.array([b["lon"] if b["lon"] is not None else np.nan for b in outlets])
    kind_w = {
        "sales_point": 1.6,
        "store": 1.0,
        "retail_chain": 0.6,
        "wholesaler": 0.5,
        "distributor": 0.5,
    }
    o_kind_w = np.array([kind_w[b["kind"]] for b in outlets])
    o_min = np.array([b["min_stars"] for b in outlets])

    clusters: dict[tuple, list[dict]] = defaultdict(list)
    for producer in producers:
        if product_index_by_producer[producer["code"]]:
            clusters[(producer["area_code"], producer["_category"])].append(producer)

    def eligible_products(producer, buyer):
        return [
            products[i]
            for i in product_index_by_producer[producer["code"]]
            if products[i]["stars"] >= buyer["min_stars"]
        ]

    def sell(producer, buyer):
        candidates = eligible_products(producer, buyer)
        if not candidates:
            return
        take = min(len(candidates), 1 + int(rng.random() < 0.3))
        for j in rng.choice(len(candidates), size=take, replace=False):
            product = candidates[int(j)]
            volume = float(round(product["capacity_per_month"] * rng.uniform(0.03, 0.15), 1))
            started = _start_after(rng, product["rated_on"])
            ended = None
            if rng.random() < 0.05:
                ended = _iso(
                    min(dt.date.fromisoformat(started) + dt.timedelta(days=365), _LAST_DAY)
                )
            add(
                producer["code"], buyer["code"], "sells_to", product["code"], volume, started, ended
            )

    for (_commune, category), members in sorted(clusters.items()):
        centre = members[0]
        best = max(
            products[i]["stars"] for p in members for i in product_index_by_producer[p["code"]]
        )
        takes = np.array([category in b["_cats"] for b in outlets]) & (o_min <= best)
        if not takes.any():
            continue
        distance = haversine_km(centre["lat"], centre["lon"], o_lat, o_lon)
        distance = np.where(np.isnan(distance), 15.0, distance)
        weight = np.where(takes, o_kind_w * np.exp(-distance / 8.0), 0.0)
        k = min(int(takes.sum()), 2 + int(rng.poisson(2)))
        cluster_buyers = rng.choice(len(outlets), size=k, replace=False, p=weight / weight.sum())
        for producer in members:
            for b in cluster_buyers:
                if rng.random() < 0.7:
                    sell(producer, outlets[int(b)])
            for b in rng.choice(len(outlets), size=int(rng.poisson(0.8)), p=weight / weight.sum()):
                sell(producer, outlets[int(b)])

    platforms = [b for b in buyers if b["kind"] == "ecommerce"]
    chains = [b for b in buyers if b["kind"] == "retail_chain"]
    for producer in producers:
        own = product_index_by_producer[producer["code"]]
        if not own or rng.random() > 0.3:
            continue
        fits = [p for p in platforms if producer["_category"] in p["_cats"]]
        for platform in (
            rng.choice(len(fits), size=min(len(fits), 1 + int(rng.integers(2))), replace=False)
            if fits
            else []
        ):
            product = products[own[int(rng.integers(len(own)))]]
            add(
                producer["code"],
                fits[int(platform)]["code"],
                "lists_on",
                product["code"],
                None,
                _start_after(rng, product["rated_on"]),
            )
    mou_candidates = [
        p
        for p in producers
        if p["kind"] in ("enterprise", "cooperative")
        and any(products[i]["stars"] >= 4 for i in product_index_by_producer[p["code"]])
    ]
    for i in rng.choice(len(mou_candidates), size=30, replace=False):
        producer = mou_candidates[int(i)]
        fits = [c for c in chains if producer["_category"] in c["_cats"]]
        if fits:
            chain = fits[int(rng.integers(len(fits)))]
            add(
                producer["code"],
                chain["code"],
                "mou",
                None,
                None,
                _iso(dt.date(2020, 11, 1) + dt.timedelta(days=int(rng.integers(0, 1500)))),
            )

    # Raw-material areas: households around cooperatives and enterprises of the farming groups,
    # and cooperatives supplying an enterprise of their district (household → coop → enterprise).
    hubs = [p for p in producers if p["kind"] in ("cooperative", "cooperative_group", "enterprise")]
    hub_w = np.array(
        [
            {"cooperative": 3.0, "cooperative_group": 1.0, "enterprise": 2.0}[p["kind"]]
            * (2.0 if p["_category"] in ("food", "beverages", "herbal") else 1.0)
            for p in hubs
        ]
    )
    by_district: dict[str, list[dict]] = defaultdict(list)
    for c in communes:
        by_district[c["district"]].append(c)
    commune_by_code = {c["code"]: c for c in communes}
    households = []
    for n, h in enumerate(
        rng.choice(len(hubs), size=HANOI_TARGETS["raw_households"], p=hub_w / hub_w.sum()), start=1
    ):
        hub = hubs[int(h)]
        commune = commune_by_code[hub["area_code"]]
        if rng.random() < 0.3:
            nearby = by_district[commune["district"]]
            commune = nearby[int(rng.integers(len(nearby)))]
        code = f"HN-HH{n:05d}"
        households.append(
            {
                "code": code,
                "name": f"Hộ {_person(rng)}",
                "kind": "household",
                "area_code": commune["code"],
                "address": f"{commune['name']}, Hà Nội",
                "lat": round(commune["lat"] + rng.normal(0, 0.008), 6),
                "lon": round(commune["lon"] + rng.normal(0, 0.008), 6),
                "members": None,
                "legacy_area_code": f"HN.{commune['district']}",
            }
        )
        started = _iso(dt.date(2018, 1, 1) + dt.timedelta(days=int(rng.integers(0, 2500))))
        volume = float(round(rng.uniform(50, 800), 0))
        if hub["kind"] == "enterprise" or rng.random() < 0.25:
            add(code, hub["code"], "supplies", None, volume, started)
        else:
            add(code, hub["code"], "member_of", None, None, started)
    enterprises = defaultdict(list)
    for p in producers:
        if p["kind"] == "enterprise":
            enterprises[(commune_by_code[p["area_code"]]["district"], p["_category"])].append(p)
    for p in producers:
        if p["kind"] != "cooperative" or rng.random() > 0.35:
            continue
        fits = enterprises[(commune_by_code[p["area_code"]]["district"], p["_category"])]
        if fits:
            target = fits[int(rng.integers(len(fits)))]
            add(
                p["code"],
                target["code"],
                "supplies",
                None,
                float(round(rng.uniform(500, 5000), 0)),
                _iso(dt.date(2019, 1, 1) + dt.timedelta(days=int(rng.integers(0, 2000)))),
            )
    return linkages, households


def _hanoi_sourcing_requests(rng, buyers, producers, products) -> list[dict]:
    """About 40 open requests of chains and stores; the last few cannot be met in full."""
    producer_by_code = {p["code"]: p for p in producers}
    p_lat = np.array([producer_by_code[p["producer_code"]]["lat"] for p in products])
    p_lon = np.array([producer_by_code[p["producer_code"]]["lon"] for p in products])
    p_cat = np.array([p["category"] for p in products], dtype=object)
    p_stars = np.array([p["stars"] for p in products])
    p_cap = np.array([p["capacity_per_month"] for p in products])
    chains = [b for b in buyers if b["kind"] == "retail_chain"]
    stores = [b for b in buyers if b["kind"] == "store"]
    total = HANOI_TARGETS["sourcing_requests"]
    n_infeasible = 4
    chosen = [chains[i % len(chains)] for i in range(8)] + [
        stores[int(i)] for i in rng.choice(len(stores), size=total - 8, replace=False)
    ]
    requests = []
    for n, buyer in enumerate(chosen, start=1):
        infeasible = n > total - n_infeasible
        cats = [c for c in buyer["_cats"] if c != "tourism"]
        min_stars = buyer["min_stars"]
        max_km = None if buyer["lat"] is None else float(rng.choice([15, 20, 30, 40, 60]))
        if infeasible and max_km is not None:
            max_km = 10.0
        near = np.ones(len(products), dtype=bool)
        if max_km is not None:
            near = haversine_km(buyer["lat"], buyer["lon"], p_lat, p_lon) <= max_km
        supply_of = {
            c: float(p_cap[(p_cat == c) & (p_stars >= min_stars) & near].sum()) for c in cats
        }
        if infeasible:
            # The scarcest group the buyer takes, asked for well beyond what is within reach.
            category = min(cats, key=lambda c: (supply_of[c], c))
            quantity = max(200.0, round(supply_of[category] * 2.5, -1))
        else:
            cats = [c for c in cats if supply_of[c] > 0] or cats
            weights = np.array([3.0 if c == "food" else 1.0 for c in cats])
            category = cats[int(rng.choice(len(cats), p=weights / weights.sum()))]
            ceiling = 20_000.0 if buyer["kind"] == "retail_chain" else 3_000.0
            share = supply_of[category] * rng.uniform(0.005, 0.03)
            quantity = max(10.0, round(min(share, ceiling * rng.uniform(0.3, 1.0)), -1))
        requests.append(
            {
                "code": f"HN-RQ{n:03d}",
                "buyer_code": buyer["code"],
                "category": category,
                "min_stars": min_stars,
                "quantity_per_month": quantity,
                "max_distance_km": max_km,
            }
        )
    return requests


# --- National synthetic set ---------------------------------------------------------------------

# The 34 provinces of 1 July 2025 (GSO codes) with the approximate point of their capital.
_PROVINCES = (
    ("01", "Hà Nội", 21.03, 105.85),
    ("04", "Cao Bằng", 22.67, 106.26),
    ("08", "Tuyên Quang", 21.82, 105.21),
    ("11", "Điện Biên", 21.39, 103.02),
    ("12", "Lai Châu", 22.40, 103.46),
    ("14", "Sơn La", 21.33, 103.91),
    ("15", "Lào Cai", 22.48, 103.97),
    ("19", "Thái Nguyên", 21.59, 105.85),
    ("20", "Lạng Sơn", 21.85, 106.76),
    ("22", "Quảng Ninh", 20.95, 107.07),
    ("24", "Bắc Ninh", 21.19, 106.08),
    ("25", "Phú Thọ", 21.32, 105.40),
    ("31", "Hải Phòng", 20.86, 106.68),
    ("33", "Hưng Yên", 20.65, 106.05),
    ("37", "Ninh Bình", 20.25, 105.97),
    ("38", "Thanh Hóa", 19.81, 105.78),
    ("40", "Nghệ An", 18.67, 105.69),
    ("42", "Hà Tĩnh", 18.34, 105.91),
    ("44", "Quảng Trị", 16.75, 107.19),
    ("46", "Huế", 16.46, 107.59),
    ("48", "Đà Nẵng", 16.05, 108.20),
    ("51", "Quảng Ngãi", 15.12, 108.80),
    ("52", "Gia Lai", 13.98, 108.00),
    ("56", "Khánh Hòa", 12.24, 109.19),
    ("66", "Đắk Lắk", 12.67, 108.04),
    ("68", "Lâm Đồng", 11.94, 108.44),
    ("75", "Đồng Nai", 10.95, 106.82),
    ("79", "Hồ Chí Minh", 10.78, 106.70),
    ("80", "Tây Ninh", 11.31, 106.10),
    ("82", "Đồng Tháp", 10.46, 105.63),
    ("86", "Vĩnh Long", 10.25, 105.97),
    ("91", "An Giang", 10.38, 105.44),
    ("92", "Cần Thơ", 10.03, 105.78),
    ("96", "Cà Mau", 9.18, 105.15),
)
_COMMUNE_WORDS = (
    "An",
    "Bình",
    "Phú",
    "Tân",
    "Hòa",
    "Thành",
    "Đông",
    "Tây",
    "Nam",
    "Bắc",
    "Hưng",
    "Lộc",
    "Phước",
    "Thịnh",
    "Vĩnh",
    "Long",
    "Xuân",
    "Thanh",
    "Minh",
    "Quang",
    "Trung",
    "Sơn",
    "Hải",
    "Hồng",
    "Kim",
    "Mỹ",
    "Phong",
    "Thuận",
    "Tiến",
    "Yên",
)
_NATIONAL_CHAINS = (
    "WinMart",
    "Co.opmart",
    "Bách hóa Xanh",
    "AEON",
    "GO!",
    "Tops Market",
    "Lotte Mart",
    "MM Mega Market",
    "Hapro",
    "BRG Mart",
    "Satra",
    "Co.op Food",
    "Circle K",
    "FamilyMart",
    "Ministop",
    "GS25",
    "7-Eleven",
    "Kingfoodmart",
    "Bác Tôm",
    "Soi Biển",
    "Organica",
    "Vinamilk Store",
    "Emart",
    "Big C",
    "Fivimart",
    "Intimex",
    "Citimart",
    "Nam An Market",
    "Annam Gourmet",
    "Finelife",
    "Hapro Food",
    "Vissan",
    "Sense Market",
    "Mega Mart",
)
_NATIONAL_CATEGORY_P = np.array([0.66, 0.06, 0.05, 0.03, 0.17, 0.03])
_STAR_P = np.array([0.003, 0.01, 0.657, 0.33])  # 5★, potential 5★, 4★, 3★


def _cat_mask_strings(mask: np.ndarray) -> np.ndarray:
    """ ";"-joined category codes for each row of a boolean (rows × 6) matrix."""
    out = np.full(len(mask), "", dtype=object)
    for j, code in enumerate(CATEGORIES):
        out = np.where(mask[:, j], np.where(out == "", code, out + ";" + code), out)
    return out


def synthetic_frames(
    *,
    provinces: int = 3,
    communes: int = 120,
    producers: int = 400,
    households: int = 4000,
    products: int = 700,
    stores: int = 300,
    sales_points: int = 40,
    seed: int = 0,
    chains: int | None = None,
    sourcing_requests: int | None = None,
) -> dict[str, pd.DataFrame]:
    """A synthetic country in the interchange format, one DataFrame per table.

    ``producers`` counts cooperatives, cooperative groups and enterprises; ``households`` are
    raw-material households (kind household) tied to them by member_of or supplies. Areas are
    provinces and communes (the two-level units since July 2025). Chains default to a few dozen,
    sourcing requests to one per 17 products; five e-commerce platforms are always added.
    The defaults make a small three-province set for quick experiments and tests.
    Raises ValueError when a count is too small to build the set (fewer communes than provinces,
    fewer products than producers, no province, commune or producer).
    """
    if provinces < 1 or communes < provinces or producers < 1 or products < producers:
        raise ValueError("need provinces >= 1, communes >= provinces, products >= producers >= 1")
    rng = np.random.default_rng(seed)
    n_chains = chains if chains is not None else min(len(_NATIONAL_CHAINS), 2 + stores // 300)
    n_requests = sourcing_requests if sourcing_requests is not None else max(1, products // 17)

    # Areas.
    base = [_PROVINCES[i % len(_PROVINCES)] for i in range(provinces)]
    prov_code = np.array(
        [f"VN-{b[0]}" if i < len(_PROVINCES) else f"VN-X{i:03d}" for i, b in enumerate(base)],
        dtype=object,
    )
    prov_name = np.array(
        [b[1] if i < len(_PROVINCES) else f"{b[1]} {i}" for i, b in enumerate(base)], dtype=object
    )
    prov_lat = np.array([b[2] for b in base])
    prov_lon = np.array([b[3] for b in base])
    c_prov = np.concatenate(
        [np.arange(provinces), rng.integers(0, provinces, communes - provinces)]
    )
    c_prov.sort()
    c_lat = np.clip(prov_lat[c_prov] + rng.normal(0, 0.25, communes), -89, 89).round(5)
    c_lon = np.clip(prov_lon[c_prov] + rng.normal(0, 0.25, communes), -179, 179).round(5)
    c_pop = rng.lognormal(np.log(25_000), 0.6, communes).astype(np.int64)
    words = np.array(_COMMUNE_WORDS, dtype=object)
    prefix = np.where(rng.random(communes) < 0.25, "Phường ", "Xã ")
    first = rng.integers(0, len(words), communes)
    second = (first + rng.integers(1, len(words), communes)) % len(words)
    c_short = words[first] + " " + words[second]
    c_name = prefix + c_short
    c_code = np.array([f"C{i:05d}" for i in range(1, communes + 1)], dtype=object)
    prov_pop = np.bincount(c_prov, weights=c_pop, minlength=provinces).astype(np.int64)
    areas = pd.concat(
        [
            pd.DataFrame(
                {
                    "code": prov_code,
                    "name": prov_name,
                    "level": "province",
                    "parent_code": None,
                    "lat": prov_lat,
                    "lon": prov_lon,
                    "population": prov_pop,
                }
            ),
            pd.DataFrame(
                {
                    "code": c_code,
                    "name": c_name,
                    "level": "commune",
                    "parent_code": prov_code[c_prov],
                    "lat": c_lat,
                    "lon": c_lon,
                    "population": c_pop,
                }
            ),
        ],
        ignore_index=True,
    )

    # Producers (non-household) and their products.
    p_comm = rng.choice(communes, size=producers, p=c_pop / c_pop.sum())
    p_kind = rng.choice(
        np.array(["enterprise", "cooperative", "cooperative_group"], dtype=object),
        size=producers,
        p=[0.35, 0.5, 0.15],
    )
    p_code = np.array([f"PR{i:06d}" for i in range(1, producers + 1)], dtype=object)
    brand = np.array([f"{a} {b}" for a in _BRAND for b in _BRAND if a != b], dtype=object)
    kind_label = (
        pd.Series(p_kind)
        .map(
            {
                "enterprise": "Công ty TNHH",
                "cooperative": "Hợp tác xã",
                "cooperative_group": "Tổ hợp tác",
            }
        )
        .to_numpy(dtype=object)
    )
    p_lat = (c_lat[p_comm] + rng.normal(0, 0.01, producers)).round(6)
    p_lon = (c_lon[p_comm] + rng.normal(0, 0.01, producers)).round(6)
    members = np.where(
        p_kind == "enterprise", np.nan, rng.integers(5, 120, producers).astype(float)
    )
    producer_frame = pd.DataFrame(
        {
            "code": p_code,
            "name": kind_label
            + " "
            + brand[rng.integers(0, len(brand), producers)]
            + " "
            + np.char.add("", (p_comm + 1).astype(str)).astype(object),
            "kind": p_kind,
            "area_code": c_code[p_comm],
            "address": c_name[p_comm],
            "lat": p_lat,
            "lon": p_lon,
            "members": pd.array(members, dtype="Int64"),
        }
    )
    p_cat = rng.choice(len(CATEGORIES), size=producers, p=_NATIONAL_CATEGORY_P)

    owner = np.concatenate([np.arange(producers), rng.integers(0, producers, products - producers)])
    owner = rng.permutation(owner)
    cat_idx = p_cat[owner]
    star_draw = rng.choice(4, size=products, p=_STAR_P)
    stars = np.array([5, 4, 4, 3])[star_draw]
    units = np.array([_UNITS[c][0] for c in CATEGORIES], dtype=object)
    cap_lo = np.log([_UNITS[c][1] for c in CATEGORIES])
    cap_hi = np.log([_UNITS[c][2] for c in CATEGORIES])
    price_lo = np.log([_UNITS[c][3] for c in CATEGORIES])
    price_hi = np.log([_UNITS[c][4] for c in CATEGORIES])
    u = rng.random(products)
    capacity = np.exp(cap_lo[cat_idx] + u * (cap_hi[cat_idx] - cap_lo[cat_idx])).round()
    price = (
        np.exp(price_lo[cat_idx] + rng.random(products) * (price_hi[cat_idx] - price_lo[cat_idx]))
        / 1000
    ).round() * 1000
    rated_days = rng.integers(
        (dt.date(2019, 3, 1) - _EPOCH).days, (_LAST_DAY - _EPOCH).days + 1, products
    )
    rated = pd.to_datetime(rated_days, unit="D").strftime("%Y-%m-%d").to_numpy(dtype=object)
    sp_code = np.array([f"SP{i:06d}" for i in range(1, products + 1)], dtype=object)
    generic = {
        c: np.array([t.replace(" {p}", "") for t in _GENERIC_PRODUCTS[c]], dtype=object)
        for c in CATEGORIES
    }
    names = np.empty(products, dtype=object)
    for j, code in enumerate(CATEGORIES):
        rows = np.flatnonzero(cat_idx == j)
        names[rows] = generic[code][rng.integers(0, len(generic[code]), len(rows))]
    names = names + " " + c_short[p_comm[owner]]
    product_frame = pd.DataFrame(
        {
            "code": sp_code,
            "name": names,
            "producer_code": p_code[owner],
            "category": np.array(CATEGORIES, dtype=object)[cat_idx],
            "stars": stars,
            "potential_five_star": star_draw == 1,
            "rated_on": rated,
            "capacity_per_month": capacity,
            "unit": units[cat_idx],
            "price_vnd": price.astype(np.int64),
            "traceability_url": None,
        }
    )

    # Households around the producers: most in the producer's commune, some elsewhere nearby.
    hub = rng.integers(0, producers, households)
    h_comm = np.where(
        rng.random(households) < 0.8, p_comm[hub], rng.integers(0, communes, households)
    )
    h_code = np.array([f"HH{i:07d}" for i in range(1, households + 1)], dtype=object)
    surnames = np.array(_SURNAMES, dtype=object)
    given = np.array(_GIVEN, dtype=object)
    middle = np.array(_MIDDLE, dtype=object)
    household_frame = pd.DataFrame(
        {
            "code": h_code,
            "name": "Hộ "
            + surnames[rng.integers(0, len(surnames), households)]
            + " "
            + middle[rng.integers(0, len(middle), households)]
            + " "
            + given[rng.integers(0, len(given), households)],
            "kind": "household",
            "area_code": c_code[h_comm],
            "address": c_name[h_comm],
            "lat": (c_lat[h_comm] + rng.normal(0, 0.01, households)).round(6),
            "lon": (c_lon[h_comm] + rng.normal(0, 0.01, households)).round(6),
            "members": pd.array(np.full(households, np.nan), dtype="Int64"),
        }
    )
    supplies = (p_kind[hub] == "enterprise") | (rng.random(households) < 0.2)
    start_days = rng.integers(
        (dt.date(2018, 1, 1) - _EPOCH).days, (_LAST_DAY - _EPOCH).days, households
    )
    household_links = pd.DataFrame(
        {
            "source_code": h_code,
            "target_code": p_code[hub],
            "kind": np.where(supplies, "supplies", "member_of"),
            "product_code": None,
            "volume_per_month": np.where(
                supplies, rng.uniform(50, 800, households).round(), np.nan
            ),
            "started_on": pd.to_datetime(start_days, unit="D").strftime("%Y-%m-%d"),
            "ended_on": None,
        }
    )

    # Buyers: chains, their stores, sales points, platforms.
    chain_names = np.array(
        [
            _NATIONAL_CHAINS[i % len(_NATIONAL_CHAINS)]
            + ("" if i < len(_NATIONAL_CHAINS) else f" {i}")
            for i in range(n_chains)
        ],
        dtype=object,
    )
    chain_code = np.array([f"CHN{i:03d}" for i in range(1, n_chains + 1)], dtype=object)
    chain_cats = rng.random((n_chains, len(CATEGORIES))) < np.array([1, 0.9, 0.5, 0.3, 0.4, 0])
    chain_cats[:, 0] = True
    chain_min = np.where(rng.random(n_chains) < 0.3, 4, 3)
    chain_w = 1.0 / np.arange(1, n_chains + 1)
    s_chain = rng.choice(n_chains, size=stores, p=chain_w / chain_w.sum())
    urbanity = c_pop.astype(float) ** 1.5
    s_comm = rng.choice(communes, size=stores, p=urbanity / urbanity.sum())
    sp_comm = rng.choice(communes, size=sales_points, p=c_pop / c_pop.sum())
    all_cats = ";".join(CATEGORIES)
    buyers = pd.concat(
        [
            pd.DataFrame(
                {
                    "code": chain_code,
                    "name": chain_names,
                    "kind": "retail_chain",
                    "chain_code": None,
                    "area_code": None,
                    "address": None,
                    "lat": np.nan,
                    "lon": np.nan,
                    "categories": _cat_mask_strings(chain_cats),
                    "min_stars": chain_min,
                }
            ),
            pd.DataFrame(
                {
                    "code": np.array([f"ST{i:06d}" for i in range(1, stores + 1)], dtype=object),
                    "name": chain_names[s_chain] + " " + c_name[s_comm],
                    "kind": "store",
                    "chain_code": chain_code[s_chain],
                    "area_code": c_code[s_comm],
                    "address": c_name[s_comm],
                    "lat": (c_lat[s_comm] + rng.normal(0, 0.01, stores)).round(6),
                    "lon": (c_lon[s_comm] + rng.normal(0, 0.01, stores)).round(6),
                    "categories": _cat_mask_strings(chain_cats)[s_chain],
                    "min_stars": chain_min[s_chain],
                }
            ),
            pd.DataFrame(
                {
                    "code": np.array(
                        [f"DB{i:05d}" for i in range(1, sales_points + 1)], dtype=object
                    ),
                    "name": "Điểm giới thiệu và bán sản phẩm OCOP " + c_name[sp_comm],
                    "kind": "sales_point",
                    "chain_code": None,
                    "area_code": c_code[sp_comm],
                    "address": c_name[sp_comm],
                    "lat": (c_lat[sp_comm] + rng.normal(0, 0.01, sales_points)).round(6),
                    "lon": (c_lon[sp_comm] + rng.normal(0, 0.01, sales_points)).round(6),
                    "categories": all_cats,
                    "min_stars": 3,
                }
            ),
            pd.DataFrame(
                {
                    "code": [c for c, _ in _PLATFORMS],
                    "name": [n for _, n in _PLATFORMS],
                    "kind": "ecommerce",
                    "chain_code": None,
                    "area_code": None,
                    "address": None,
                    "lat": np.nan,
                    "lon": np.nan,
                    "categories": _PLATFORM_CATEGORIES,
                    "min_stars": 3,
                }
            ),
        ],
        ignore_index=True,
    )

    # sells_to: each cluster of producers (commune and group) draws a few outlets of its province;
    # each product sells to the nearer of them that take its group and stars, with some noise.
    # Sharing the candidates within a cluster is the neighbourhood effect a recommender can learn.
    outlet_comm = np.concatenate([s_comm, sp_comm])
    outlet_code = np.concatenate(
        [
            buyers["code"].to_numpy()[n_chains : n_chains + stores],
            buyers["code"].to_numpy()[n_chains + stores : n_chains + stores + sales_points],
        ]
    )
    outlet_cats = np.vstack([chain_cats[s_chain], np.ones((sales_points, len(CATEGORIES)), bool)])
    outlet_min = np.concatenate([chain_min[s_chain], np.full(sales_points, 3)])
    outlet_lat = np.concatenate([c_lat[s_comm], c_lat[sp_comm]])
    outlet_lon = np.concatenate([c_lon[s_comm], c_lon[sp_comm]])
    o_prov = c_prov[outlet_comm]
    order = np.argsort(o_prov, kind="stable")
    prov_start = np.searchsorted(o_prov[order], np.arange(provinces))
    prov_count = np.bincount(o_prov, minlength=provinces)
    sells = []
    if len(outlet_comm):
        k = 6
        clusters, cluster_of = np.unique(
            p_comm[owner] * len(CATEGORIES) + cat_idx, return_inverse=True
        )
        cluster_prov = c_prov[clusters // len(CATEGORIES)]
        count = prov_count[cluster_prov]
        cluster_pick = np.where(
            (count > 0)[:, None],
            order[
                np.minimum(
                    prov_start[cluster_prov][:, None]
                    + (rng.random((len(clusters), k)) * np.maximum(count, 1)[:, None]).astype(
                        np.int64
                    ),
                    len(order) - 1,
                )
            ],
            rng.integers(0, len(outlet_comm), (len(clusters), k)),
        )
        pick = cluster_pick[cluster_of]
        fit = outlet_cats[pick, cat_idx[:, None]] & (outlet_min[pick] <= stars[:, None])
        dist = haversine_km(
            p_lat[owner][:, None], p_lon[owner][:, None], outlet_lat[pick], outlet_lon[pick]
        )
        score = np.where(fit, dist * rng.lognormal(0, 0.5, dist.shape), np.inf)
        keep_n = rng.integers(1, 4, products)
        ranked = np.argsort(score, axis=1)
        rows, cols = [], []
        for j in range(3):
            chosen = ranked[:, j]
            ok = (j < keep_n) & np.isfinite(score[np.arange(products), chosen])
            rows.append(np.flatnonzero(ok))
            cols.append(pick[ok, chosen[ok]])
        rows_all = np.concatenate(rows)
        cols_all = np.concatenate(cols)
        sells = pd.DataFrame(
            {
                "source_code": p_code[owner][rows_all],
                "target_code": outlet_code[cols_all],
                "kind": "sells_to",
                "product_code": sp_code[rows_all],
                "volume_per_month": (
                    capacity[rows_all] * rng.uniform(0.03, 0.15, len(rows_all))
                ).round(1),
                "started_on": rated[rows_all],
                "ended_on": None,
            }
        ).drop_duplicates(["source_code", "target_code", "product_code"])
    listing_rows = np.flatnonzero((rng.random(products) < 0.25) & (cat_idx != 5))
    listings = pd.DataFrame(
        {
            "source_code": p_code[owner][listing_rows],
            "target_code": np.array([c for c, _ in _PLATFORMS], dtype=object)[
                rng.integers(0, len(_PLATFORMS), len(listing_rows))
            ],
            "kind": "lists_on",
            "product_code": sp_code[listing_rows],
            "volume_per_month": np.nan,
            "started_on": rated[listing_rows],
            "ended_on": None,
        }
    )
    linkages = pd.concat(
        [household_links, *([sells] if len(sells) else []), listings], ignore_index=True
    )

    # Sourcing requests of stores and chains, in a group the buyer takes.
    physical = n_chains + stores
    r_buyer = rng.integers(0, max(physical, 1), n_requests)
    r_chain = np.where(
        r_buyer < n_chains, r_buyer, s_chain[np.clip(r_buyer - n_chains, 0, max(stores - 1, 0))]
    )
    cats_of = chain_cats[r_chain]
    first_cat = np.argmax(cats_of * rng.random(cats_of.shape), axis=1)
    requests = pd.DataFrame(
        {
            "code": np.array([f"RQ{i:05d}" for i in range(1, n_requests + 1)], dtype=object),
            "buyer_code": buyers["code"].to_numpy()[r_buyer],
            "category": np.array(CATEGORIES, dtype=object)[first_cat],
            "min_stars": chain_min[r_chain],
            "quantity_per_month": rng.integers(10, 200, n_requests) * 10.0,
            "max_distance_km": np.where(
                r_buyer < n_chains, np.nan, rng.choice([20.0, 30.0, 50.0, 80.0, 120.0], n_requests)
            ),
        }
    )
    return {
        "areas": areas,
        "producers": pd.concat([producer_frame, household_frame], ignore_index=True),
        "products": product_frame,
        "buyers": buyers,
        "linkages": linkages,
        "sourcing_requests": requests,
    }


def synthetic_tables(
    *,
    provinces: int = 3,
    communes: int = 120,
    producers: int = 400,
    households: int = 4000,
    products: int = 700,
    stores: int = 300,
    sales_points: int = 40,
    seed: int = 0,
) -> dict[str, list[dict]]:
    """``synthetic_frames`` as lists of row dicts (None for empty cells); see there."""
    frames = synthetic_frames(
        provinces=provinces,
        communes=communes,
        producers=producers,
        households=households,
        products=products,
        stores=stores,
        sales_points=sales_points,
        seed=seed,
    )
    return {
        name: frame.astype(object).where(frame.notna(), None).to_dict("records")
        for name, frame in frames.items()
    }


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def write_csv_folder(
    tables: Mapping[str, pd.DataFrame | Iterable[Mapping]], path: str | Path
) -> list[Path]:
    """Write each table to ``path/<table>.csv`` (UTF-8, the interchange columns in order).

    Tables may be DataFrames or iterables of row dicts; returns the files written. Creates the
    folder when missing.
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        columns = list(TABLE_COLUMNS.get(name) or [])
        target = folder / f"{name}.csv"
        if isinstance(table, pd.DataFrame):
            frame = table.reindex(columns=columns or list(table.columns))
            for column in frame.columns:
                if frame[column].dtype == bool:
                    frame[column] = frame[column].map({True: "true", False: "false"})
            frame.to_csv(target, index=False, encoding="utf-8", float_format="%.10g")
        else:
            rows = list(table)
            columns = columns or (list(rows[0]) if rows else [])
            with open(target, "w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(columns)
                for row in rows:
                    writer.writerow([_cell(row.get(c)) for c in columns])
        written.append(target)
    return written
