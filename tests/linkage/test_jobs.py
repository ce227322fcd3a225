"""Background jobs in both run modes: in-process (embedded) and through Redis (django-rq)."""

import pytest
from django.conf import settings

from linkage.jobs import enqueue, job_status, report_progress

needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL is not set")


def add(*, a, b):
    return {"sum": a + b}


def explode():
    raise RuntimeError("boom")


def counts(*, n):
    for done in range(n + 1):
        report_progress(done, n, "counting")
    return {"counted": n}


@pytest.fixture
def embedded(settings):
    settings.REDIS_URL = ""


def test_an_embedded_job_runs_at_once_and_keeps_its_result(embedded):
    job_id = enqueue("tests.linkage.test_jobs.add", a=2, b=3)
    assert job_status(job_id) == {
        "id": job_id,
        "status": "finished",
        "result": {"sum": 5},
        "error": None,
        "progress": None,
    }


def test_an_embedded_job_that_raises_is_failed_with_the_error(embedded):
    job_id = enqueue("tests.linkage.test_jobs.explode")
    found = job_status(job_id)
    assert found["status"] == "failed"
    assert found["error"] == "boom"
    assert found["result"] is None


def test_an_unknown_embedded_job_is_none(embedded):
    assert job_status("no-such-job") is None


@needs_redis
def test_a_redis_job_is_recorded_with_its_result():
    job_id = enqueue("tests.linkage.test_jobs.add", a=2, b=3)
    found = job_status(job_id)
    assert found == {
        "id": job_id,
        "status": "finished",
        "result": {"sum": 5},
        "error": None,
        "progress": None,
    }


@needs_redis
def test_a_redis_job_that_raises_is_failed_with_the_last_line_of_its_traceback():
    found = job_status(enqueue("tests.linkage.test_jobs.explode"))
    assert found["status"] == "failed"
    assert "boom" in found["error"]


@needs_redis
def test_an_unknown_redis_job_is_none():
    assert job_status("no-such-job") is None


def test_an_embedded_job_keeps_its_last_progress(embedded):
    found = job_status(enqueue("tests.linkage.test_jobs.counts", n=3))
    assert found["status"] == "finished"
    assert found["progress"] == {"done": 3, "total": 3, "stage": "counting"}


def test_progress_outside_a_job_does_nothing(embedded):
    report_progress(1, 2, "nothing")  # no error, nothing recorded


@needs_redis
def test_a_redis_job_reports_its_progress():
    found = job_status(enqueue("tests.linkage.test_jobs.counts", n=2))
    assert found["status"] == "finished"
    assert found["progress"] == {"done": 2, "total": 2, "stage": "counting"}
