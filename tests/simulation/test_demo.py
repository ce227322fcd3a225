"""The Hà Nội demo data, the synthetic generator, the CSV writer and ``load_demo``."""

import datetime as dt
import io
from collections import Counter, defaultdict

import numpy as np
import pandas as pd
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from knox.models import AuthToken

from api.authentication import TokenAuthentication
from linkage.distance import haversine_km
from linkage.models import Buyer, Producer, Product
from simulation.demo import (
    CATEGORIES,
    HANOI_TARGETS,
    TABLE_COLUMNS,
    hanoi_demo_tables,
    synthetic_tables,
    write_csv_folder,
)

SMALL = dict(
    provinces=3, communes=40, producers=50, households=200, products=80, stores=30, sales_points=5
)


@pytest.fixture(scope="module")
def hanoi():
    return hanoi_demo_tables(2025)


@pytest.fixture(scope="module")
def small():
    return synthetic_tables(**SMALL, seed=3)


def _check_references(tables):
    producers = {row["code"] for row in tables["producers"]}
    buyers = {row["code"] for row in tables["buyers"]}
    products = {row["code"]: row for row in tables["products"]}
    areas = {row["code"] for row in tables["areas"]}
    assert len(producers) == len(tables["producers"])
    assert len(buyers) == len(tables["buyers"])
    assert len(products) == len(tables["products"])
    assert not producers & buyers
    actors = producers | buyers
    for link in tables["linkages"]:
        assert link["source_code"] in actors, link
        assert link["target_code"] in actors, link
        assert link["source_code"] != link["target_code"]
        if link["product_code"] is not None:
            assert link["product_code"] in products, link
    keys = [
        (r["kind"], r["source_code"], r["target_code"], r["product_code"])
        for r in tables["linkages"]
    ]
    assert len(keys) == len(set(keys))
    for row in tables["products"]:
        assert row["producer_code"] in producers
    for row in tables["areas"]:
        assert row["parent_code"] is None or row["parent_code"] in areas
    for row in tables["producers"] + tables["buyers"]:
        assert row["area_code"] is None or row["area_code"] in areas
    for row in tables["buyers"]:
        assert row["chain_code"] is None or row["chain_code"] in buyers
    for row in tables["sourcing_requests"]:
        assert row["buyer_code"] in buyers


def _check_sells_to_fit(tables):
    buyers = {row["code"]: row for row in tables["buyers"]}
    products = {row["code"]: row for row in tables["products"]}
    sells = [r for r in tables["linkages"] if r["kind"] == "sells_to"]
    assert sells
    for link in sells:
        buyer, product = buyers[link["target_code"]], products[link["product_code"]]
        assert product["producer_code"] == link["source_code"]
        assert product["category"] in buyer["categories"].split(";")
        assert product["stars"] >= (buyer["min_stars"] or 1)


def test_hanoi_demo_is_deterministic_for_a_seed(hanoi):
    assert hanoi_demo_tables(2025) == hanoi
    assert hanoi_demo_tables(2026)["linkages"] != hanoi["linkages"]


def test_hanoi_products_follow_the_published_proportions(hanoi):
    products = hanoi["products"]
    total = len(products)
    assert abs(total - 3463) <= 35
    groups = Counter(row["category"] for row in products)
    for category, share in {
        "food": 0.65,
        "handicraft": 0.29,
        "beverages": 0.02,
        "textiles": 0.02,
        "herbal": 0.01,
    }.items():
        assert abs(groups[category] / total - share) <= 0.02, category
    assert 0 < groups["tourism"] / total <= 0.02
    five = sum(row["stars"] == 5 for row in products) / total
    potential = sum(row["potential_five_star"] for row in products) / total
    four = sum(row["stars"] == 4 for row in products) / total
    three = sum(row["stars"] == 3 for row in products) / total
    assert 0.001 <= five <= 0.006
    assert 0.005 <= potential <= 0.015
    assert abs(four - 0.67) <= 0.02 and abs(three - 0.32) <= 0.02
    assert all(row["stars"] == 4 for row in products if row["potential_five_star"])


def test_hanoi_rating_dates_have_the_published_shape(hanoi):
    years = Counter(dt.date.fromisoformat(row["rated_on"]).year for row in hanoi["products"])
    assert min(years) == 2019 and max(years) == 2025
    assert abs((years[2019] + years[2020]) - 1054) <= 30
    assert abs((years[2019] + years[2020] + years[2021]) - 1649) <= 40
    assert abs(years[2022] - 518) <= 20
    assert all(years[year] >= 400 for year in range(2021, 2026))
    assert max(row["rated_on"] for row in hanoi["products"]) <= "2025-06-30"


def test_hanoi_geography_has_its_126_communes_and_the_30_old_districts(hanoi):
    levels = Counter((row["level"], row["scheme"]) for row in hanoi["areas"])
    assert levels == {
        ("province", "current"): 1,
        ("commune", "current"): 126,
        ("district", "legacy"): 30,
    }
    names = {row["name"] for row in hanoi["areas"]}
    assert {"Quận Hoàn Kiếm", "Huyện Ba Vì", "Thị xã Sơn Tây", "Xã Bát Tràng"} <= names
    assert {"Phường Hoàn Kiếm", "Phường Hà Đông", "Xã Ba Vì"} <= names
    by_code = {row["code"]: row for row in hanoi["areas"]}
    assert by_code["HN"]["official_code"] == "01"
    assert by_code["HN.GIA_LAM"]["official_code"] == "018"
    assert by_code["HN.XA_BAT_TRANG"]["official_code"] == "00577"
    officials = [(row["scheme"], row["official_code"]) for row in hanoi["areas"]]
    assert len(set(officials)) == len(officials)
    assert {row["parent_code"] for row in hanoi["areas"] if row["level"] != "province"} == {"HN"}
    for row in hanoi["areas"]:
        assert 20.5 < row["lat"] < 21.4 and 105.2 < row["lon"] < 106.1
    population = sum(row["population"] for row in hanoi["areas"] if row["level"] == "commune")
    assert abs(population - by_code["HN"]["population"]) <= 126


def test_hanoi_producers_sit_where_their_products_come_from(hanoi):
    producers = {row["code"]: row for row in hanoi["producers"]}
    expected = {
        "Gốm men rạn Bát Tràng": ("handicraft", "HN.XA_BAT_TRANG", "HN.GIA_LAM"),
        "Lụa Vạn Phúc": ("textiles", "HN.PHUONG_HA_DONG", "HN.HA_DONG"),
        "Sữa tươi Ba Vì": ("food", None, "HN.BA_VI"),
        "Miến dong Cự Đà": ("food", None, "HN.THANH_OAI"),
    }
    for name, (category, commune, district) in expected.items():
        named = [p for p in hanoi["products"] if p["name"].startswith(name)]
        assert named, name
        for product in named:
            producer = producers[product["producer_code"]]
            assert product["category"] == category
            assert producer["legacy_area_code"] == district
            assert commune is None or producer["area_code"] == commune


def test_hanoi_products_rated_in_2022_come_from_the_published_26_districts(hanoi):
    producers = {row["code"]: row for row in hanoi["producers"]}
    rated_2022 = [p for p in hanoi["products"] if p["rated_on"].startswith("2022")]
    districts = {producers[p["producer_code"]]["legacy_area_code"] for p in rated_2022}
    assert len(rated_2022) == 518 and len(districts) == 26


def test_hanoi_buyers_have_the_published_sales_points_chains_and_platforms(hanoi):
    kinds = Counter(row["kind"] for row in hanoi["buyers"])
    assert kinds["sales_point"] == 110
    names = {row["name"] for row in hanoi["buyers"] if row["kind"] in ("retail_chain", "ecommerce")}
    for expected in (
        "AEON",
        "WinMart",
        "Central Retail",
        "Hapro",
        "BRG Mart",
        "Co.op",
        "Postmart",
        "Voso",
        "Tiki",
        "Lazada",
        "Shopee",
    ):
        assert any(expected in name for name in names), expected
    for row in hanoi["buyers"]:
        assert (row["lat"] is None) == (row["kind"] in ("retail_chain", "ecommerce"))
    requests = hanoi["sourcing_requests"]
    assert 30 <= len(requests) <= 50


def test_hanoi_sourcing_requests_are_mostly_feasible_and_a_few_are_not(hanoi):
    producers = {row["code"]: row for row in hanoi["producers"]}
    buyers = {row["code"]: row for row in hanoi["buyers"]}
    products = hanoi["products"]
    lat = np.array([producers[p["producer_code"]]["lat"] for p in products])
    lon = np.array([producers[p["producer_code"]]["lon"] for p in products])
    category = np.array([p["category"] for p in products])
    stars = np.array([p["stars"] for p in products])
    capacity = np.array([p["capacity_per_month"] for p in products])
    feasible = 0
    for request in hanoi["sourcing_requests"]:
        buyer = buyers[request["buyer_code"]]
        assert request["category"] in buyer["categories"].split(";")
        eligible = (category == request["category"]) & (stars >= request["min_stars"])
        if request["max_distance_km"] is not None:
            eligible &= (
                haversine_km(buyer["lat"], buyer["lon"], lat, lon) <= (request["max_distance_km"])
            )
        feasible += capacity[eligible].sum() >= request["quantity_per_month"]
    assert feasible >= 0.8 * len(hanoi["sourcing_requests"])
    assert feasible <= len(hanoi["sourcing_requests"]) - 2


def test_hanoi_linkages_reference_existing_codes(hanoi):
    _check_references(hanoi)
    kinds = Counter(row["kind"] for row in hanoi["linkages"])
    assert set(kinds) == {"member_of", "supplies", "sells_to", "lists_on", "mou"}


def test_hanoi_sells_to_respects_buyer_categories_and_min_stars(hanoi):
    _check_sells_to_fit(hanoi)


def test_hanoi_buyers_of_a_producer_buy_from_its_neighbours_more_than_chance(hanoi):
    producers = {row["code"]: row for row in hanoi["producers"]}
    category = {row["producer_code"]: row["category"] for row in hanoi["products"]}
    sells = defaultdict(set)
    for link in hanoi["linkages"]:
        if link["kind"] == "sells_to":
            sells[link["target_code"]].add(link["source_code"])
    sellers = sorted({p for ps in sells.values() for p in ps})
    by_cluster = defaultdict(list)
    for code in sellers:
        by_cluster[(producers[code]["area_code"], category[code])].append(code)
    by_group = defaultdict(list)
    for code in sellers:
        by_group[category[code]].append(code)

    def hit_rate(peers_of):
        hits = trials = 0
        for sellers_of_buyer in sells.values():
            for code in sellers_of_buyer:
                peers = [q for q in peers_of(code) if q != code]
                hits += sum(q in sellers_of_buyer for q in peers)
                trials += len(peers)
        return hits / trials

    same_cluster = hit_rate(lambda c: by_cluster[(producers[c]["area_code"], category[c])])
    same_group = hit_rate(lambda c: by_group[category[c]])
    assert same_cluster > 3 * same_group


def test_synthetic_tables_have_the_requested_counts_and_unique_codes(small):
    levels = Counter(row["level"] for row in small["areas"])
    assert levels == {"province": 3, "commune": 40}
    kinds = Counter(row["kind"] for row in small["producers"])
    assert kinds["household"] == 200 and len(small["producers"]) == 250
    assert len(small["products"]) == 80
    buyer_kinds = Counter(row["kind"] for row in small["buyers"])
    assert buyer_kinds["store"] == 30 and buyer_kinds["sales_point"] == 5
    assert buyer_kinds["ecommerce"] == 5 and buyer_kinds["retail_chain"] >= 2
    assert {row["category"] for row in small["products"]} <= set(CATEGORIES)
    _check_references(small)
    _check_sells_to_fit(small)
    assert synthetic_tables(**SMALL, seed=3) == small


def test_synthetic_tables_refuse_fewer_products_than_producers():
    with pytest.raises(ValueError):
        synthetic_tables(**{**SMALL, "products": 10}, seed=1)


def test_write_csv_folder_writes_each_table_with_the_interchange_columns(small, tmp_path):
    written = write_csv_folder(small, tmp_path)
    assert sorted(path.name for path in written) == sorted(f"{t}.csv" for t in TABLE_COLUMNS)
    for name, columns in TABLE_COLUMNS.items():
        frame = pd.read_csv(tmp_path / f"{name}.csv", dtype=str, keep_default_na=False)
        assert tuple(frame.columns) == columns
        assert len(frame) == len(small[name])
    products = pd.read_csv(tmp_path / "products.csv", dtype=str, keep_default_na=False)
    assert set(products["potential_five_star"]) <= {"true", "false"}


@pytest.mark.django_db(transaction=False)
def test_load_demo_imports_without_errors_and_a_second_run_changes_nothing():
    first, second = io.StringIO(), io.StringIO()
    call_command("load_demo", stdout=first)
    assert Product.objects.count() == HANOI_TARGETS["products"]
    cooperative = Producer.objects.get(owner__username="demo_producer")
    assert cooperative.kind == "cooperative"
    assert Buyer.objects.get(owner__username="demo_buyer").kind == "retail_chain"
    planner = get_user_model().objects.get(username="demo_planner")
    assert not planner.is_staff and planner.groups.filter(name="planners").exists()
    assert AuthToken.objects.filter(user=planner, expiry__isnull=False).exists()
    # The printed token signs the account in (only its hash is stored).
    printed = next(line for line in first.getvalue().splitlines() if "demo_planner" in line)
    token = printed.split(" token ")[1].split()[0]
    assert TokenAuthentication().authenticate_credentials(token.encode())[0] == planner
    assert "password" in first.getvalue()
    stamp = cooperative.updated_at

    call_command("load_demo", stdout=second)
    lines = [line for line in second.getvalue().splitlines() if "unchanged" in line]
    assert len(lines) == len(TABLE_COLUMNS)
    for line in lines:
        numbers = [int(word) for word in line.split() if word.isdigit()]
        assert numbers[0] == 0 and numbers[1] == 0, line
    assert "superuser admin" not in second.getvalue()
    assert Producer.objects.get(pk=cooperative.pk).updated_at == stamp
    assert get_user_model().objects.filter(is_superuser=True).count() == 1
