import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from linkage import services
from linkage.events import ANY, listen, stop_listening
from linkage.models import Area, Linkage, Product
from tests.factories import (
    AreaFactory,
    LinkageFactory,
    ProductFactory,
    SourcingRequestFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MODELS = [
    "area",
    "producer",
    "product",
    "buyer",
    "linkage",
    "sourcingrequest",
    "proposal",
    "buyerrequirements",
    "credential",
]


@pytest.fixture
def admin_client_():
    client = Client()
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", MODELS)
def test_every_registry_table_has_a_list_and_an_add_page(admin_client_, model):
    LinkageFactory(product=ProductFactory())
    SourcingRequestFactory()
    assert admin_client_.get(f"/admin/linkage/{model}/").status_code == 200
    assert admin_client_.get(f"/admin/linkage/{model}/?q=xa").status_code == 200
    assert admin_client_.get(f"/admin/linkage/{model}/add/").status_code == 200


def test_admin_search_ignores_accents(admin_client_):
    ProductFactory(name="Gốm Bát Tràng")
    ProductFactory(name="Chè Thái")
    page = admin_client_.get("/admin/linkage/product/?q=bat trang").content.decode()
    assert "Gốm Bát Tràng" in page
    assert "Chè Thái" not in page


def test_admin_speaks_vietnamese_and_english(admin_client_):
    vietnamese = admin_client_.get("/admin/linkage/producer/", HTTP_ACCEPT_LANGUAGE="vi")
    english = admin_client_.get("/admin/linkage/producer/", HTTP_ACCEPT_LANGUAGE="en")
    assert "chủ thể OCOP" in vietnamese.content.decode()
    assert "OCOP producer" in english.content.decode()
    assert "chủ thể OCOP" not in english.content.decode()


@pytest.fixture
def heard():
    events = []
    listen(ANY, events.append)
    yield events
    stop_listening(ANY, events.append)


def test_admin_writes_go_through_the_services(
    admin_client_, heard, django_capture_on_commit_callbacks
):
    parent = AreaFactory(code="HN")
    body = {"code": "HN-01", "name": "Ba Đình", "level": "district", "parent": parent.pk}
    with django_capture_on_commit_callbacks(execute=True):
        added = admin_client_.post("/admin/linkage/area/add/", body)
    assert added.status_code == 302, added.content.decode()
    area = Area.objects.get(code="HN-01")
    with django_capture_on_commit_callbacks(execute=True):
        changed = admin_client_.post(
            f"/admin/linkage/area/{area.pk}/change/", {**body, "population": 250_000}
        )
    assert changed.status_code == 302, changed.content.decode()
    assert Area.objects.get(code="HN-01").population == 250_000
    admin_id = get_user_model().objects.get(username="admin").pk
    assert [(e.name, e.code, e.actor_id) for e in heard] == [
        ("area.created", "HN-01", admin_id),
        ("area.updated", "HN-01", admin_id),
    ]
    assert heard[1].data == {"fields": ["population"]}


def test_admin_deletes_a_selection_through_the_service(
    admin_client_, heard, django_capture_on_commit_callbacks
):
    products = [ProductFactory(code="SP-1"), ProductFactory(code="SP-2")]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            "/admin/linkage/product/",
            {
                "action": "delete_selected",
                "_selected_action": [p.pk for p in products],
                "post": "yes",
            },
        )
    assert response.status_code == 302
    assert not Product.objects.exists()
    assert sorted((e.name, e.code) for e in heard) == [
        ("product.deleted", "SP-1"),
        ("product.deleted", "SP-2"),
    ]


def test_admin_deletes_one_record_through_the_service(
    admin_client_, heard, django_capture_on_commit_callbacks
):
    product = ProductFactory(code="SP-GONE")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            f"/admin/linkage/product/{product.pk}/delete/", {"post": "yes"}
        )
    assert response.status_code == 302
    assert [(e.name, e.code) for e in heard] == [("product.deleted", "SP-GONE")]


def test_admin_shows_a_rule_of_the_services_on_the_form(admin_client_):
    linkage = LinkageFactory()
    body = {
        "kind": linkage.kind,
        "source_producer": linkage.source_producer_id,
        "target_buyer": linkage.target_buyer_id,
    }
    response = admin_client_.post("/admin/linkage/linkage/add/", body, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "This linkage is already registered." in response.content.decode()
    assert Linkage.objects.count() == 1


def test_a_products_page_shows_its_rating_history_read_only(admin_client_):
    product = ProductFactory(stars=3, rated_on=dt.date(2021, 6, 1))
    services.product_rate(actor=None, product=product, stars=4, rated_on=dt.date(2024, 6, 1))
    page = admin_client_.get(f"/admin/linkage/product/{product.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "ratings-TOTAL_FORMS" in body
    assert "2027" in body  # the expiry of the newest rating
    assert 'name="ratings-0-stars"' not in body  # shown, not editable


def test_admin_proposals_go_through_the_services(admin_client_):
    from linkage.models import Proposal
    from tests.factories import BuyerFactory

    product, buyer = ProductFactory(), BuyerFactory()
    answer = admin_client_.post(
        "/admin/linkage/proposal/add/",
        {
            "product": product.pk,
            "buyer": buyer.pk,
            "proposed_by": "producer",
            "origin": "other",
            "note": "",
            "events-TOTAL_FORMS": 0,
            "events-INITIAL_FORMS": 0,
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    proposal = Proposal.objects.get()
    assert [e.by for e in proposal.events.all()] == ["planner"]
    url = f"/admin/linkage/proposal/{proposal.pk}/change/"
    form = {"events-TOTAL_FORMS": 1, "events-INITIAL_FORMS": 1}
    illegal = admin_client_.post(url, {**form, "state": "trading"}, HTTP_ACCEPT_LANGUAGE="en")
    assert illegal.status_code == 200 and "cannot move" in illegal.content.decode()
    assert admin_client_.post(url, {**form, "state": "accepted"}).status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == "accepted" and proposal.accepted_on is not None
