"""Distances on the Earth: the one distance module of the project.

Pure functions on degrees, (lat, lon); distances in kilometres. Nothing here touches the database.

Single pairs go through geopy's geodesic (WGS 84 ellipsoid, exact to the millimetre). Bulk work uses
the haversine formula, vectorised with numpy, and a k-d tree over 3-D unit vectors for nearest and
within-radius searches: the chord between two points grows with their great-circle angle, so the
nearest by chord is the nearest on the sphere, and scipy's cKDTree answers 3,321 nearest queries
over 10,000 points about 20 times faster than scikit-learn's BallTree with the haversine metric.
Bulk distances come from the haversine. A fixed-radius sphere is up to 0.55 % off the
ellipsoid in Vietnam (north-south distances near 10° N), so the sphere's radius is taken per pair:
the Gaussian mean radius of curvature at the pair's mean latitude, which keeps the haversine within
0.35 % of geodesic. Lambert's ellipsoidal formula (``ellipsoid_km``), on the sphere of reduced
latitudes, is within 2 m of geodesic over Vietnam's extent, for the allocation's costs.

Thresholds are decided under WGS 84: ``within_km`` answers "at most r km apart" for many pairs
exactly as geopy's geodesic would. The haversine settles every pair farther than 0.5 % from r;
Lambert's formula settles all but those within a few metres of r; geopy decides the rest, so a
threshold costs a handful of geodesic calls even over millions of pairs. Reported distances stay
haversine (or Lambert); only the in/out decisions need to be exact.
"""

from __future__ import annotations

import numpy as np
from geopy.distance import geodesic
from scipy.spatial import cKDTree

__all__ = [
    "EARTH_MEAN_RADIUS_KM",
    "HAVERSINE_TOLERANCE",
    "LAMBERT_TOLERANCE",
    "WGS84_A_M",
    "WGS84_F",
    "PointIndex",
    "earth_radius_km",
    "ellipsoid_km",
    "geodesic_km",
    "haversine_km",
    "lambert_m",
    "reduced_unit_vectors",
    "settle_within",
    "unit_vectors",
    "within_km",
]

EARTH_MEAN_RADIUS_KM = 6371.0088
WGS84_A_M = 6378137.0
WGS84_F = 1 / 298.257223563
_WGS84_A_KM = WGS84_A_M / 1000.0
_WGS84_E2 = WGS84_F * (2 - WGS84_F)
# Relative error bounds against geopy's geodesic, each with a margin over the worst measured in
# Vietnam (tests/linkage/test_distance.py): haversine 0.33 %, Lambert 1.5e-6.
HAVERSINE_TOLERANCE = 0.005
LAMBERT_TOLERANCE = 1e-5
# An angle from a dot product of unit vectors is only good to ~1e-8 rad (0.1 m): near zero the
# error is that rounding, not a share of the distance.
_ROUNDING_KM = 1e-3
# The radius search runs on the unit sphere; the per-pair Earth radius can differ from the query
# point's by less than 0.4 %, and the haversine from the ellipsoid by 0.35 %, so the search casts
# a little wider and ``within_km`` decides.
_SEARCH_SLACK = 1.01


def earth_radius_km(lat_deg) -> np.ndarray:
    """Gaussian mean radius of curvature of the WGS 84 ellipsoid at the given latitudes (km)."""
    sin2 = np.sin(np.radians(np.asarray(lat_deg, dtype=float))) ** 2
    return _WGS84_A_KM * np.sqrt(1 - _WGS84_E2) / (1 - _WGS84_E2 * sin2)


def geodesic_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance in km between two (lat, lon) points on the WGS 84 ellipsoid (geopy)."""
    return geodesic(a, b).km


def _central_angle(lat1, lon1, lat2, lon2) -> np.ndarray:
    lat1, lon1, lat2, lon2 = (
        np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2)
    )
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Element-wise distance in km between points given as arrays (or scalars) of degrees.

    Broadcasts like numpy: a point against an array of points, or two arrays of equal length.
    NaN coordinates give NaN.
    """
    angle = _central_angle(lat1, lon1, lat2, lon2)
    mean_lat = (np.asarray(lat1, dtype=float) + np.asarray(lat2, dtype=float)) / 2
    return angle * earth_radius_km(mean_lat)


def unit_vectors(lat, lon) -> np.ndarray:
    """Points on the unit sphere (n × 3): the chord between two grows with their arc."""
    lat, lon = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def reduced_unit_vectors(lat, lon) -> np.ndarray:
    """Points on the auxiliary sphere of reduced latitudes, as unit vectors (n × 3).

    The dot product of two gives the angle ``lambert_m`` takes; their z is sin β.
    """
    beta = np.arctan((1 - WGS84_F) * np.tan(np.radians(lat)))
    lam = np.radians(lon)
    cos_beta = np.cos(beta)
    return np.column_stack([cos_beta * np.cos(lam), cos_beta * np.sin(lam), np.sin(beta)])


def lambert_m(dot: np.ndarray, sin_beta1: np.ndarray, sin_beta2: np.ndarray) -> np.ndarray:
    """Lambert's ellipsoidal distance (m) from the dot product of reduced unit vectors.

    Written with sin β only (sin P cos Q = (sin β1 + sin β2) / 2, and so on) so that it needs
    no trigonometry per pair besides one arcsin; an angle matrix becomes distances cheaply.
    """
    h = np.clip((1.0 - dot) * 0.5, 0.0, 1.0)  # sin²(σ/2)
    sigma = 2.0 * np.arcsin(np.sqrt(h))
    sin_sigma = 2.0 * np.sqrt(h * (1.0 - h))
    plus = (sin_beta1 + sin_beta2) * 0.5
    minus = (sin_beta2 - sin_beta1) * 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(h < 1.0, (sigma - sin_sigma) * plus * plus / (1.0 - h), 0.0)
        y = np.where(h > 0.0, (sigma + sin_sigma) * minus * minus / h, 0.0)
    return WGS84_A_M * (sigma - WGS84_F / 2 * (x + y))


def ellipsoid_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Element-wise Lambert distance (km) on WGS 84 between arrays of points (broadcasting).

    Within ``LAMBERT_TOLERANCE`` (plus 0.1 m of rounding, 2 m at most) of geopy's geodesic over
    Vietnam's extent.
    """
    lat1, lon1, lat2, lon2 = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (lat1, lon1, lat2, lon2))
    )
    v1 = reduced_unit_vectors(np.ravel(lat1), np.ravel(lon1)).reshape(*lat1.shape, 3)
    v2 = reduced_unit_vectors(np.ravel(lat2), np.ravel(lon2)).reshape(*lat2.shape, 3)
    dot = np.sum(v1 * v2, axis=-1)
    return lambert_m(dot, v1[..., 2], v2[..., 2]) / 1000.0


def _undecided(km: np.ndarray, radius: np.ndarray, tolerance: float) -> np.ndarray:
    # An infinite radius holds everything; nothing to measure there.
    return np.isfinite(radius) & (np.abs(km - radius) <= tolerance * radius + _ROUNDING_KM)


def settle_within(km, radius_km, tolerance: float, coordinates) -> np.ndarray:
    """``within_km`` for many pairs whose approximate distances ``km`` the caller has, fetching
    coordinates only for the pairs near the threshold.

    ``km`` and ``radius_km`` are arrays of the pairs (``km`` within ``tolerance``, relative, of
    the geodesic); ``coordinates(positions)`` returns (lat1, lon1, lat2, lon2) of the pairs at
    those positions. For the allocation's million candidate pairs, gathering every pair's
    coordinates cost more than deciding them.
    """
    km = np.asarray(km, dtype=float)
    radius = np.broadcast_to(np.asarray(radius_km, dtype=float), km.shape)
    with np.errstate(invalid="ignore"):
        inside = np.array(km <= radius, dtype=bool)
        edge = np.flatnonzero(_undecided(km, radius, tolerance))
    if len(edge):
        inside[edge] = within_km(
            *coordinates(edge), radius[edge], approx_km=km[edge], tolerance=tolerance
        )
    return inside


def within_km(lat1, lon1, lat2, lon2, radius_km, *, approx_km=None, tolerance=None) -> np.ndarray:
    """Whether each pair of points is at most ``radius_km`` apart on the WGS 84 ellipsoid.

    Arrays (or scalars) of degrees and a radius (scalar or array) that broadcast together.
    ``approx_km``: the pairs' distances when the caller has them already, within ``tolerance``
    (relative) of the geodesic; by default the haversine and ``HAVERSINE_TOLERANCE``. Returns a
    boolean array of the broadcast shape, equal to ``geodesic_km(a, b) <= radius_km`` pair by
    pair; a pair with a NaN coordinate or a NaN radius is never within. Only pairs the fast
    formulas cannot settle reach geopy. Raises ValueError for ``approx_km`` without its
    ``tolerance``.
    """
    arrays = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (lat1, lon1, lat2, lon2, radius_km))
    )
    lat1, lon1, lat2, lon2, radius = arrays
    if approx_km is None:
        approx_km, tolerance = haversine_km(lat1, lon1, lat2, lon2), HAVERSINE_TOLERANCE
    elif tolerance is None:
        raise ValueError("give the tolerance of approx_km")
    km = np.broadcast_to(np.asarray(approx_km, dtype=float), radius.shape)
    with np.errstate(invalid="ignore"):
        inside = np.array(km <= radius, dtype=bool)
        edge = np.flatnonzero(_undecided(km, radius, tolerance))
    if len(edge) == 0:
        return inside
    flat = [a.ravel()[edge] for a in arrays]
    if tolerance > LAMBERT_TOLERANCE:
        lambert = ellipsoid_km(*flat[:4])
        inside.flat[edge] = lambert <= flat[4]
        keep = _undecided(lambert, flat[4], LAMBERT_TOLERANCE)
        edge, flat = edge[keep], [a[keep] for a in flat]
    for i, a, b, c, d, r in zip(edge.tolist(), *(a.tolist() for a in flat), strict=True):
        inside.flat[i] = geodesic_km((a, b), (c, d)) <= r
    return inside


class PointIndex:
    """A k-d tree over points on the sphere, answering nearest and within-radius queries.

    ``lat`` and ``lon`` are 1-D arrays in degrees; positions in them are the ids the queries return.
    An index over no points answers every query with "nothing" (-1 and infinite distance).
    """

    def __init__(self, lat, lon):
        self.lat = np.asarray(lat, dtype=float)
        self.lon = np.asarray(lon, dtype=float)
        if self.lat.shape != self.lon.shape or self.lat.ndim != 1:
            raise ValueError("lat and lon must be 1-D arrays of the same length")
        self.tree = cKDTree(unit_vectors(self.lat, self.lon)) if len(self.lat) else None

    def __len__(self) -> int:
        return len(self.lat)

    def nearest(self, lat, lon) -> tuple[np.ndarray, np.ndarray]:
        """For each query point: (position of the nearest indexed point, its distance in km)."""
        lat = np.asarray(lat, dtype=float)
        lon = np.asarray(lon, dtype=float)
        if self.tree is None or len(lat) == 0:
            return np.full(len(lat), -1, dtype=np.int64), np.full(len(lat), np.inf)
        _, idx = self.tree.query(unit_vectors(lat, lon), k=1)
        idx = np.asarray(idx, dtype=np.int64)
        return idx, haversine_km(lat, lon, self.lat[idx], self.lon[idx])

    def within(self, lat, lon, radius_km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All (query position, indexed position, distance km) pairs at most ``radius_km`` apart.

        "At most" is decided on the WGS 84 ellipsoid (``within_km``); the distances returned are
        the haversine. Three flat arrays of equal length, sorted by query position.
        """
        lat = np.asarray(lat, dtype=float)
        lon = np.asarray(lon, dtype=float)
        empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
        if self.tree is None or len(lat) == 0:
            return empty
        angles = np.minimum(radius_km * _SEARCH_SLACK / earth_radius_km(lat), np.pi)
        chords = 2 * np.sin(angles / 2)
        found = self.tree.query_ball_point(unit_vectors(lat, lon), r=chords)
        counts = np.fromiter((len(f) for f in found), dtype=np.int64, count=len(found))
        if counts.sum() == 0:
            return empty
        query = np.repeat(np.arange(len(lat)), counts)
        point = np.concatenate([np.asarray(f, dtype=np.int64) for f in found if len(f)])
        q_lat, q_lon, p_lat, p_lon = lat[query], lon[query], self.lat[point], self.lon[point]
        dist = haversine_km(q_lat, q_lon, p_lat, p_lon)
        keep = within_km(
            q_lat, q_lon, p_lat, p_lon, radius_km, approx_km=dist, tolerance=HAVERSINE_TOLERANCE
        )
        return query[keep], point[keep], dist[keep]

    def reaches(self, lat, lon, radius_km: float, nearest_km=None) -> np.ndarray:
        """For each query point: whether some indexed point lies within ``radius_km`` (WGS 84).

        Decided like ``within``; a query point with a NaN coordinate reaches nothing.
        ``nearest_km``: what ``nearest`` gave for these points, when the caller has it already.
        """
        lat = np.asarray(lat, dtype=float)
        lon = np.asarray(lon, dtype=float)
        placed = ~(np.isnan(lat) | np.isnan(lon))
        answer = np.zeros(len(lat), dtype=bool)
        if self.tree is None or not placed.any():
            return answer
        rows = np.flatnonzero(placed)
        if nearest_km is None:
            nearest = self.nearest(lat[rows], lon[rows])[1]
        else:
            nearest = np.asarray(nearest_km, dtype=float)[rows]
        # The nearest by chord may not be the nearest by haversine at the edge: between the sure
        # answers, every point in reach is looked at.
        sure = radius_km * (1 - HAVERSINE_TOLERANCE) - _ROUNDING_KM
        answer[rows] = nearest <= sure
        edge = rows[
            (nearest > sure) & (nearest <= radius_km * (1 + HAVERSINE_TOLERANCE) * _SEARCH_SLACK)
        ]
        if len(edge):
            query, _, _ = self.within(lat[edge], lon[edge], radius_km)
            answer[edge[np.unique(query)]] = True
        return answer
