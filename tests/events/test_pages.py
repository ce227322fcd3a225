"""The printable schedule pages: a sheet per participant, only one's own, in the reader's
language."""

import pytest
from django.test import Client

from events import services
from linkage import graph_cache
from linkage.choices import ProducerKind
from tests.factories import (
    BuyerFactory,
    ChainFactory,
    ProducerFactory,
    ProductFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_snapshot(settings):
    settings.REGISTRY_REFRESH_IN_BACKGROUND = False
    graph_cache.reset()
    yield
    graph_cache.reset()


@pytest.fixture
def event():
    owner, chain_owner = UserFactory(username="coop"), UserFactory(username="chain")
    for i in range(4):
        producer = ProducerFactory(
            code=f"HTX{i}",
            name=f"Hợp tác xã {i}",
            owner=owner if i == 0 else None,
            kind=ProducerKind.HOUSEHOLD if i == 3 else ProducerKind.COOPERATIVE,
        )
        ProductFactory(code=f"SP{i}", name=f"Miến dong {i}", producer=producer)
    BuyerFactory(code="DB1", name="Điểm bán OCOP Hoàn Kiếm")
    StoreFactory(code="CH1", name="Cửa hàng Cầu Giấy", chain=ChainFactory(owner=chain_owner))
    made = services.event_create(
        actor=None,
        code="KNGT",
        name="Tuần hàng OCOP",
        place="Hà Nội",
        held_on="2026-12-10",
        slot_count=3,
        buyers=[{"buyer": "DB1", "tables": 2}, {"buyer": "CH1"}],
        producers=[{"producer": f"HTX{i}"} for i in range(4)],
    )
    services.event_schedule(actor=None, event=made)
    return made


def client(username: str, **extra) -> Client:
    browser = Client(**extra)
    browser.force_login(UserFactory(username=username))
    return browser


def planner_client(**extra):
    from django.contrib.auth.models import Group

    user = UserFactory(username="planner")
    user.groups.add(Group.objects.get_or_create(name="planners")[0])
    browser = Client(**extra)
    browser.force_login(user)
    return browser


def test_planners_print_a_sheet_per_participant(event):
    page = planner_client().get("/events/KNGT/schedule/").content.decode()
    assert page.count('class="sheet"') == 2 + 4
    assert "Tuần hàng OCOP" in page and "Miến dong" in page
    assert "Lượt" in page  # Vietnamese first
    assert "@media print" not in page  # the print rules live in the style sheet
    assert "events/events.css" in page


def test_one_participant_is_printed_alone(event):
    page = planner_client().get("/events/KNGT/schedule/?buyer=DB1").content.decode()
    assert page.count('class="sheet"') == 1
    assert 'id="buyer-DB1"' in page
    assert planner_client().get("/events/KNGT/schedule/?buyer=NOPE").status_code == 404


def test_a_cooperative_prints_only_its_own_sheet(event):
    page = client("coop").get("/events/KNGT/schedule/").content.decode()
    assert page.count('class="sheet"') == 1
    assert 'id="producer-HTX0"' in page
    assert "Hợp tác xã 1" not in page


def test_a_chain_prints_its_stores_sheet_and_households_stay_unnamed(event):
    page = client("chain").get("/events/KNGT/schedule/").content.decode()
    assert page.count('class="sheet"') == 1
    assert 'id="buyer-CH1"' in page
    assert "Hợp tác xã 3" not in page


def test_others_do_not_find_the_event_and_anonymous_readers_sign_in(event):
    assert client("stranger").get("/events/KNGT/schedule/").status_code == 404
    assert Client().get("/events/KNGT/schedule/").status_code == 302


def test_the_pages_speak_english_when_the_browser_asks(event):
    page = planner_client(HTTP_ACCEPT_LANGUAGE="en").get("/events/KNGT/schedule/")
    text = page.content.decode()
    assert "Slot" in text and "Lượt" not in text
    assert "Product" in text and "Sản phẩm" not in text


def test_the_list_links_each_event_to_its_pages(event):
    page = client("coop").get("/events/").content.decode()
    assert "/events/KNGT/schedule/" in page
    assert "/events/KNGT/schedule/" not in client("stranger").get("/events/").content.decode()
