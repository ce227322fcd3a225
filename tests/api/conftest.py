"""Clients and accounts for the API tests."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from tests.factories import (
    BuyerFactory,
    ChainFactory,
    ProducerFactory,
    ProductFactory,
    StoreFactory,
    UserFactory,
)


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture
def planner():
    user = UserFactory(username="planner")
    user.groups.add(Group.objects.get_or_create(name="planners")[0])
    return client_for(user)


@pytest.fixture
def staff():
    return client_for(UserFactory(username="staff", is_staff=True))


@pytest.fixture
def stranger():
    """Signed in, but owns nothing."""
    return client_for(UserFactory(username="stranger"))


@pytest.fixture
def producer_accounts():
    """Two producer accounts, each owning one producer with one product."""
    accounts = []
    for name in ("alice", "bob"):
        user = UserFactory(username=name)
        producer = ProducerFactory(code=f"HTX-{name}", owner=user)
        product = ProductFactory(code=f"SP-{name}", producer=producer)
        accounts.append({"client": client_for(user), "producer": producer, "product": product})
    return accounts


@pytest.fixture
def buyer_accounts():
    """Two buyer accounts, each owning a chain with one store and one sales point of its own."""
    accounts = []
    for name in ("aeon", "winmart"):
        user = UserFactory(username=name)
        chain = ChainFactory(code=f"CHAIN-{name}", owner=user)
        store = StoreFactory(code=f"STORE-{name}", chain=chain)
        sales_point = BuyerFactory(code=f"POINT-{name}", owner=user)
        accounts.append(
            {"client": client_for(user), "chain": chain, "store": store, "sales_point": sales_point}
        )
    return accounts
