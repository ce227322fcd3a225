import pytest
from django.test import Client

from tests.factories import LinkageFactory, ProductFactory, SourcingRequestFactory, UserFactory

pytestmark = pytest.mark.django_db

MODELS = ["area", "producer", "product", "buyer", "linkage", "sourcingrequest"]


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
