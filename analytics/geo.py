"""Distances on the Earth: the one distance module of the analytics.

Single pairs go through geopy's geodesic (WGS 84 ellipsoid, exact to the millimetre). Bulk work uses
the haversine formula, vectorised with numpy, and a k-d tree over 3-D unit vectors for nearest and
within-radius searches: the chord between two points grows with their great-circle angle, so the
nearest by chord is the nearest on the sphere, and scipy's cKDTree answers 3,321 nearest queries
over 10,000 points about 20 times faster than scikit-learn's BallTree with the haversine metric.
Distances themselves always come from the haversine. A fixed-radius sphere is up to 0.55 % off the
ellipsoid in Vietnam (north-south distances near 10° N), so the sphere's radius is taken per pair:
the Gaussian mean radius of curvature at the pair's mean latitude, which keeps the haversine within
0.35 % of geodesic.

Coordinates are in degrees, (lat, lon); distances in kilometres.
"""

from __future__ import annotations

import numpy as np
from geopy.distance import geodesic
from scipy.spatial import cKDTree

__all__ = [
    "EARTH_MEAN_RADIUS_KM",
    "PointIndex",
    "earth_radius_km",
    "geodesic_km",
    "haversine_km",
    "unit_vectors",
]

EARTH_MEAN_RADIUS_KM = 6371.0088
_WGS84_A_KM = 6378.137
_WGS84_E2 = 6.69437999014e-3
# The radius search runs on the unit sphere; the per-pair Earth radius can differ from the query
# point's by less than 0.4 %, so the search casts a little wider and the haversine decides.
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
    """
    angle = _central_angle(lat1, lon1, lat2, lon2)
    mean_lat = (np.asarray(lat1, dtype=float) + np.asarray(lat2, dtype=float)) / 2
    return angle * earth_radius_km(mean_lat)


def unit_vectors(lat, lon) -> np.ndarray:
    """Points on the unit sphere (n × 3): the chord between two grows with their arc."""
    lat, lon = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


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

        Returned as three flat arrays of equal length, sorted by query position.
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
        dist = haversine_km(lat[query], lon[query], self.lat[point], self.lon[point])
        keep = dist <= radius_km
        return query[keep], point[keep], dist[keep]
