"""A chain's sourcing request price range on the workspace pages: written and edited through the
form, shown in the lists, and a product priced above the highest left out of the request's
shortlist, of the cooperatives' matching requests and of the new request's notifications."""

import pytest
from django.test import Client

from linkage.models import SourcingRequest
from notifications.matching import matching_products
from tests.factories import (
    ChainFactory,
    ProducerFactory,
    ProductFactory,
    SourcingRequestFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world():
    coop, mart = UserFactory(username="coop"), UserFactory(username="mart")
    producer = ProducerFactory(owner=coop, name="HTX Rau sạch", lat=21.0, lon=105.8)
    dear = ProductFactory(producer=producer, name="Gạo nếp cái hoa vàng", price_vnd=80000)
    chain = ChainFactory(owner=mart, name="Chuỗi Xanh", categories="food")
    store = StoreFactory(chain=chain, name="Cửa hàng Cầu Giấy", lat=21.03, lon=105.8)
    return {"coop": coop, "mart": mart, "producer": producer, "dear": dear, "store": store}


def _form(world, **changes):
    return {"buyer": world["store"].pk, "category": "food", "quantity_per_month": 200, **changes}


def _card(html: str, code: str) -> str:
    card = html[html.index(f'id="request-{code}"') :]
    return card[: card.index("</article>")]


def test_a_chain_gives_a_request_a_price_range_and_edits_it(world):
    client = signed_in(world["mart"])
    response = client.post(
        "/workspace/requests/new/", _form(world, price_min_vnd=20000, price_max_vnd=90000)
    )
    assert response.status_code == 302
    request = SourcingRequest.objects.get()
    assert (request.price_min_vnd, request.price_max_vnd) == (20000, 90000)
    card = _card(client.get("/workspace/").content.decode(), request.code)
    assert 'class="price"' in card and "90" in card[card.index('class="price"') :]
    form = client.get(f"/workspace/requests/{request.pk}/").content.decode()
    assert 'value="20000"' in form and 'value="90000"' in form
    # Emptying the lowest price keeps only the highest.
    client.post(f"/workspace/requests/{request.pk}/", _form(world, price_max_vnd=90000))
    request.refresh_from_db()
    assert (request.price_min_vnd, request.price_max_vnd) == (None, 90000)


def test_a_lowest_price_above_the_highest_is_refused_with_one_message(world):
    response = signed_in(world["mart"]).post(
        "/workspace/requests/new/", _form(world, price_min_vnd=90000, price_max_vnd=20000)
    )
    assert response.status_code == 200
    assert response.content.decode().count('class="message error"') == 1
    assert not SourcingRequest.objects.exists()


def test_a_product_above_the_highest_price_is_left_out_of_the_request(world):
    unknown = ProductFactory(producer=world["producer"], name="Trà sen", price_vnd=None)
    SourcingRequestFactory(buyer=world["store"], code="YC-LOW", price_max_vnd=50000)
    SourcingRequestFactory(buyer=world["store"], code="YC-HIGH", price_max_vnd=80000)
    chain = signed_in(world["mart"]).get("/workspace/").content.decode()
    low, high = _card(chain, "YC-LOW"), _card(chain, "YC-HIGH")
    dear = f'data-product="{world["dear"].code}"'
    assert dear not in low and f'data-product="{unknown.code}"' in low
    assert dear in high
    coop = signed_in(world["coop"]).get("/workspace/").content.decode()
    row = coop[coop.index('id="match-YC-LOW"') :]
    row = row[: row.index("</tr>")]
    # Offered under the cheap request only the product of unknown price, not the dear one.
    assert unknown.name in row and world["dear"].name not in row
    assert world["dear"].name in coop[coop.index('id="match-YC-HIGH"') :]
    _request, told = matching_products("YC-LOW")
    assert [p.code for p in told[world["coop"].pk]] == [unknown.code]
    _request, told = matching_products("YC-HIGH")
    assert {p.code for p in told[world["coop"].pk]} == {unknown.code, world["dear"].code}
