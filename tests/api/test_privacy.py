"""Households' names, addresses and exact places are withheld from readers who have no business
with them: anonymous readers and other accounts see a stand-in name and a point rounded to
about 1 km; the household's cooperative, planners and staff see everything."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group

from linkage.choices import LinkageKind, ProducerKind
from tests.api.conftest import client_for
from tests.factories import LinkageFactory, ProducerFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

NAME = "Hộ Nguyễn Văn Bình"


@pytest.fixture
def household():
    cooperative_owner = UserFactory(username="coop")
    cooperative = ProducerFactory(code="HTX-1", owner=cooperative_owner)
    home = ProducerFactory(
        code="HH-1",
        name=NAME,
        kind=ProducerKind.HOUSEHOLD,
        address="Thôn 3, xã Tản Lĩnh",
        lat=21.107028,
        lon=105.396231,
    )
    LinkageFactory(
        kind=LinkageKind.SUPPLIES,
        source_producer=home,
        target_buyer=None,
        target_producer=cooperative,
    )
    return home


def _planner():
    user = UserFactory(username="planner-p")
    user.groups.add(Group.objects.get_or_create(name="planners")[0])
    return client_for(user)


def test_anonymous_readers_do_not_see_a_households_name_address_or_home(anonymous, household):
    body = anonymous.get("/api/v1/producers/HH-1/").json()
    assert NAME not in str(body)
    assert body["address"] == ""
    assert (body["lat"], body["lon"]) == (21.11, 105.4)


def test_the_households_cooperative_and_planners_see_it_in_full(household):
    for client in (client_for(UserFactory(username="coop")), _planner()):
        body = client.get("/api/v1/producers/HH-1/").json()
        assert body["name"] == NAME and body["lat"] == 21.107028


def test_another_cooperative_does_not_see_it(household):
    other = UserFactory(username="other-coop")
    ProducerFactory(code="HTX-2", owner=other)
    assert NAME not in str(client_for(other).get("/api/v1/producers/HH-1/").json())


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/producers/",
        "/api/v1/producers/geojson/",
        "/api/v1/linkages/",
        "/api/v1/network/unlinked-producers/?direct=true",
    ],
)
def test_lists_maps_and_linkages_withhold_it_too(anonymous, household, url):
    response = anonymous.get(url)
    assert response.status_code == 200
    assert NAME not in response.content.decode()
    assert "21.107028" not in response.content.decode()


def test_a_household_cannot_be_found_by_its_name_without_the_right_to_see_it(anonymous, household):
    assert anonymous.get("/api/v1/producers/?search=nguyen van binh").json()["count"] == 0
    assert _planner().get("/api/v1/producers/?search=nguyen van binh").json()["count"] == 1


def test_spreadsheet_downloads_withhold_it(anonymous, household):
    ProductFactory(code="SP-HH", producer=household, stars=3, rated_on=dt.date(2024, 1, 1))
    content = anonymous.get(
        "/api/v1/analytics/statistics/expiring/", {"format": "csv"}
    ).content.decode("utf-8-sig")
    assert "SP-HH" in content and NAME not in content
