"""The funnel from proposal to trading."""

import datetime as dt

import pandas as pd
import pytest

from analytics.funnel import FUNNEL_COLUMNS, PROPOSAL_COLUMNS, funnel

D = dt.date


def _frame(rows):
    return pd.DataFrame(rows, columns=list(PROPOSAL_COLUMNS))


ROWS = [
    ("proposed", D(2025, 1, 1), None, None, None, None, "food", "AEON", "HN.HD"),
    ("declined", D(2025, 2, 1), None, None, None, None, "food", "AEON", "HN.HD"),
    (
        "trading",
        D(2025, 3, 1),
        D(2025, 3, 5),
        D(2025, 3, 9),
        D(2025, 3, 11),
        None,
        "food",
        "AEON",
        "HN.BV",
    ),
    (
        "ended",
        D(2026, 1, 1),
        D(2026, 1, 2),
        None,
        D(2026, 1, 31),
        D(2026, 6, 1),
        "herbal",
        None,
        "HN.BV",
    ),
    # Imported with its state only.
    ("mou_signed", D(2026, 2, 1), None, None, None, None, "herbal", "WIN", "HN.BV"),
]


def test_funnel_counts_every_stage_reached():
    (total,) = funnel(_frame(ROWS)).to_dict(orient="records")
    assert total == {
        "proposals": 5,
        "accepted": 3,
        "mou_signed": 2,
        "trading": 2,
        "ended": 1,
        "median_days_to_trading": 20.0,
    }


def test_funnel_by_year_group_chain_and_area():
    by_year = funnel(_frame(ROWS), "year")
    assert by_year.index.tolist() == [2025, 2026]
    assert by_year["proposals"].tolist() == [3, 2]
    assert by_year.loc[2025, "median_days_to_trading"] == 10.0
    assert funnel(_frame(ROWS), "group").loc["herbal", "accepted"] == 2
    by_chain = funnel(_frame(ROWS), "chain")
    assert by_chain.loc["", "proposals"] == 1 and by_chain.loc["AEON", "trading"] == 1
    assert funnel(_frame(ROWS), "area").loc["HN.BV", "trading"] == 2
    assert list(by_year.columns) == list(FUNNEL_COLUMNS)


def test_funnel_of_no_proposals_is_empty():
    assert funnel(_frame([]), "chain").empty


def test_funnel_refuses_an_unknown_cut():
    with pytest.raises(ValueError):
        funnel(_frame(ROWS), "colour")
