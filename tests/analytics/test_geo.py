import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.geo import PointIndex, geodesic_km, haversine_km

VIETNAM_LAT = st.floats(8.5, 23.4)
VIETNAM_LON = st.floats(102.1, 109.5)


def test_haversine_within_half_a_percent_of_geodesic_across_vietnam():
    rng = np.random.default_rng(7)
    lat1, lat2 = rng.uniform(8.5, 23.4, (2, 400))
    lon1, lon2 = rng.uniform(102.1, 109.5, (2, 400))
    fast = haversine_km(lat1, lon1, lat2, lon2)
    exact = np.array(
        [geodesic_km((a, b), (c, d)) for a, b, c, d in zip(lat1, lon1, lat2, lon2, strict=True)]
    )
    assert np.max(np.abs(fast / exact - 1)) < 0.005


@settings(max_examples=200, deadline=None)
@given(VIETNAM_LAT, VIETNAM_LON, st.floats(-0.3, 0.3), st.floats(-0.3, 0.3))
def test_short_distances_agree_with_geodesic_north_south_included(lat, lon, dlat, dlon):
    exact = geodesic_km((lat, lon), (lat + dlat, lon + dlon))
    if exact > 0.01:
        assert abs(float(haversine_km(lat, lon, lat + dlat, lon + dlon)) / exact - 1) < 0.005


def test_haversine_of_a_point_to_itself_is_zero():
    assert float(haversine_km(21.03, 105.85, 21.03, 105.85)) == 0.0


def test_nearest_returns_the_closest_point_and_its_distance():
    index = PointIndex([21.0, 21.5, 20.0], [105.8, 105.8, 105.8])
    pos, dist = index.nearest([21.45], [105.8])
    assert pos[0] == 1
    assert dist[0] == pytest.approx(geodesic_km((21.45, 105.8), (21.5, 105.8)), rel=0.005)


def test_empty_index_answers_nothing_found():
    pos, dist = PointIndex([], []).nearest([21.0], [105.8])
    assert pos[0] == -1 and np.isinf(dist[0])


def test_within_keeps_only_pairs_inside_the_radius():
    # 0.045° of latitude is about 5 km: the first point is inside 5.5 km, the second is not.
    index = PointIndex([21.045, 21.06], [105.8, 105.8])
    query, point, dist = index.within([21.0], [105.8], 5.5)
    assert list(point) == [0]
    assert list(query) == [0]
    assert dist[0] <= 5.5


def test_index_agrees_with_brute_force_haversine():
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(20.5, 21.5, 300), rng.uniform(105.3, 106.3, 300)
    q_lat, q_lon = rng.uniform(20.5, 21.5, 50), rng.uniform(105.3, 106.3, 50)
    all_pairs = haversine_km(q_lat[:, None], q_lon[:, None], lat[None, :], lon[None, :])
    index = PointIndex(lat, lon)
    pos, dist = index.nearest(q_lat, q_lon)
    assert np.allclose(dist, all_pairs.min(axis=1))
    query, point, _ = index.within(q_lat, q_lon, 4.0)
    assert sorted(zip(query.tolist(), point.tolist(), strict=True)) == sorted(
        zip(*[a.tolist() for a in np.nonzero(all_pairs <= 4.0)], strict=True)
    )
