import pytest

from linkage.models import Buyer, Linkage, Producer, Product, SourcingRequest
from tests.factories import (
    AreaFactory,
    LinkageFactory,
    ProducerFactory,
    SourcingRequestFactory,
    UserFactory,
)

from .conftest import client_for

pytestmark = pytest.mark.django_db

PRODUCT_BODY = {"name": "Chè Shan tuyết", "category": "beverages"}


def test_anonymous_write_is_unauthorised(anonymous, producer_accounts):
    code = producer_accounts[0]["product"].code
    assert (
        anonymous.post("/api/v1/areas/", {"code": "X", "name": "X", "level": "commune"}).status_code
        == 401
    )
    assert anonymous.patch(f"/api/v1/products/{code}/", {"name": "x"}).status_code == 401
    assert anonymous.delete(f"/api/v1/products/{code}/").status_code == 401


def test_anonymous_may_read(anonymous, producer_accounts):
    assert anonymous.get("/api/v1/products/").status_code == 200
    assert (
        anonymous.get(f"/api/v1/products/{producer_accounts[0]['product'].code}/").status_code
        == 200
    )


def test_account_owning_nothing_is_forbidden_to_write(stranger, producer_accounts, buyer_accounts):
    product = producer_accounts[0]["product"]
    body = {**PRODUCT_BODY, "code": "SP-NEW", "producer": product.producer.code}
    assert stranger.post("/api/v1/products/", body).status_code == 403
    assert stranger.patch(f"/api/v1/products/{product.code}/", {"name": "x"}).status_code == 403
    assert (
        stranger.patch(
            f"/api/v1/buyers/{buyer_accounts[0]['chain'].code}/", {"name": "x"}
        ).status_code
        == 403
    )
    assert (
        stranger.post("/api/v1/areas/", {"code": "X", "name": "X", "level": "commune"}).status_code
        == 403
    )


def test_producer_account_updates_its_own_producer_and_product(producer_accounts):
    alice = producer_accounts[0]
    response = alice["client"].patch(
        f"/api/v1/producers/{alice['producer'].code}/", {"members": 42}
    )
    assert response.status_code == 200, response.json()
    response = alice["client"].patch(
        f"/api/v1/products/{alice['product'].code}/", {"price_vnd": 99_000}
    )
    assert response.status_code == 200, response.json()
    assert Product.objects.get(code=alice["product"].code).price_vnd == 99_000


def test_producer_account_cannot_update_or_delete_another_accounts_records(producer_accounts):
    alice, bob = producer_accounts
    client = alice["client"]
    assert (
        client.patch(f"/api/v1/producers/{bob['producer'].code}/", {"name": "x"}).status_code == 404
    )
    assert (
        client.put(
            f"/api/v1/products/{bob['product'].code}/",
            {**PRODUCT_BODY, "code": bob["product"].code, "producer": bob["producer"].code},
        ).status_code
        == 404
    )
    assert (
        client.patch(f"/api/v1/products/{bob['product'].code}/", {"name": "x"}).status_code == 404
    )
    assert client.delete(f"/api/v1/products/{bob['product'].code}/").status_code == 404
    assert client.delete(f"/api/v1/producers/{bob['producer'].code}/").status_code == 404
    assert Product.objects.get(code=bob["product"].code).name == bob["product"].name


def test_producer_account_cannot_point_a_product_at_another_accounts_producer(producer_accounts):
    alice, bob = producer_accounts
    client = alice["client"]
    created = client.post(
        "/api/v1/products/", {**PRODUCT_BODY, "code": "SP-NEW", "producer": bob["producer"].code}
    )
    assert created.status_code == 400
    assert "producer" in created.json()
    moved = client.patch(
        f"/api/v1/products/{alice['product'].code}/", {"producer": bob["producer"].code}
    )
    assert moved.status_code == 400
    assert "producer" in moved.json()
    assert Product.objects.get(code=alice["product"].code).producer == alice["producer"]


def test_producer_account_creates_products_of_its_own_producer(producer_accounts):
    alice = producer_accounts[0]
    response = alice["client"].post(
        "/api/v1/products/", {**PRODUCT_BODY, "code": "SP-NEW", "producer": alice["producer"].code}
    )
    assert response.status_code == 201, response.json()
    assert Product.objects.get(code="SP-NEW").producer == alice["producer"]


def test_producer_account_may_not_create_producers(producer_accounts):
    response = producer_accounts[0]["client"].post(
        "/api/v1/producers/", {"code": "HTX-NEW", "name": "HTX mới", "kind": "cooperative"}
    )
    assert response.status_code == 403
    assert not Producer.objects.filter(code="HTX-NEW").exists()


def test_owner_may_not_delete_its_own_records(producer_accounts):
    alice = producer_accounts[0]
    assert alice["client"].delete(f"/api/v1/products/{alice['product'].code}/").status_code == 403
    assert Product.objects.filter(code=alice["product"].code).exists()


def test_owner_cannot_be_mass_assigned(producer_accounts):
    alice, bob = producer_accounts
    bob_user = bob["producer"].owner
    response = alice["client"].patch(
        f"/api/v1/producers/{alice['producer'].code}/", {"owner": bob_user.pk}, format="json"
    )
    assert response.status_code == 200
    assert Producer.objects.get(code=alice["producer"].code).owner == alice["producer"].owner


def test_planner_and_staff_write_everything(planner, staff, producer_accounts):
    bob = producer_accounts[1]
    assert (
        planner.patch(f"/api/v1/products/{bob['product'].code}/", {"stars": 3}).status_code == 200
    )
    assert (
        staff.post(
            "/api/v1/producers/", {"code": "HTX-NEW", "name": "HTX mới", "kind": "cooperative"}
        ).status_code
        == 201
    )
    assert planner.delete(f"/api/v1/products/{bob['product'].code}/").status_code == 204


def test_buyer_account_writes_its_chain_its_stores_and_its_sales_point(buyer_accounts):
    aeon = buyer_accounts[0]
    client = aeon["client"]
    for buyer in ("chain", "store", "sales_point"):
        response = client.patch(f"/api/v1/buyers/{aeon[buyer].code}/", {"min_stars": 4})
        assert response.status_code == 200, (buyer, response.json())


def test_buyer_account_cannot_change_another_accounts_buyers(buyer_accounts):
    aeon, winmart = buyer_accounts
    client = aeon["client"]
    for buyer in ("chain", "store", "sales_point"):
        assert (
            client.patch(f"/api/v1/buyers/{winmart[buyer].code}/", {"name": "x"}).status_code == 404
        )
        assert client.delete(f"/api/v1/buyers/{winmart[buyer].code}/").status_code == 404


def test_buyer_account_adds_stores_only_to_its_own_chain(buyer_accounts):
    aeon, winmart = buyer_accounts
    client = aeon["client"]
    body = {"code": "STORE-NEW", "name": "Cửa hàng mới", "kind": "store", "lat": 21.0, "lon": 105.8}
    other = client.post("/api/v1/buyers/", {**body, "chain": winmart["chain"].code}, format="json")
    assert other.status_code == 400
    assert "chain" in other.json()
    moved = client.patch(
        f"/api/v1/buyers/{aeon['store'].code}/", {"chain": winmart["chain"].code}, format="json"
    )
    assert moved.status_code == 400
    assert "chain" in moved.json()
    own = client.post("/api/v1/buyers/", {**body, "chain": aeon["chain"].code}, format="json")
    assert own.status_code == 201, own.json()
    assert Buyer.objects.get(code="STORE-NEW").chain == aeon["chain"]


def test_buyer_account_writes_sourcing_requests_of_its_own_buyers_only(buyer_accounts):
    aeon, winmart = buyer_accounts
    client = aeon["client"]
    theirs = SourcingRequestFactory(code="YC-W", buyer=winmart["store"])
    body = {"category": "food", "quantity_per_month": 100}
    own = client.post(
        "/api/v1/sourcing-requests/", {**body, "code": "YC-A", "buyer": aeon["store"].code}
    )
    assert own.status_code == 201, own.json()
    pointed = client.post(
        "/api/v1/sourcing-requests/", {**body, "code": "YC-B", "buyer": winmart["chain"].code}
    )
    assert pointed.status_code == 400
    assert "buyer" in pointed.json()
    assert (
        client.patch(f"/api/v1/sourcing-requests/{theirs.code}/", {"status": "closed"}).status_code
        == 404
    )
    assert not SourcingRequest.objects.filter(code="YC-B").exists()


def test_producer_account_links_from_its_own_producer_only(producer_accounts, buyer_accounts):
    alice, bob = producer_accounts
    target = buyer_accounts[0]["sales_point"].code
    own = alice["client"].post(
        "/api/v1/linkages/",
        {"kind": "sells_to", "source_code": alice["producer"].code, "target_code": target},
    )
    assert own.status_code == 201, own.json()
    other = alice["client"].post(
        "/api/v1/linkages/",
        {"kind": "sells_to", "source_code": bob["producer"].code, "target_code": target},
    )
    assert other.status_code == 400
    assert "source_code" in other.json()


def test_buyer_account_links_to_its_own_buyer_only(producer_accounts, buyer_accounts):
    aeon, winmart = buyer_accounts
    source = producer_accounts[0]["producer"].code
    own = aeon["client"].post(
        "/api/v1/linkages/",
        {"kind": "sells_to", "source_code": source, "target_code": aeon["chain"].code},
    )
    assert own.status_code == 201, own.json()
    other = aeon["client"].post(
        "/api/v1/linkages/",
        {"kind": "sells_to", "source_code": source, "target_code": winmart["chain"].code},
    )
    assert other.status_code == 400
    assert "target_code" in other.json()
    theirs = LinkageFactory(
        source_producer=producer_accounts[1]["producer"], target_buyer=winmart["chain"]
    )
    assert (
        aeon["client"].patch(f"/api/v1/linkages/{theirs.pk}/", {"volume_per_month": 1}).status_code
        == 404
    )
    assert Linkage.objects.get(pk=theirs.pk).volume_per_month == theirs.volume_per_month


def test_areas_are_written_by_planners_only(planner, producer_accounts):
    area = AreaFactory(code="HN")
    body = {"code": "HN-01", "name": "Ba Đình", "level": "district", "parent": "HN"}
    assert producer_accounts[0]["client"].post("/api/v1/areas/", body).status_code == 403
    assert planner.post("/api/v1/areas/", body).status_code == 201
    assert area.children.get().code == "HN-01"


def test_token_endpoint_gives_a_token_that_authorises_writes():
    user = UserFactory(username="carol")
    producer = ProducerFactory(code="HTX-carol", owner=user)
    anonymous = client_for()
    token = anonymous.post(
        "/api/v1/auth/token/", {"username": "carol", "password": "secret-password"}
    ).json()["token"]
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert anonymous.patch(f"/api/v1/producers/{producer.code}/", {"members": 7}).status_code == 200
