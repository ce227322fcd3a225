"""Accounts owning producers and buyers, a way to deliver an event, and a local webhook
receiver."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from linkage.events import Event, emit
from tests.factories import (
    BuyerFactory,
    ChainFactory,
    ProducerFactory,
    ProductFactory,
    StoreFactory,
    UserFactory,
)


@pytest.fixture
def world():
    """A cooperative's account (with an e-mail), a chain's account, the manager of one of its
    stores, a sales point's account, and a stranger who owns nothing."""
    coop = UserFactory(username="coop", email="coop@example.org")
    chain_owner = UserFactory(username="chain_owner", email="chain@example.org")
    store_manager = UserFactory(username="store_manager")
    point_owner = UserFactory(username="point_owner")
    stranger = UserFactory(username="stranger", email="stranger@example.org")
    producer = ProducerFactory(code="HTX-1", name="HTX Bát Tràng", owner=coop)
    product = ProductFactory(code="SP-1", name="Gốm men lam", producer=producer)
    chain = ChainFactory(code="CHAIN-1", name="AEON", owner=chain_owner)
    store = StoreFactory(code="STORE-1", name="AEON Long Biên", chain=chain, owner=store_manager)
    point = BuyerFactory(code="POINT-1", owner=point_owner)
    return {
        "coop": coop,
        "chain_owner": chain_owner,
        "store_manager": store_manager,
        "point_owner": point_owner,
        "stranger": stranger,
        "producer": producer,
        "product": product,
        "chain": chain,
        "store": store,
        "point": point,
    }


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Emit an event and deliver it, as after the commit of the write that made it."""

    def _deliver(name, code=None, actor=None, **data):
        with django_capture_on_commit_callbacks(execute=True):
            emit(Event(name, code=code, actor_id=actor.pk if actor else None, data=data))

    return _deliver


def proposal_data(world, **changes):
    return {
        "id": 7,
        "product": world["product"].code,
        "producer": world["producer"].code,
        "buyer": world["store"].code,
        **changes,
    }


class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST and answers the next status of
    ``statuses`` (200 once they run out)."""

    def __init__(self):
        self.received = []
        self.statuses = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": self.headers, "body": body})
                code = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def payloads(self):
        return [json.loads(item["body"]) for item in self.received]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiving = Receiver()
    yield receiving
    receiving.close()


@pytest.fixture
def anonymous_client():
    from rest_framework.test import APIClient

    return APIClient()
