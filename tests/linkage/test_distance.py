import numpy as np
import pytest
from geopy.distance import geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.distance import (
    HAVERSINE_TOLERANCE,
    LAMBERT_TOLERANCE,
    PointIndex,
    ellipsoid_km,
    geodesic_km,
    haversine_km,
    settle_within,
    within_km,
)

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


def test_index_within_keeps_only_pairs_inside_the_radius():
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


def test_ellipsoid_distance_is_within_two_metres_of_geodesic_across_vietnam():
    rng = np.random.default_rng(7)
    lat1, lat2 = rng.uniform(8, 23.5, 500), rng.uniform(8, 23.5, 500)
    lon1, lon2 = rng.uniform(102, 110, 500), rng.uniform(102, 110, 500)
    lat1[:20], lon1[:20] = lat2[:20] + 0.001, lon2[:20]  # a hundred metres apart
    fast = ellipsoid_km(lat1, lon1, lat2, lon2)
    pairs = zip(lat1, lon1, lat2, lon2, strict=True)
    exact = np.array([geodesic_km((a, b), (c, d)) for a, b, c, d in pairs])
    assert np.all(np.abs(fast - exact) <= LAMBERT_TOLERANCE * exact + 1e-3)
    assert np.max(np.abs(fast - exact)) < 0.002


@settings(max_examples=200, deadline=None)
@given(VIETNAM_LAT, VIETNAM_LON, st.floats(-0.5, 0.5), st.floats(-0.5, 0.5))
def test_short_ellipsoid_distances_agree_with_geodesic(lat, lon, dlat, dlon):
    exact = geodesic_km((lat, lon), (lat + dlat, lon + dlon))
    fast = float(ellipsoid_km(lat, lon, lat + dlat, lon + dlon))
    assert abs(fast - exact) <= LAMBERT_TOLERANCE * exact + 1e-3


def test_ellipsoid_distance_of_a_point_to_itself_is_zero():
    lat, lon = np.array([21.0]), np.array([105.8])
    assert ellipsoid_km(lat, lon, lat, lon)[0] == 0


@settings(max_examples=150, deadline=None)
@given(
    VIETNAM_LAT,
    VIETNAM_LON,
    st.floats(-0.2, 0.2),
    st.floats(-0.2, 0.2),
    st.floats(-0.006, 0.006),
)
def test_within_equals_the_geodesic_decision_at_the_threshold(lat, lon, dlat, dlon, shift):
    # Radii a few per mille either side of the true distance: where the haversine is unsure.
    exact = geodesic_km((lat, lon), (lat + dlat, lon + dlon))
    radius = exact * (1 + shift)
    decided = within_km(lat, lon, lat + dlat, lon + dlon, radius)
    assert bool(decided) == (exact <= radius)


def test_within_decides_a_millimetre_either_side_of_the_geodesic():
    rng = np.random.default_rng(11)
    lat1, lon1 = rng.uniform(8.5, 23.4, 200), rng.uniform(102.1, 109.5, 200)
    lat2, lon2 = lat1 + rng.uniform(-0.3, 0.3, 200), lon1 + rng.uniform(-0.3, 0.3, 200)
    pairs = zip(lat1, lon1, lat2, lon2, strict=True)
    exact = np.array([geodesic_km((a, b), (c, d)) for a, b, c, d in pairs])
    assert within_km(lat1, lon1, lat2, lon2, exact + 1e-6).all()
    assert not within_km(lat1, lon1, lat2, lon2, exact - 1e-6).any()


def test_within_broadcasts_and_never_holds_an_unplaced_point():
    decided = within_km(21.0, 105.8, [21.01, np.nan, 21.5], [105.8, 105.8, 105.8], [5.0, 5.0, 5.0])
    assert decided.tolist() == [True, False, False]
    assert within_km(21.0, 105.8, 10.0, 105.8, np.inf)


def test_within_takes_the_callers_distances_with_their_tolerance():
    km = ellipsoid_km(21.0, 105.8, 21.3, 105.9)
    exact = geodesic_km((21.0, 105.8), (21.3, 105.9))
    assert within_km(
        21.0, 105.8, 21.3, 105.9, exact + 1e-6, approx_km=km, tolerance=LAMBERT_TOLERANCE
    )
    with pytest.raises(ValueError):
        within_km(21.0, 105.8, 21.3, 105.9, 30.0, approx_km=km)


def test_within_and_reaches_agree_with_geodesic_at_the_edge():
    # Points on a ring at exactly the radius by geodesic, nudged a metre in or out.
    rng = np.random.default_rng(5)
    centre = (16.0, 107.0)
    bearings = rng.uniform(0, 360, 60)
    nudges = rng.choice([-0.001, 0.001], 60)
    ends = [
        geodesic(kilometers=5.0 + n).destination(centre, b)
        for b, n in zip(bearings, nudges, strict=True)
    ]
    lat = np.array([p.latitude for p in ends])
    lon = np.array([p.longitude for p in ends])
    index = PointIndex(lat, lon)
    _, point, _ = index.within([centre[0]], [centre[1]], 5.0)
    assert sorted(point.tolist()) == np.flatnonzero(nudges < 0).tolist()
    for i in range(60):
        alone = PointIndex(lat[i : i + 1], lon[i : i + 1])
        assert alone.reaches([centre[0]], [centre[1]], 5.0)[0] == (nudges[i] < 0)


def test_reaches_looks_past_the_nearest_point_and_skips_unplaced_queries():
    index = PointIndex([21.0, 21.2], [105.8, 105.8])
    answer = index.reaches([21.02, 21.5, np.nan], [105.8, 105.8, 105.8], 5.0)
    assert answer.tolist() == [True, False, False]
    assert not PointIndex([], []).reaches([21.0], [105.8], 5.0).any()


def test_settle_within_asks_only_for_the_pairs_near_the_threshold_and_agrees_with_within_km():
    rng = np.random.default_rng(5)
    lat1, lon1 = 21.0 + rng.uniform(-0.2, 0.2, 400), 105.8 + rng.uniform(-0.2, 0.2, 400)
    lat2, lon2 = 21.0 + rng.uniform(-0.2, 0.2, 400), 105.8 + rng.uniform(-0.2, 0.2, 400)
    km = haversine_km(lat1, lon1, lat2, lon2)
    # Every tenth pair sits a few metres from its own threshold, where sphere and ellipsoid part.
    radius = np.where(np.arange(400) % 10 == 0, km * (1 + 1e-4), 10.0)
    asked = []

    def coordinates(positions):
        asked.append(positions)
        return lat1[positions], lon1[positions], lat2[positions], lon2[positions]

    settled = settle_within(km, radius, HAVERSINE_TOLERANCE, coordinates)
    assert settled.tolist() == within_km(lat1, lon1, lat2, lon2, radius).tolist()
    [positions] = asked
    assert set(range(0, 400, 10)) <= set(positions.tolist()) and len(positions) < 120
