"""The analytics computed once per registry version and parameters, across threads and
processes, from the registry's snapshot."""

import threading
import time

import pandas as pd
import pytest
from django.db import connections

from analytics import results
from analytics.frames import Supply
from analytics.siting_jobs import run_siting
from linkage import graph_cache
from tests.factories import AreaFactory, BuyerFactory, ProducerFactory, ProductFactory

pytestmark = pytest.mark.django_db

KM = 1 / 111.0


@pytest.fixture
def communes(db):
    near = AreaFactory(code="X1", lat=21.0, lon=105.8, population=1000)
    AreaFactory(code="X2", lat=21.0 + 20 * KM, lon=105.8, population=3000)
    BuyerFactory(code="SP1", lat=21.0 + 2 * KM, lon=105.8)
    ProductFactory(producer=ProducerFactory(code="P1", area=near, lat=21.0, lon=105.8))


def _slowed(monkeypatch, name: str) -> list:
    calls = []
    original = getattr(results, name)

    def slow(*args, **kwargs):
        calls.append(threading.current_thread().name)
        time.sleep(0.3)
        return original(*args, **kwargs)

    monkeypatch.setattr(results, name, slow)
    return calls


def _at_once(ask, threads: int = 2) -> list:
    """``ask()`` in ``threads`` threads released together; their answers."""
    start = threading.Barrier(threads)
    answers = []

    def run():
        try:
            start.wait()
            answers.append(ask())
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run, name=f"asker-{i}") for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    return answers


def test_two_requests_at_once_compute_once(communes, monkeypatch):
    graph_cache.get_snapshot()  # held by the process, as in a warm worker
    calls = _slowed(monkeypatch, "coverage_report")
    answers = _at_once(lambda: results.coverage(supply=Supply(), level="commune", radius_km=5.0))
    assert len(calls) == 1
    assert len(answers) == 2
    (first, first_stamp), (second, second_stamp) = answers
    pd.testing.assert_frame_equal(first["table"], second["table"])
    assert first_stamp.version == second_stamp.version == graph_cache.current_version()


def test_the_siting_job_and_the_endpoint_share_one_result(communes, monkeypatch):
    calls = _slowed(monkeypatch, "site_selection")
    job = run_siting(k=1, radius_km=5.0)
    result, stamp = results.siting(k=1, radius_km=5.0)
    assert len(calls) == 1
    assert result["sites"] == job["sites"]
    assert job["registry"]["version"] == stamp.version


def test_a_kept_answer_is_read_without_the_snapshot(communes, monkeypatch):
    results.statistics_table("by-stars", {"basis": "cumulative"})

    def no_snapshot():
        raise AssertionError("the snapshot was read")

    monkeypatch.setattr(graph_cache, "get_snapshot", no_snapshot)
    table, stamp = results.statistics_table("by-stars", {"basis": "cumulative"})
    assert table["products"].sum() == 1
    assert stamp.version == graph_cache.current_version()


def test_held_siting_finds_only_what_was_computed(communes):
    assert results.held_siting(k=1, radius_km=5.0) is None
    results.siting(k=1, radius_km=5.0)
    found, _stamp = results.held_siting(k=1, radius_km=5.0)
    assert found["sites"][0]["code"] == "X2"
    assert results.held_siting(k=1, radius_km=6.0) is None
    graph_cache.bump_version()
    assert results.held_siting(k=1, radius_km=5.0) is None


def test_many_candidate_points_make_a_short_key(communes):
    points = [[21.0 + i * 1e-4, 105.8] for i in range(2000)]
    result, _stamp = results.siting(k=1, radius_km=5.0, points=points)
    assert result["candidates_from"] == "points"
    assert results.held_siting(k=1, radius_km=5.0, points=points) is not None
    assert results.held_siting(k=1, radius_km=5.0, points=points[:-1]) is None
