"""factory_boy factories for the registry; Hà Nội coordinates by default."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from linkage import models
from linkage.choices import AreaLevel, BuyerKind, Category, LinkageKind, ProducerKind


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or "secret-password")
        if create:
            self.save(update_fields=["password"])


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Area

    code = factory.Sequence(lambda n: f"A{n:05d}")
    name = factory.Sequence(lambda n: f"Xã {n}")
    level = AreaLevel.COMMUNE
    lat = 21.03
    lon = 105.85
    population = 10_000


class ProducerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Producer

    code = factory.Sequence(lambda n: f"P{n:05d}")
    name = factory.Sequence(lambda n: f"Hợp tác xã {n}")
    kind = ProducerKind.COOPERATIVE
    lat = 21.0
    lon = 105.8
    members = 20


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Product

    code = factory.Sequence(lambda n: f"SP{n:05d}")
    name = factory.Sequence(lambda n: f"Sản phẩm {n}")
    producer = factory.SubFactory(ProducerFactory)
    category = Category.FOOD
    stars = 4
    rated_on = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=365))
    capacity_per_month = 1000.0
    unit = "kg"
    price_vnd = 150_000


class BuyerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Buyer

    code = factory.Sequence(lambda n: f"B{n:05d}")
    name = factory.Sequence(lambda n: f"Điểm bán OCOP {n}")
    kind = BuyerKind.SALES_POINT
    lat = 21.02
    lon = 105.84
    categories = ""
    min_stars = 3


class ChainFactory(BuyerFactory):
    kind = BuyerKind.RETAIL_CHAIN
    name = factory.Sequence(lambda n: f"Chuỗi {n}")
    lat = None
    lon = None


class StoreFactory(BuyerFactory):
    kind = BuyerKind.STORE
    chain = factory.SubFactory(ChainFactory)
    name = factory.Sequence(lambda n: f"Cửa hàng {n}")


class LinkageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Linkage

    kind = LinkageKind.SELLS_TO
    source_producer = factory.SubFactory(ProducerFactory)
    target_buyer = factory.SubFactory(BuyerFactory)
    volume_per_month = 100.0


class SourcingRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.SourcingRequest

    code = factory.Sequence(lambda n: f"YC{n:05d}")
    buyer = factory.SubFactory(BuyerFactory)
    category = Category.FOOD
    min_stars = 3
    quantity_per_month = 500.0
    max_distance_km = 50.0
