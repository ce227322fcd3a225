import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone, translation

from linkage import graph_cache, services
from linkage.accounts import ANONYMOUS, Account
from linkage.choices import AreaLevel, BuyerKind, Category, LinkageKind, ProducerKind
from linkage.events import ANY, listen, stop_listening
from linkage.models import Area, Buyer, Linkage, Producer, Product, SourcingRequest
from tests.factories import (
    AreaFactory,
    BuyerFactory,
    ChainFactory,
    LinkageFactory,
    ProducerFactory,
    ProductFactory,
    SourcingRequestFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    """Every event delivered, in order."""
    events = []
    listen(ANY, events.append)
    yield events
    stop_listening(ANY, events.append)


@pytest.fixture
def world():
    area = AreaFactory(code="A-1")
    producer = ProducerFactory(code="P-1", area=area)
    product = ProductFactory(code="SP-1", producer=producer)
    buyer = BuyerFactory(code="B-1", area=area)
    return {
        "area": area,
        "spare_area": AreaFactory(code="A-SPARE"),
        "producer": producer,
        "spare_producer": ProducerFactory(code="P-SPARE"),
        "product": product,
        "buyer": buyer,
        "spare_buyer": BuyerFactory(code="B-SPARE"),
        "linkage": LinkageFactory(source_producer=producer, target_buyer=buyer, product=product),
        "sourcing_request": SourcingRequestFactory(code="YC-1", buyer=buyer),
    }


def _deleted(delete, **record):
    """Delete the one record given and return the code its event should carry."""
    ((_name, obj),) = record.items()
    code = obj.key if isinstance(obj, Linkage) else obj.code
    delete(actor=None, **record)
    return code


# Each write, run by the system, returning the code its event should carry.
WRITES = {
    "area.created": lambda w: services.area_create(
        actor=None, code="A-NEW", name="Xã mới", level=AreaLevel.COMMUNE, parent=w["area"]
    ).code,
    "area.updated": lambda w: services.area_update(
        actor=None, area=w["area"], population=12_000
    ).code,
    "area.deleted": lambda w: _deleted(services.area_delete, area=w["spare_area"]),
    "producer.created": lambda w: services.producer_create(
        actor=None, code="P-NEW", name="HTX mới", kind=ProducerKind.COOPERATIVE
    ).code,
    "producer.updated": lambda w: services.producer_update(
        actor=None, producer=w["producer"], members=42
    ).code,
    "producer.deleted": lambda w: _deleted(services.producer_delete, producer=w["spare_producer"]),
    "product.created": lambda w: services.product_create(
        actor=None, code="SP-NEW", name="Mật ong", producer=w["producer"], category=Category.FOOD
    ).code,
    "product.updated": lambda w: services.product_update(
        actor=None, product=w["product"], stars=5
    ).code,
    "product.deleted": lambda w: _deleted(services.product_delete, product=w["product"]),
    "buyer.created": lambda w: services.buyer_create(
        actor=None, code="B-NEW", name="Điểm bán mới", kind=BuyerKind.SALES_POINT
    ).code,
    "buyer.updated": lambda w: services.buyer_update(
        actor=None, buyer=w["buyer"], min_stars=4
    ).code,
    "buyer.deleted": lambda w: _deleted(services.buyer_delete, buyer=w["spare_buyer"]),
    "linkage.created": lambda w: services.linkage_create(
        actor=None,
        kind=LinkageKind.SELLS_TO,
        source_producer=w["producer"],
        target_buyer=w["spare_buyer"],
    ).key,
    "linkage.updated": lambda w: services.linkage_update(
        actor=None, linkage=w["linkage"], volume_per_month=250.0
    ).key,
    "linkage.deleted": lambda w: _deleted(services.linkage_delete, linkage=w["linkage"]),
    "sourcing_request.created": lambda w: services.sourcing_request_create(
        actor=None, code="YC-NEW", buyer=w["buyer"], category=Category.FOOD, quantity_per_month=50
    ).code,
    "sourcing_request.updated": lambda w: services.sourcing_request_update(
        actor=None, sourcing_request=w["sourcing_request"], status="closed"
    ).code,
    "sourcing_request.deleted": lambda w: _deleted(
        services.sourcing_request_delete, sourcing_request=w["sourcing_request"]
    ),
}


@pytest.mark.parametrize("event", sorted(WRITES))
def test_every_write_bumps_the_graph_version_and_is_told_after_the_commit(
    event, world, heard, django_capture_on_commit_callbacks
):
    before = graph_cache.current_version()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        code = WRITES[event](world)
        assert graph_cache.current_version() != before
        assert heard == []
    assert any(
        getattr(callback, "func", None) is graph_cache.bump_version for callback in callbacks
    )
    assert [(e.name, e.code, e.actor_id) for e in heard] == [(event, code, None)]


def test_an_event_names_the_account_that_wrote(world, heard, django_capture_on_commit_callbacks):
    user = UserFactory(username="carol")
    world["producer"].owner = user
    world["producer"].save()
    with django_capture_on_commit_callbacks(execute=True):
        services.product_update(
            actor=Account.of_user(user), product=world["product"], price_vnd=99_000
        )
    assert [(e.name, e.actor_id, e.data) for e in heard] == [
        ("product.updated", user.pk, {"fields": ["price_vnd"]})
    ]


def test_a_sourcing_request_created_tells_what_is_asked(
    world, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.sourcing_request_create(
            actor=None,
            code="YC-NEW",
            buyer=world["buyer"],
            category=Category.FOOD,
            quantity_per_month=50,
            min_stars=4,
        )
    (event,) = heard
    assert event.name == "sourcing_request.created"
    assert event.data == {
        "buyer": "B-1",
        "category": Category.FOOD,
        "min_stars": 4,
        "quantity_per_month": 50,
        "max_distance_km": None,
        "deadline": None,
        "price_min_vnd": None,
        "price_max_vnd": None,
    }


@pytest.fixture
def alice_and_bob():
    """Two producer accounts, each owning one producer with one product."""
    accounts = {}
    for name in ("alice", "bob"):
        user = UserFactory(username=name)
        producer = ProducerFactory(code=f"HTX-{name}", owner=user)
        ProductFactory(code=f"SP-{name}", producer=producer)
        accounts[name] = (Account.of_user(user), producer)
    return accounts


def test_a_product_of_another_accounts_producer_is_refused_and_nothing_written(
    alice_and_bob, heard, django_capture_on_commit_callbacks
):
    alice, _own = alice_and_bob["alice"]
    _bob, bobs_producer = alice_and_bob["bob"]
    before = graph_cache.current_version()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(services.WriteRefused) as refused:
            services.product_create(
                actor=alice,
                code="SP-NEW",
                name="Chè",
                producer=bobs_producer,
                category=Category.BEVERAGES,
            )
    assert list(refused.value.errors) == ["producer"]
    assert not Product.objects.filter(code="SP-NEW").exists()
    assert graph_cache.current_version() == before
    assert callbacks == [] and heard == []


def test_moving_a_product_to_another_accounts_producer_is_refused_and_undone(alice_and_bob):
    alice, own = alice_and_bob["alice"]
    _bob, bobs_producer = alice_and_bob["bob"]
    product = Product.objects.get(code="SP-alice")
    with pytest.raises(services.WriteRefused) as refused:
        services.product_update(actor=alice, product=product, producer=bobs_producer)
    assert "producer" in refused.value.errors
    assert product.producer == own
    assert Product.objects.get(code="SP-alice").producer == own


def test_a_record_of_another_account_is_refused(alice_and_bob):
    alice, _own = alice_and_bob["alice"]
    with pytest.raises(services.WriteRefused) as refused:
        services.product_update(actor=alice, product=Product.objects.get(code="SP-bob"), stars=1)
    assert services.NON_FIELD_ERRORS in refused.value.errors
    assert Product.objects.get(code="SP-bob").stars != 1


def test_planners_only_write_areas_and_delete(alice_and_bob, world):
    alice, own = alice_and_bob["alice"]
    with pytest.raises(services.WriteRefused):
        services.area_create(actor=alice, code="A-X", name="X", level=AreaLevel.COMMUNE)
    with pytest.raises(services.WriteRefused):
        services.producer_delete(actor=alice, producer=own)
    with pytest.raises(services.WriteRefused):
        services.area_create(actor=ANONYMOUS, code="A-X", name="X", level=AreaLevel.COMMUNE)
    planner = UserFactory(username="planner")
    planner.groups.add(Group.objects.get_or_create(name="planners")[0])
    services.area_create(
        actor=Account.of_user(planner), code="A-X", name="X", level=AreaLevel.COMMUNE
    )
    assert Area.objects.filter(code="A-X").exists()
    assert Producer.objects.filter(pk=own.pk).exists()


def test_the_models_own_rules_refuse_a_write_naming_the_field(world):
    with pytest.raises(services.WriteRefused) as refused:
        services.product_update(
            actor=None, product=world["product"], stars=3, potential_five_star=True
        )
    assert list(refused.value.errors) == ["potential_five_star"]
    with pytest.raises(services.WriteRefused) as refused:
        services.producer_create(actor=None, code="P-2", name="HTX", kind="no-such-kind")
    assert list(refused.value.errors) == ["kind"]
    with pytest.raises(services.WriteRefused) as refused:
        services.producer_create(actor=None, code="P-1", name="HTX", kind=ProducerKind.HOUSEHOLD)
    assert list(refused.value.errors) == ["code"]


def test_a_code_names_one_producer_or_buyer(world):
    with pytest.raises(services.WriteRefused) as refused:
        services.producer_create(actor=None, code="B-1", name="HTX", kind=ProducerKind.HOUSEHOLD)
    assert list(refused.value.errors) == ["code"]
    with pytest.raises(services.WriteRefused) as refused:
        services.buyer_create(actor=None, code="P-1", name="Điểm", kind=BuyerKind.SALES_POINT)
    assert list(refused.value.errors) == ["code"]


def test_a_code_does_not_change(world):
    with pytest.raises(services.WriteRefused) as refused:
        services.producer_update(actor=None, producer=world["producer"], code="P-RENAMED")
    assert list(refused.value.errors) == ["code"]
    assert world["producer"].code == "P-1"


def test_a_linkage_is_registered_once(world):
    with pytest.raises(services.WriteRefused) as refused:
        services.linkage_create(
            actor=None,
            kind=world["linkage"].kind,
            source_producer=world["producer"],
            target_buyer=world["buyer"],
            product=world["product"],
        )
    assert list(refused.value.errors) == [services.NON_FIELD_ERRORS]
    assert Linkage.objects.count() == 1


def test_a_buyer_account_attaches_stores_only_to_its_own_chain():
    user = UserFactory(username="aeon")
    own = ChainFactory(code="CHAIN-aeon", owner=user)
    other = ChainFactory(code="CHAIN-other")
    store = StoreFactory(code="STORE-aeon", chain=own)
    account = Account.of_user(user)
    for chain in (None, other):
        with pytest.raises(services.WriteRefused) as refused:
            services.buyer_create(
                actor=account, code="STORE-NEW", name="Cửa hàng", kind=BuyerKind.STORE, chain=chain
            )
        assert list(refused.value.errors) == ["chain"]
    with pytest.raises(services.WriteRefused) as refused:
        services.buyer_update(actor=account, buyer=store, chain=other)
    assert list(refused.value.errors) == ["chain"]
    with pytest.raises(services.WriteRefused) as refused:
        services.buyer_update(actor=account, buyer=own, owner=None)
    assert list(refused.value.errors) == ["owner"]
    services.buyer_create(
        actor=account, code="STORE-NEW", name="Cửa hàng", kind=BuyerKind.STORE, chain=own
    )
    assert Buyer.objects.get(code="STORE-NEW").chain == own


def test_an_area_or_a_chain_does_not_contain_itself(world):
    child = AreaFactory(code="A-CHILD", parent=world["area"])
    with pytest.raises(services.WriteRefused) as refused:
        services.area_update(actor=None, area=world["area"], parent=child)
    assert list(refused.value.errors) == ["parent"]
    chain = ChainFactory(code="CHAIN")
    with pytest.raises(services.WriteRefused) as refused:
        services.buyer_update(actor=None, buyer=chain, chain=chain)
    assert list(refused.value.errors) == ["chain"]


def test_a_failing_listener_does_not_undo_the_write(
    world, caplog, django_capture_on_commit_callbacks
):
    def broken(event):
        raise RuntimeError("the mail server is down")

    listen("sourcing_request.updated", broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            updated = services.sourcing_request_update(
                actor=None, sourcing_request=world["sourcing_request"], status="closed"
            )
    finally:
        stop_listening("sourcing_request.updated", broken)
    assert updated.status == "closed"
    assert SourcingRequest.objects.get(code="YC-1").status == "closed"
    assert "the mail server is down" in caplog.text


def test_an_unknown_field_is_a_programming_error(world):
    with pytest.raises(TypeError):
        services.product_update(actor=None, product=world["product"], colour="red")


def _producer_account(world):
    user = UserFactory(username="owner")
    world["producer"].owner = user
    world["producer"].save()
    return Account.of_user(user)


@pytest.mark.parametrize(
    "change",
    [{"stars": 5}, {"rated_on": dt.date(2026, 1, 2)}, {"potential_five_star": True, "stars": 4}],
)
def test_a_producer_may_not_set_its_products_rating(world, change):
    actor = _producer_account(world)
    product = world["product"]
    before = (product.stars, product.potential_five_star, product.rated_on)
    with translation.override("en"), pytest.raises(services.WriteForbidden) as refused:
        services.product_update(actor=actor, product=product, **change)
    assert set(refused.value.errors) == {
        name for name, value in change.items() if value != getattr(product, name)
    }
    with translation.override("en"):
        assert "Only planners" in str(refused.value.errors)
    product.refresh_from_db()
    assert (product.stars, product.potential_five_star, product.rated_on) == before
    assert not product.ratings.exists()


def test_a_producer_may_send_its_products_rating_back_unchanged(world):
    actor = _producer_account(world)
    product = world["product"]
    services.product_update(
        actor=actor, product=product, stars=product.stars, rated_on=product.rated_on, unit="hộp"
    )
    assert Product.objects.get(pk=product.pk).unit == "hộp"


def test_a_producer_creates_products_without_a_rating_only(world):
    actor = _producer_account(world)
    fields = {"name": "Mật ong", "producer": world["producer"], "category": Category.FOOD}
    with pytest.raises(services.WriteForbidden) as refused:
        services.product_create(actor=actor, code="SP-2", stars=4, **fields)
    assert set(refused.value.errors) == {"stars"}
    assert not Product.objects.filter(code="SP-2").exists()
    product = services.product_create(actor=actor, code="SP-3", **fields)
    assert product.stars is None and not product.ratings.exists()


def test_a_buyer_may_not_rate_a_product(world):
    user = UserFactory(username="chain")
    ChainFactory(code="CH-1", owner=user)
    with pytest.raises(services.WriteForbidden):
        services.product_rate(
            actor=Account.of_user(user),
            product=world["product"],
            stars=5,
            rated_on=dt.date(2025, 1, 1),
        )
    assert not world["product"].ratings.exists()


def test_a_rating_in_the_future_is_refused_even_for_planners(world):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(services.WriteRefused) as refused:
        services.product_update(actor=None, product=world["product"], rated_on=tomorrow)
    assert not isinstance(refused.value, services.WriteForbidden)
    assert set(refused.value.errors) == {"rated_on"}
    with pytest.raises(services.WriteRefused) as refused:
        services.product_rate(actor=None, product=world["product"], stars=4, rated_on=tomorrow)
    assert set(refused.value.errors) == {"rated_on"}
    with pytest.raises(services.WriteRefused):
        services.product_create(
            actor=None,
            code="SP-9",
            name="x",
            producer=world["producer"],
            category=Category.FOOD,
            stars=3,
            rated_on=tomorrow,
        )
    assert not world["product"].ratings.exists()


def test_product_rate_appends_to_the_history_and_moves_the_product_to_the_newest(world):
    planner = Account.of_user(UserFactory(username="council", is_staff=True))
    product = world["product"]
    product.stars, product.rated_on = 3, dt.date(2021, 5, 1)
    product.save()
    newer = services.product_rate(
        actor=planner, product=product, stars=4, rated_on=dt.date(2024, 5, 1), note="re-rated"
    )
    assert newer.expires_on == dt.date(2027, 5, 1)
    assert newer.decided_by_id == planner.user_id
    product.refresh_from_db()
    assert (product.stars, product.rated_on, product.rating_expires_on) == (
        4,
        dt.date(2024, 5, 1),
        dt.date(2027, 5, 1),
    )
    # An older decision recorded late joins the history without replacing the newest.
    services.product_rate(actor=planner, product=product, stars=2, rated_on=dt.date(2018, 1, 1))
    product.refresh_from_db()
    assert product.stars == 4
    assert list(product.ratings.order_by("rated_on").values_list("stars", flat=True)) == [2, 4]


def test_product_rate_refuses_a_second_rating_on_the_same_day(world):
    day = dt.date(2024, 5, 1)
    services.product_rate(actor=None, product=world["product"], stars=4, rated_on=day)
    with pytest.raises(services.WriteRefused) as refused:
        services.product_rate(actor=None, product=world["product"], stars=5, rated_on=day)
    assert set(refused.value.errors) == {"rated_on"}
    assert world["product"].ratings.get().stars == 4


def test_product_rate_applies_the_rating_rules(world):
    with pytest.raises(services.WriteRefused) as refused:
        services.product_rate(
            actor=None,
            product=world["product"],
            stars=5,
            potential_five_star=True,
            rated_on=dt.date(2024, 5, 1),
        )
    assert set(refused.value.errors) == {"potential_five_star"}
    assert not world["product"].ratings.exists()


def test_a_planners_change_of_the_rating_is_kept_in_the_history(world):
    planner = Account.of_user(UserFactory(username="council", is_staff=True))
    product = world["product"]
    services.product_update(actor=planner, product=product, stars=5, rated_on=dt.date(2025, 3, 1))
    rating = product.ratings.get()
    assert (rating.stars, rating.rated_on, rating.decided_by_id) == (
        5,
        dt.date(2025, 3, 1),
        planner.user_id,
    )
    # A correction on the same day corrects that row.
    services.product_update(actor=planner, product=product, stars=4)
    assert list(product.ratings.values_list("stars", flat=True)) == [4]
    # Changing something else records nothing.
    services.product_update(actor=planner, product=product, unit="hộp")
    assert product.ratings.count() == 1


@pytest.mark.parametrize("code", ["REL/1", "A B", "x:y", "a>b", "..", "ấ", "#1", "a?b"])
def test_a_code_outside_letters_digits_dot_underscore_and_dash_is_refused(world, code):
    with pytest.raises(services.WriteRefused) as refused:
        services.product_create(
            actor=None, code=code, name="x", producer=world["producer"], category=Category.FOOD
        )
    assert set(refused.value.errors) == {"code"}
    with pytest.raises(services.WriteRefused) as refused:
        services.area_create(actor=None, code=code, name="x", level=AreaLevel.COMMUNE)
    assert set(refused.value.errors) == {"code"}


@pytest.mark.parametrize("code", ["HN.DAN_PHUONG.LIEN_HA", "SP-0001", "a.b_c-1", "X"])
def test_codes_of_the_registry_files_are_accepted(world, code):
    area = services.area_create(actor=None, code=code, name="x", level=AreaLevel.COMMUNE)
    assert area.code == code
