"""Small Hà Nội-like synthetic worlds for testing the outlet-level buyer recommender.

In: an assumption about why producers sell where they do (``ASSUMPTIONS``), a seed and a size.
Out: the interchange tables (``simulation.demo.TABLE_COLUMNS``; lists of row dicts, None for empty
cells, ISO dates, ";"-joined categories), plus ``"_truth"``: each producer's true utility for
every outlet (store or sales point) it may sell to, so an oracle ranking can be computed.

Each world has the same shape: ~40 communes around Hà Nội, producers of the six OCOP groups with
1–4 rated products, ~5 retail chains with their stores, OCOP sales points, 3 platforms and 2
traders. Only the ``sells_to`` sales differ: each producer draws 1 + Poisson(2) distinct outlets
it may sell to, with probability ∝ exp(utility), where the utility follows the assumption:

* ``distance`` — nearby outlets, −d/3 km, with a mild outlet × group taste;
* ``group_preference`` — each outlet's latent group mix, 2.5·log(mix + 0.01) − d/25;
* ``popularity`` — a heavy-tailed outlet attractiveness, log(a) − d/20;
* ``neighbourhood`` — producers of one commune and group share a few nearby cluster outlets
  (like a craft village), −d/6 plus a bonus for those;
* ``mixed`` — all of them softly and none dominant: 0.7·log(a) + log(mix + 0.05) − d/8.

Pure Python and numpy, deterministic for a seed; the default size takes a fraction of a second.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from linkage.distance import haversine_km

from .demo import (
    _COMMUNE_WORDS,
    _GENERIC_PRODUCTS,
    _PLATFORM_CATEGORIES,
    _UNITS,
    _VARIANTS,
    CATEGORIES,
    TABLE_COLUMNS,
    _iso,
    _producer_name,
)

__all__ = ["ASSUMPTIONS", "world_tables"]

ASSUMPTIONS = ("distance", "group_preference", "popularity", "neighbourhood", "mixed")

_CENTRE = (21.03, 105.85)
_LAT_RANGE = (20.75, 21.30)
_LON_RANGE = (105.45, 106.05)
_COMMUNES = 40
# Hà Nội's rated products: about 65 % food and 29 % handicraft; the other groups are small.
_GROUP_P = np.array([0.60, 0.04, 0.04, 0.04, 0.25, 0.03])
_KIND_P = {"household": 0.35, "cooperative": 0.35, "cooperative_group": 0.10, "enterprise": 0.20}
_RATED_FROM = dt.date(2023, 1, 1)
_RATED_TO = dt.date(2025, 5, 31)
_LAST_DAY = dt.date(2025, 6, 30)
_KM_PER_DEG = 111.0

# (number, name, store brand, categories or None for every group, min_stars, share of stores)
_CHAINS = (
    (1, "Chuỗi siêu thị Minh Phát", "Siêu thị Minh Phát", None, 3, 0.30),
    (
        2,
        "Chuỗi cửa hàng Nông sản Thủ Đô",
        "Cửa hàng Nông sản Thủ Đô",
        "food;beverages;herbal",
        3,
        0.25,
    ),
    (3, "Hệ thống siêu thị Gia Bảo", "Gia Bảo Mart", "food;beverages;handicraft", 4, 0.15),
    (4, "Chuỗi cửa hàng Quà Việt", "Cửa hàng Quà Việt", None, 4, 0.10),
    (
        5,
        "Chuỗi bách hóa Hòa Lộc",
        "Bách hóa Hòa Lộc",
        "food;beverages;herbal;handicraft;textiles",
        3,
        0.20,
    ),
)
_PLATFORMS = ("Sàn Nông sản Việt", "Sàn OCOP Thủ Đô", "Chợ số Hà Nội")
# (number, name, kind, categories); a trader takes what an outlet would, so sales can move there.
_TRADERS = (
    (1, "Chợ đầu mối nông sản Phía Bắc", "wholesaler", "food;beverages;herbal"),
    (2, "Công ty Phân phối Đặc sản Kinh Kỳ", "distributor", None),
)
_TRADER_SHARE = 0.05
_CLUSTER_OUTLETS = 3
_CLUSTER_BONUS = 3.5


def _commune_rows(rng: np.random.Generator, prefix: str) -> tuple[list[dict], np.ndarray]:
    """The province and its communes; also each commune's distance to the centre in km."""
    # Half around the centre, half anywhere in the box: dense in the city, sparse outside.
    central = rng.random(_COMMUNES) < 0.5
    lat = np.where(
        central, rng.normal(_CENTRE[0], 0.07, _COMMUNES), rng.uniform(*_LAT_RANGE, _COMMUNES)
    )
    lon = np.where(
        central, rng.normal(_CENTRE[1], 0.07, _COMMUNES), rng.uniform(*_LON_RANGE, _COMMUNES)
    )
    lat = np.clip(lat, *_LAT_RANGE).round(5)
    lon = np.clip(lon, *_LON_RANGE).round(5)
    to_centre = haversine_km(_CENTRE[0], _CENTRE[1], lat, lon)
    population = rng.lognormal(np.log(30_000) - to_centre / 25.0, 0.5).astype(np.int64)
    pairs = rng.permutation(
        [(a, b) for a in range(len(_COMMUNE_WORDS)) for b in range(len(_COMMUNE_WORDS)) if a != b]
    )[:_COMMUNES]
    rows = [
        {
            "code": f"{prefix}-HN",
            "name": "Hà Nội",
            "level": "province",
            "parent_code": None,
            "lat": _CENTRE[0],
            "lon": _CENTRE[1],
            "population": int(population.sum()),
        }
    ]
    for i in range(_COMMUNES):
        short = f"{_COMMUNE_WORDS[pairs[i][0]]} {_COMMUNE_WORDS[pairs[i][1]]}"
        rows.append(
            {
                "code": f"{prefix}-C{i + 1:03d}",
                "name": f"{'Phường' if to_centre[i] < 8 else 'Xã'} {short}",
                "level": "commune",
                "parent_code": f"{prefix}-HN",
                "lat": float(lat[i]),
                "lon": float(lon[i]),
                "population": int(population[i]),
                "_short": short,
            }
        )
    return rows, to_centre


def _random_day(rng: np.random.Generator, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=int(rng.integers(0, (end - start).days + 1)))


def _producers_and_products(rng, prefix, communes, to_centre, n_producers):
    """Producer and product rows, and the arrays the sales need (all indexed like the rows)."""
    # Each group favours its own few communes, so same-group producers gather like craft villages.
    pop = np.array([c["population"] for c in communes], dtype=float)
    affinity = rng.gamma(0.5, 1.0, (len(CATEGORIES), len(communes))) * np.sqrt(pop)
    affinity *= 1.0 + to_centre / 10.0  # production sits more in the outskirts than shops do
    group = rng.choice(len(CATEGORIES), size=n_producers, p=_GROUP_P)
    kinds = rng.choice(list(_KIND_P), size=n_producers, p=list(_KIND_P.values()))
    n_products = rng.choice([1, 2, 3, 4], size=n_producers, p=[0.4, 0.3, 0.2, 0.1])
    producers, products = [], []
    p_comm = np.empty(n_producers, dtype=np.int64)
    for i in range(n_producers):
        g = int(group[i])
        c = int(rng.choice(len(communes), p=affinity[g] / affinity[g].sum()))
        p_comm[i] = c
        commune, kind, category = communes[c], str(kinds[i]), CATEGORIES[g]
        members = None
        if kind == "cooperative":
            members = int(rng.integers(7, 150))
        elif kind == "cooperative_group":
            members = int(rng.integers(3, 15))
        code = f"{prefix}-P{i + 1:04d}"
        producers.append(
            {
                "code": code,
                "name": _producer_name(kind, category, commune["_short"], rng),
                "kind": kind,
                "area_code": commune["code"],
                "address": f"{commune['name']}, Hà Nội",
                "lat": round(commune["lat"] + rng.normal(0, 0.009), 6),
                "lon": round(commune["lon"] + rng.normal(0, 0.009), 6),
                "members": members,
            }
        )
        used: dict[str, int] = {}
        for _ in range(int(n_products[i])):
            cat = category
            if rng.random() < 0.1:
                cat = CATEGORIES[int(rng.choice([j for j in range(len(CATEGORIES)) if j != g]))]
            templates = _GENERIC_PRODUCTS[cat]
            base = templates[int(rng.integers(len(templates)))].format(p=commune["_short"])
            used[base] = used.get(base, 0) + 1
            name = base if used[base] == 1 else f"{base} {_VARIANTS[(used[base] - 2) % 10]}"
            stars = int(rng.choice([3, 4, 5], p=[0.35, 0.60, 0.05]))
            unit, cap_lo, cap_hi, price_lo, price_hi = _UNITS[cat]
            products.append(
                {
                    "code": f"{prefix}-SP{len(products) + 1:05d}",
                    "name": name,
                    "producer_code": code,
                    "category": cat,
                    "stars": stars,
                    "potential_five_star": stars == 4 and rng.random() < 0.03,
                    "rated_on": _iso(_random_day(rng, _RATED_FROM, _RATED_TO)),
                    "capacity_per_month": float(
                        round(math.exp(rng.uniform(math.log(cap_lo), math.log(cap_hi))))
                    ),
                    "unit": unit,
                    "price_vnd": int(
                        round(math.exp(rng.uniform(math.log(price_lo), math.log(price_hi))), -3)
                    ),
                    "traceability_url": None,
                    "_owner": i,
                }
            )
    return producers, products, group, p_comm


def _buyer_rows(rng, prefix, communes, n_outlets):
    """Chains, stores, sales points, platforms, traders; stores and sales points come first."""
    pop = np.array([c["population"] for c in communes], dtype=float)
    n_stores = int(round(0.6 * n_outlets))
    n_points = n_outlets - n_stores
    chains, outlets, others = [], [], []
    share = np.array([c[5] for c in _CHAINS])
    store_chain = np.sort(rng.choice(len(_CHAINS), size=n_stores, p=share / share.sum()))

    def place(weights):
        commune = communes[int(rng.choice(len(communes), p=weights / weights.sum()))]
        return commune, {
            "area_code": commune["code"],
            "address": f"{commune['name']}, Hà Nội",
            "lat": round(commune["lat"] + rng.normal(0, 0.009), 6),
            "lon": round(commune["lon"] + rng.normal(0, 0.009), 6),
        }

    for number, name, brand, cats, min_stars, _share in _CHAINS:
        code = f"{prefix}-CH{number}"
        chains.append(
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
        for n in range(1, int((store_chain == number - 1).sum()) + 1):
            commune, where = place(pop**1.3)  # shops follow people, the city most
            outlets.append(
                {
                    "code": f"{code}-{n:03d}",
                    "name": f"{brand} {commune['_short']}",
                    "kind": "store",
                    "chain_code": code,
                    **where,
                    "categories": cats,
                    "min_stars": min_stars,
                }
            )
    for n in range(1, n_points + 1):
        commune, where = place(pop)
        outlets.append(
            {
                "code": f"{prefix}-DB{n:03d}",
                "name": f"Điểm giới thiệu và bán sản phẩm OCOP {commune['_short']}",
                "kind": "sales_point",
                "chain_code": None,
                **where,
                "categories": ";".join(CATEGORIES),
                "min_stars": 3,
            }
        )
    for n, name in enumerate(_PLATFORMS, start=1):
        others.append(
            {
                "code": f"{prefix}-EC{n}",
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
    central = np.argsort(
        [abs(c["lat"] - _CENTRE[0]) + abs(c["lon"] - _CENTRE[1]) for c in communes]
    )
    for (n, name, kind, cats), c in zip(_TRADERS, central[: len(_TRADERS)], strict=True):
        commune = communes[int(c)]
        others.append(
            {
                "code": f"{prefix}-TR{n}",
                "name": name,
                "kind": kind,
                "chain_code": None,
                "area_code": commune["code"],
                "address": f"{commune['name']}, Hà Nội",
                "lat": commune["lat"],
                "lon": commune["lon"],
                "categories": cats,
                "min_stars": 3,
            }
        )
    return chains, outlets, others


def _takes(buyers: list[dict]) -> np.ndarray:
    """Boolean (buyers × groups): which groups each buyer takes; no categories means all."""
    return np.array(
        [
            [not b["categories"] or c in b["categories"].split(";") for c in CATEGORIES]
            for b in buyers
        ],
        dtype=bool,
    )


def _utility(assumption, rng, distance, group, p_comm, outlet_takes, eligible):
    """The true utility (producers × outlets) of each producer for each outlet."""
    n_outlets = distance.shape[1]
    if assumption == "distance":
        taste = rng.normal(0.0, 0.3, (n_outlets, len(CATEGORIES)))
        return -distance / 3.0 + taste[:, group].T
    if assumption == "group_preference":
        # Concentrated on one or two of the declared groups, so it differs from the declaration.
        raw = rng.gamma(0.3, 1.0, outlet_takes.shape) * outlet_takes
        raw[raw.sum(axis=1) == 0] = outlet_takes[raw.sum(axis=1) == 0]
        mix = raw / raw.sum(axis=1, keepdims=True)
        return 2.5 * np.log(mix[:, group].T + 0.01) - distance / 25.0
    if assumption == "popularity":
        attractiveness = rng.lognormal(0.0, 1.3, n_outlets)
        return np.log(attractiveness)[None, :] - distance / 20.0
    if assumption == "mixed":
        # Every force at once and none dominant: a softer group mix, milder popularity, a
        # medium distance decay; the draw stays far from deterministic.
        attractiveness = rng.lognormal(0.0, 0.8, n_outlets)
        raw = rng.gamma(1.0, 1.0, outlet_takes.shape) * outlet_takes
        raw[raw.sum(axis=1) == 0] = outlet_takes[raw.sum(axis=1) == 0]
        mix = raw / raw.sum(axis=1, keepdims=True)
        return (
            0.7 * np.log(attractiveness)[None, :] + np.log(mix[:, group].T + 0.05) - distance / 8.0
        )
    # neighbourhood: each (commune, group) cluster picks a few outlets near its centre that take
    # the group; its producers share them, so sales of neighbours predict each other's.
    utility = -distance / 6.0
    clusters: dict[tuple[int, int], list[int]] = {}
    for i, key in enumerate(zip(p_comm.tolist(), group.tolist(), strict=True)):
        clusters.setdefault(key, []).append(i)
    for (_comm, g), members in sorted(clusters.items()):
        fits = outlet_takes[:, g] & eligible[members].any(axis=0)
        if not fits.any():
            continue
        near = np.exp(-distance[members].mean(axis=0) / 4.0) * fits
        k = min(_CLUSTER_OUTLETS, int(fits.sum()))
        chosen = rng.choice(n_outlets, size=k, replace=False, p=near / near.sum())
        utility[np.ix_(members, chosen)] += _CLUSTER_BONUS
    return utility


def _start(rng: np.random.Generator, rated_on: str) -> str:
    """A day in 2024, but not before the product was rated (then shortly after, by June 2025)."""
    day = _random_day(rng, dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    earliest = dt.date.fromisoformat(rated_on) + dt.timedelta(days=int(rng.integers(7, 60)))
    return _iso(min(max(day, earliest), _LAST_DAY))


def world_tables(
    assumption: str, *, seed: int = 0, producers: int = 900, outlets: int = 220
) -> dict[str, list[dict]]:
    """A synthetic world whose outlet-level sales follow ``assumption`` (one of ``ASSUMPTIONS``).

    Returns the interchange tables plus ``"_truth"``: ``{producer_code: {outlet_code: utility}}``
    for every producer and every store or sales point it is eligible for. Codes start with "W"
    and the assumption's initial ("WD-P0001"), so worlds of different assumptions can coexist.
    Raises ValueError for an unknown assumption or a non-positive size.
    """
    if assumption not in ASSUMPTIONS:
        raise ValueError(f"unknown assumption {assumption!r}; expected one of {ASSUMPTIONS}")
    if producers < 1 or outlets < 2:
        raise ValueError("need producers >= 1 and outlets >= 2")
    rng = np.random.default_rng(seed)
    prefix = f"W{assumption[0].upper()}"
    areas, to_centre = _commune_rows(rng, prefix)
    communes = areas[1:]
    producer_rows, product_rows, group, p_comm = _producers_and_products(
        rng, prefix, communes, to_centre, producers
    )
    chains, outlet_rows, other_rows = _buyer_rows(rng, prefix, communes, outlets)
    traders = [b for b in other_rows if b["kind"] in ("wholesaler", "distributor")]
    platforms = [b for b in other_rows if b["kind"] == "ecommerce"]

    # Which product each outlet may take (its groups and min stars), then which producer.
    cat_index = {c: j for j, c in enumerate(CATEGORIES)}
    pr_cat = np.array([cat_index[p["category"]] for p in product_rows])
    pr_stars = np.array([p["stars"] for p in product_rows])
    pr_owner = np.array([p["_owner"] for p in product_rows])
    outlet_takes = _takes(outlet_rows)
    outlet_min = np.array([b["min_stars"] for b in outlet_rows])
    product_ok = outlet_takes[:, pr_cat].T & (pr_stars[:, None] >= outlet_min[None, :])
    first_product = np.searchsorted(pr_owner, np.arange(producers))
    eligible = np.add.reduceat(product_ok.astype(np.int64), first_product, axis=0) > 0

    p_lat = np.array([p["lat"] for p in producer_rows])
    p_lon = np.array([p["lon"] for p in producer_rows])
    o_lat = np.array([b["lat"] for b in outlet_rows])
    o_lon = np.array([b["lon"] for b in outlet_rows])
    distance = haversine_km(p_lat[:, None], p_lon[:, None], o_lat[None, :], o_lon[None, :])
    utility = _utility(assumption, rng, distance, group, p_comm, outlet_takes, eligible)

    # Gumbel top-k: the k largest utility + Gumbel noise are a draw without replacement with
    # probability ∝ exp(utility), the softmax sampling the assumption prescribes, all at once.
    keys = np.where(eligible, utility + rng.gumbel(size=utility.shape), -np.inf)
    order = np.argsort(-keys, axis=1, kind="stable")
    wanted = np.minimum(1 + rng.poisson(2.0, producers), eligible.sum(axis=1))
    trader_takes = _takes(traders)
    trader_min = np.array([b["min_stars"] for b in traders])

    linkages: list[dict] = []
    seen: set[tuple] = set()

    def add(source, target, kind, product, volume, started):
        key = (kind, source, target, product)
        if key not in seen:
            seen.add(key)
            linkages.append(
                {
                    "source_code": source,
                    "target_code": target,
                    "kind": kind,
                    "product_code": product,
                    "volume_per_month": volume,
                    "started_on": started,
                    "ended_on": None,
                }
            )

    for i in range(producers):
        own = np.arange(
            first_product[i], first_product[i + 1] if i + 1 < producers else len(product_rows)
        )
        for o in order[i, : wanted[i]]:
            candidates = own[product_ok[own, o]]
            target = outlet_rows[int(o)]["code"]
            if rng.random() < _TRADER_SHARE:
                # A sale that went to a trader instead: it must still take the product.
                fit = trader_takes[:, pr_cat[candidates]].T & (
                    pr_stars[candidates][:, None] >= trader_min[None, :]
                )
                rows, cols = np.nonzero(fit)
                if len(rows):
                    pick = int(rng.integers(len(rows)))
                    candidates = candidates[rows[pick] : rows[pick] + 1]
                    target = traders[int(cols[pick])]["code"]
            product = product_rows[int(candidates[int(rng.integers(len(candidates)))])]
            add(
                producer_rows[i]["code"],
                target,
                "sells_to",
                product["code"],
                float(round(product["capacity_per_month"] * rng.uniform(0.03, 0.15), 1)),
                _start(rng, product["rated_on"]),
            )

    # A few platform listings and memoranda with chains, so those kinds are present too.
    platform_takes = _takes(platforms)
    chain_takes = _takes(chains)
    chain_min = np.array([c["min_stars"] for c in chains])
    for i in range(producers):
        own = range(
            first_product[i], first_product[i + 1] if i + 1 < producers else len(product_rows)
        )
        if rng.random() < 0.15:
            fits = [j for j in own if platform_takes[:, pr_cat[j]].any()]
            if fits:
                j = fits[int(rng.integers(len(fits)))]
                on = np.flatnonzero(platform_takes[:, pr_cat[j]])
                add(
                    producer_rows[i]["code"],
                    platforms[int(rng.choice(on))]["code"],
                    "lists_on",
                    product_rows[j]["code"],
                    None,
                    _start(rng, product_rows[j]["rated_on"]),
                )
        if rng.random() < 0.03:
            best = max(own, key=lambda j: pr_stars[j])
            fits = np.flatnonzero(chain_takes[:, pr_cat[best]] & (chain_min <= pr_stars[best]))
            if len(fits):
                add(
                    producer_rows[i]["code"],
                    chains[int(rng.choice(fits))]["code"],
                    "mou",
                    None,
                    None,
                    _start(rng, product_rows[best]["rated_on"]),
                )

    # A handful of sourcing requests: stores ask within a radius, chains province-wide.
    requests = []
    stores = [b for b in outlet_rows if b["kind"] == "store"]
    askers = [chains[int(j)] for j in rng.choice(len(chains), size=2, replace=False)]
    askers += [
        stores[int(j)] for j in rng.choice(len(stores), size=min(2, len(stores)), replace=False)
    ]
    for n, buyer in enumerate(askers, start=1):
        cats = buyer["categories"].split(";") if buyer["categories"] else list(CATEGORIES[:5])
        requests.append(
            {
                "code": f"{prefix}-RQ{n:02d}",
                "buyer_code": buyer["code"],
                "category": "food" if "food" in cats else cats[int(rng.integers(len(cats)))],
                "min_stars": buyer["min_stars"],
                "quantity_per_month": float(rng.integers(10, 200) * 10),
                "max_distance_km": None
                if buyer["lat"] is None
                else float(rng.choice([15, 25, 40])),
            }
        )

    truth = {
        producer_rows[i]["code"]: {
            outlet_rows[int(o)]["code"]: float(utility[i, o]) for o in np.flatnonzero(eligible[i])
        }
        for i in range(producers)
    }
    tables = {
        "areas": areas,
        "producers": producer_rows,
        "products": product_rows,
        "buyers": chains + outlet_rows + other_rows,
        "linkages": linkages,
        "sourcing_requests": requests,
    }
    out: dict = {
        name: [{c: row.get(c) for c in TABLE_COLUMNS[name]} for row in rows]
        for name, rows in tables.items()
    }
    out["_truth"] = truth
    return out
