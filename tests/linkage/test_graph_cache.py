import datetime as dt
import threading

import pytest
from django.core.cache import cache

from linkage import graph_cache, services
from linkage.choices import BuyerKind, LinkageKind, ProducerKind
from linkage.selectors import graph_from_db, snapshot_from_db
from linkage.snapshot import GraphSnapshot
from tests.factories import BuyerFactory, ProducerFactory


@pytest.fixture(autouse=True)
def fresh_process():
    graph_cache.reset()
    yield
    graph_cache.reset()


@pytest.mark.django_db
def test_the_snapshot_is_reused_until_a_write_bumps_the_version(django_assert_num_queries):
    producer = ProducerFactory(kind=ProducerKind.COOPERATIVE)
    first = graph_cache.get_snapshot()
    with django_assert_num_queries(0):
        assert graph_cache.get_snapshot() is first
    buyer = BuyerFactory(kind=BuyerKind.SALES_POINT)
    services.linkage_create(
        actor=None, kind=LinkageKind.SELLS_TO, source_producer=producer, target_buyer=buyer
    )
    second = graph_cache.get_snapshot()
    assert second is not first
    assert second.version == graph_cache.current_version()
    assert second.to_networkx().has_edge(producer.code, buyer.code)


@pytest.mark.django_db
def test_the_snapshot_gives_the_graph_read_from_the_database():
    producer = ProducerFactory(kind=ProducerKind.COOPERATIVE)
    store = BuyerFactory(kind=BuyerKind.STORE)
    services.linkage_create(
        actor=None,
        kind=LinkageKind.SELLS_TO,
        source_producer=producer,
        target_buyer=store,
        volume_per_month=12.5,
    )
    expected = graph_from_db()
    found = snapshot_from_db().to_networkx()
    assert dict(found.nodes(data=True)) == dict(expected.nodes(data=True))
    assert list(found.edges(data=True)) == list(expected.edges(data=True))
    assert found.graph["products"] == expected.graph["products"]


@pytest.mark.django_db
def test_another_process_loads_the_snapshot_from_the_shared_cache(
    django_assert_num_queries, monkeypatch
):
    monkeypatch.setattr(graph_cache, "_local_cache", lambda: False)  # as Redis is
    ProducerFactory(code="P-SHARED")
    graph_cache.get_snapshot()
    graph_cache.reset()  # as a fresh process would be
    with django_assert_num_queries(0):
        assert "P-SHARED" in graph_cache.get_snapshot().position


@pytest.mark.django_db
def test_an_in_process_cache_holds_no_copy_of_the_snapshot(monkeypatch):
    monkeypatch.setattr(graph_cache, "_local_cache", lambda: True)
    ProducerFactory(code="P-LOCAL")
    graph_cache.get_snapshot()
    version = graph_cache.current_version()
    assert cache.get(graph_cache._snapshot_key(version)) is None


@pytest.mark.django_db
def test_a_snapshot_read_on_an_earlier_day_is_read_again():
    ProducerFactory(code="P-DAY")
    first = graph_cache.get_snapshot()
    first.day = dt.date(2000, 1, 1)
    assert graph_cache.get_snapshot() is not first


@pytest.mark.django_db
def test_deleting_a_record_makes_the_snapshot_stale():
    producer = ProducerFactory(code="P-GONE")
    assert "P-GONE" in graph_cache.get_snapshot().position
    services.producer_delete(actor=None, producer=producer)
    assert "P-GONE" not in graph_cache.get_snapshot().position


@pytest.mark.django_db
def test_after_a_write_the_previous_snapshot_answers_while_a_thread_reads_the_new_one(
    settings, monkeypatch
):
    settings.REGISTRY_REFRESH_IN_BACKGROUND = True
    ProducerFactory(code="P-OLD")
    first = graph_cache.get_snapshot()
    started, release = threading.Event(), threading.Event()
    newer = snapshot_from_db(version="newer")

    def slow_read(version):
        started.set()
        release.wait(10)
        return GraphSnapshot.loads(newer.dumps()) if version is None else _as(newer, version)

    monkeypatch.setattr(graph_cache, "_read", slow_read)
    monkeypatch.setattr(graph_cache.connection, "close", lambda: None)
    graph_cache.bump_version()
    # The request does not wait for the read: it gets the snapshot held, marked not current.
    assert graph_cache.get_snapshot() is first
    assert started.wait(10)
    assert graph_cache.stamp_of(first)["current"] is False
    assert graph_cache.get_snapshot() is first  # one refresh at a time
    release.set()
    for _ in range(200):
        if graph_cache.get_snapshot() is not first:
            break
        threading.Event().wait(0.05)
    current = graph_cache.get_snapshot()
    assert current.version == graph_cache.current_version()
    assert graph_cache.stamp_of(current)["current"] is True
    assert graph_cache.get_recommender().snapshot is current


def _as(snapshot, version):
    copy = GraphSnapshot.loads(snapshot.dumps())
    copy.version = version
    return copy


@pytest.mark.django_db
def test_a_failed_refresh_keeps_the_previous_snapshot(settings, monkeypatch):
    settings.REGISTRY_REFRESH_IN_BACKGROUND = True
    ProducerFactory(code="P-KEPT")
    first = graph_cache.get_snapshot()
    done = threading.Event()

    def broken_read(version):
        done.set()
        raise ConnectionError("database restarting")

    monkeypatch.setattr(graph_cache, "_read", broken_read)
    monkeypatch.setattr(graph_cache.connection, "close", lambda: None)
    graph_cache.bump_version()
    assert graph_cache.get_snapshot() is first
    assert done.wait(10)
    for _ in range(100):
        if not graph_cache._warm.refreshing:
            break
        threading.Event().wait(0.02)
    assert graph_cache.get_snapshot() is first


@pytest.mark.django_db
def test_warm_up_builds_the_snapshot_and_the_recommender_before_traffic(
    django_assert_num_queries,
):
    ProducerFactory(code="P-WARM")
    graph_cache.warm_up()
    with django_assert_num_queries(0):
        recommender = graph_cache.get_recommender()
    assert "P-WARM" in recommender.index.p_pos


@pytest.mark.django_db
def test_a_small_write_is_patched_into_the_snapshot_with_two_small_queries(
    django_assert_max_num_queries, monkeypatch
):
    # The ranking's fit (a job run at once in tests) reads the registry too: not counted here.
    monkeypatch.setattr(graph_cache, "_ranking_for", lambda version, recommender: None)
    producer = ProducerFactory(kind=ProducerKind.COOPERATIVE)
    store = BuyerFactory(kind=BuyerKind.STORE)
    kept = BuyerFactory(kind=BuyerKind.SALES_POINT)
    old = services.linkage_create(
        actor=None, kind=LinkageKind.SELLS_TO, source_producer=producer, target_buyer=kept
    )
    first = graph_cache.get_snapshot()
    new = services.linkage_create(
        actor=None,
        kind=LinkageKind.SELLS_TO,
        source_producer=producer,
        target_buyer=store,
        volume_per_month=40,
    )
    services.linkage_update(actor=None, linkage=old, volume_per_month=7)
    with django_assert_max_num_queries(1):  # the one linkage query; no product changed
        patched = graph_cache.get_snapshot()
    assert patched is not first
    assert patched.version == graph_cache.current_version()
    graph = patched.to_networkx()
    assert graph.edges[producer.code, store.code]["volume"] == 40
    assert graph.edges[producer.code, kept.code]["volume"] == 7
    assert set(patched.links["id"]) == {old.id, new.id}
    # The same as reading the whole registry again.
    whole = snapshot_from_db().to_networkx()
    assert sorted(graph.edges(data=True)) == sorted(whole.edges(data=True))


@pytest.mark.django_db
def test_a_product_written_or_deleted_is_patched_in_with_its_linkages():
    from tests.factories import ProductFactory

    producer = ProducerFactory(kind=ProducerKind.COOPERATIVE)
    buyer = BuyerFactory(kind=BuyerKind.SALES_POINT)
    gone = ProductFactory(producer=producer, code="SP-GONE")
    services.linkage_create(
        actor=None,
        kind=LinkageKind.SELLS_TO,
        source_producer=producer,
        target_buyer=buyer,
        product=gone,
    )
    first = graph_cache.get_snapshot()
    assert "SP-GONE" in first.product_position
    services.product_update(actor=None, product=gone, capacity_per_month=123)
    assert graph_cache.get_snapshot().product_table["SP-GONE"]["capacity_per_month"] == 123
    services.product_delete(actor=None, product=gone)
    patched = graph_cache.get_snapshot()
    assert "SP-GONE" not in patched.product_position
    assert len(patched.links) == 0
    whole = snapshot_from_db()
    assert patched.to_networkx().graph["products"] == whole.to_networkx().graph["products"]


@pytest.mark.django_db
def test_any_other_write_reads_the_whole_registry_again():
    ProducerFactory(code="P-A")
    first = graph_cache.get_snapshot()
    services.producer_create(
        actor=None, code="P-B", name="Hợp tác xã B", kind=ProducerKind.COOPERATIVE
    )
    assert "P-B" in graph_cache.get_snapshot().position
    assert graph_cache.changes_since(first.version)[-1] == "*"
