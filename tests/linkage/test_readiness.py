"""Readiness gaps: a producer against a buyer's requirements, and counted for planners."""

import datetime as dt
import math

import pandas as pd

from linkage.readiness import effective_requirements, readiness_gaps, readiness_shares, with_text

TODAY = dt.date(2026, 6, 1)


def test_nothing_required_means_no_gap():
    assert readiness_gaps(None, {}, None, TODAY) == []
    assert readiness_gaps({"documents": [], "min_volume_per_month": None}, {}, None, TODAY) == []


def test_missing_and_expired_credentials_are_gaps():
    wanted = {"documents": ["vat_invoice", "barcode", "food_safety"]}
    held = {"barcode": None, "food_safety": TODAY, "traceability": None}
    assert readiness_gaps(wanted, held, 10, TODAY) == [
        {"code": "food_safety", "expired_on": "2026-06-01"},
        {"code": "vat_invoice"},
    ]
    held["food_safety"] = TODAY + dt.timedelta(days=1)
    assert readiness_gaps(wanted, held, 10, TODAY) == [{"code": "vat_invoice"}]


def test_a_minimum_volume_above_capacity_is_a_gap():
    wanted = {"documents": [], "min_volume_per_month": 500}
    assert readiness_gaps(wanted, {}, 500, TODAY) == []
    assert readiness_gaps(wanted, {}, 499, TODAY) == [
        {"code": "min_volume", "needed": 500, "capacity": 499}
    ]
    (unknown,) = with_text(readiness_gaps(wanted, {}, None, TODAY), "vi")
    assert (
        unknown["text"] == "Bên mua cần ít nhất 500 mỗi tháng; sản lượng của bạn là chưa khai báo"
    )


def test_a_store_follows_its_chain_unless_it_declares_its_own():
    own, chain = {"documents": "barcode"}, {"documents": "vat_invoice"}
    assert effective_requirements(None, chain) == (chain, "chain")
    assert effective_requirements(own, chain) == (own, "own")
    assert effective_requirements(None, None) == (None, None)


def test_shares_count_producers_lacking_each_requirement():
    producers = pd.DataFrame(
        {"capacity_per_month": [100.0, math.nan, 1000.0]}, index=pd.Index(["P1", "P2", "P3"])
    )
    credentials = pd.DataFrame(
        [
            ("P1", "barcode", None),
            ("P2", "barcode", TODAY - dt.timedelta(days=1)),
            ("P3", "food_safety", None),
            ("OTHER", "barcode", None),
        ],
        columns=["producer_code", "kind", "expires_on"],
    )
    frame = readiness_shares(
        producers,
        credentials,
        as_of=TODAY,
        min_volume=500,
        who="4-star food producers near Hà Đông",
        language="en",
    )
    assert frame.loc["barcode", "lacking"] == 2
    assert frame.loc["food_safety", "lacking"] == 2
    assert frame.loc["vat_invoice", "share"] == 1.0
    assert frame.loc["min_volume", "lacking"] == 2
    assert (frame["producers"] == 3).all()
    assert (
        frame.loc["barcode", "text"] == "67 % of 4-star food producers near Hà Đông lack: a barcode"
    )


def test_shares_of_no_producers_are_unknown():
    empty = pd.DataFrame({"capacity_per_month": []}, index=pd.Index([], dtype=object))
    credentials = pd.DataFrame(columns=["producer_code", "kind", "expires_on"])
    frame = readiness_shares(empty, credentials, as_of=TODAY)
    assert (frame["lacking"] == 0).all() and frame["share"].isna().all()
