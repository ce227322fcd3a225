"""Faults answer JSON, never an HTML 500: Redis down, a database restart, a route that is missing.

Redis is "down" by pointing the job queue at a port where nothing listens (connections are refused
at once); a database fault is an ``OperationalError`` raised by a view the first time it runs.
"""

from unittest import mock

import pytest
import redis
from django.db import OperationalError
from django.http import HttpResponse
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rq import Queue

from config import urls as config_urls
from linkage import jobs
from tests.api.conftest import client_for
from tests.factories import AreaFactory, BuyerFactory, ProductFactory, UserFactory

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(settings):
    """Jobs configured to go to a queue whose Redis refuses connections."""
    settings.REDIS_URL = DEAD_REDIS
    dead = Queue("default", connection=redis.Redis.from_url(DEAD_REDIS))
    with mock.patch.object(jobs, "_queue", return_value=dead):
        yield


def _unavailable(response):
    assert response.status_code == 503, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert response["Retry-After"]
    assert "queue" in response.json()["detail"]


@pytest.fixture
def planner():
    from django.contrib.auth.models import Group

    user = UserFactory(username="planner")
    user.groups.add(Group.objects.get_or_create(name="planners")[0])
    return client_for(user)


@pytest.mark.django_db
def test_a_job_status_with_redis_down_is_503_json(redis_down, client):
    _unavailable(client.get("/api/v1/jobs/0123abcd/"))


@pytest.mark.django_db
def test_an_allocation_always_in_background_with_redis_down_is_503_json(redis_down, planner):
    BuyerFactory(lat=21.0, lon=105.8)
    _unavailable(planner.post("/api/v1/allocations/", {"background": "always"}, format="json"))


@pytest.mark.django_db
def test_siting_always_in_background_with_redis_down_is_503_json(redis_down, client):
    AreaFactory(code="X1", lat=21.0, lon=105.8, population=1000)
    AreaFactory(code="X2", lat=21.2, lon=105.8, population=1000)
    BuyerFactory(code="SP1", lat=21.0, lon=105.8, categories="")
    _unavailable(client.get("/api/v1/analytics/siting/", {"k": 1, "background": "always"}))


def test_auto_runs_in_the_request_when_the_queue_is_down(redis_down):
    assert not jobs.runs_as_job(size=10, inline_limit=1, background="auto")
    assert jobs.runs_as_job(size=10, inline_limit=1, background="always")


def test_a_queued_job_is_retried_three_times_after_10_30_and_60_seconds(settings):
    settings.REDIS_URL = DEAD_REDIS
    queue = mock.Mock()
    queue.enqueue_call.return_value.id = "job-1"
    with mock.patch.object(jobs, "_queue", return_value=queue):
        assert jobs.enqueue("tests.linkage.test_jobs.add", a=1, b=2) == "job-1"
    retry = queue.enqueue_call.call_args.kwargs["retry"]
    assert (retry.max, retry.intervals) == (3, [10, 30, 60])


# A database restart: views that fail once with OperationalError, then answer.
calls = {"api": 0, "page": 0, "write": 0}


def _fail_first(name):
    calls[name] += 1
    if calls[name] == 1:
        raise OperationalError("server closed the connection unexpectedly")


@api_view(["GET", "POST"])
@permission_classes([AllowAny])
def api_read(request):
    _fail_first("api" if request.method == "GET" else "write")
    return Response({"ok": True})


def page(request):
    _fail_first("page")
    return HttpResponse("ok")


def broken(request):
    raise RuntimeError("a bug")


handler404, handler500 = config_urls.handler404, config_urls.handler500
urlpatterns = [
    path("api/v1/flaky/", api_read),
    path("flaky-page/", page),
    path("api/v1/broken/", broken),
    path("broken-page/", broken),
]


@pytest.fixture
def flaky(settings):
    settings.ROOT_URLCONF = __name__
    for name in calls:
        calls[name] = 0


def test_an_api_read_that_met_a_database_restart_is_tried_once_more(flaky, client):
    response = client.get("/api/v1/flaky/")
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert calls["api"] == 2


def test_a_page_read_that_met_a_database_restart_is_tried_once_more(flaky, client):
    response = client.get("/flaky-page/")
    assert response.status_code == 200
    assert calls["page"] == 2


def test_a_write_that_met_a_database_restart_is_never_repeated(flaky, client):
    response = client.post("/api/v1/flaky/", {}, content_type="application/json")
    assert response.status_code == 503
    assert response["Retry-After"]
    assert "database" in response.json()["detail"]
    assert calls["write"] == 1


def test_a_read_that_fails_twice_answers_503_json(flaky, client):
    calls["api"] = -5  # still failing on the second try
    with mock.patch(f"{__name__}._fail_first", side_effect=OperationalError("down")):
        response = client.get("/api/v1/flaky/")
    assert response.status_code == 503
    assert response.json()["detail"]


@pytest.mark.django_db
def test_a_missing_route_under_api_is_json(client):
    missing = client.get("/api/v1/no-such-endpoint/")
    assert missing.status_code == 404
    assert missing.json()["detail"]
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")


def test_django_errors_under_api_are_json(flaky):
    from django.test import Client

    client = Client(raise_request_exception=False)
    error = client.get("/api/v1/broken/")
    assert error.status_code == 500
    assert error["Content-Type"] == "application/json"
    assert client.get("/broken-page/").status_code == 500


def test_a_database_fault_outside_an_api_view_is_503_not_500(flaky):
    from django.test import Client

    client = Client(raise_request_exception=False)
    with mock.patch(f"{__name__}._fail_first", side_effect=OperationalError("down")):
        api = client.get("/api/v1/flaky/")
        page = client.get("/flaky-page/")
    assert api.status_code == 503 and api["Retry-After"]
    assert page.status_code == 503 and page["Retry-After"]


# Outside a test transaction, as a request runs in production: closing a connection inside one
# (the retry starts afresh) ends the test's transaction on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_the_product_list_survives_one_broken_query(client):
    ProductFactory(code="SP1")
    from api import registry_views

    original = registry_views.ProductViewSet.get_queryset
    state = {"n": 0}

    def once(self):
        state["n"] += 1
        if state["n"] == 1:
            raise OperationalError("terminating connection due to administrator command")
        return original(self)

    with mock.patch.object(registry_views.ProductViewSet, "get_queryset", once):
        response = client.get("/api/v1/products/")
    assert response.status_code == 200
    assert response.json()["count"] == 1
