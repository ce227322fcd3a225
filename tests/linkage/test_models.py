import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from linkage.models import Linkage, Product
from tests.factories import BuyerFactory, LinkageFactory, ProducerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_rating_expires_thirty_six_months_after_rating():
    product = ProductFactory(rated_on=dt.date(2022, 2, 28))
    assert product.rating_expires_on == dt.date(2025, 2, 28)


def test_database_refuses_stars_out_of_range():
    product = ProductFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(stars=6)


def test_database_refuses_latitude_out_of_range():
    with pytest.raises(IntegrityError), transaction.atomic():
        ProducerFactory(lat=91, lon=105)


def test_database_refuses_linkage_of_producer_to_itself():
    producer = ProducerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        LinkageFactory(source_producer=producer, target_buyer=None, target_producer=producer)


def test_database_refuses_duplicate_codes():
    ProducerFactory(code="HTX-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProducerFactory(code="HTX-1")


def test_linkage_key_names_both_ends_and_product():
    product = ProductFactory(code="SP1", producer__code="P1")
    linkage = LinkageFactory(
        source_producer=product.producer, target_buyer=BuyerFactory(code="B1"), product=product
    )
    assert linkage.key == "sells_to:P1>B1:SP1"
    assert Linkage.objects.get(key="sells_to:P1>B1:SP1") == linkage


def test_search_name_folds_vietnamese_accents():
    producer = ProducerFactory(name="HTX Gốm sứ Bát Tràng Đông Anh")
    assert producer.name_folded == "htx gom su bat trang dong anh"
