"""The match workflow's funnel for planners: proposals, accepted, MOUs, trading, ended.

Pure pandas: a frame of proposals in, a frame out; no ORM, no HTTP.

The proposals frame holds one row per proposal with the columns of ``PROPOSAL_COLUMNS``:
``state`` (``linkage.choices.ProposalState``), ``proposed_on`` and the days each later stage was
reached (``accepted_on``, ``mou_signed_on``, ``trading_on``, ``ended_on``; dates or missing),
``category`` (the product's group), ``chain_code`` (the buyer's chain, the buyer itself when it is
a chain; missing for others) and ``area_code`` (the producer's area, rolled up by the caller).

Counting rules
- A proposal counts in every stage it reached: its date for that stage is known, or it is in that
  state now (an imported proposal may carry its state without the day). Every path to ``ended``
  passes through ``accepted``, so an ended proposal counts as accepted too; ``mou_signed`` is
  counted only where an MOU was recorded, since a deal may go to trading without one.
- ``median_days_to_trading``: the median of ``trading_on - proposed_on`` in days, over the
  proposals with both dates; missing when there are none.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["BY", "FUNNEL_COLUMNS", "PROPOSAL_COLUMNS", "funnel", "reached"]

PROPOSAL_COLUMNS = (
    "state",
    "proposed_on",
    "accepted_on",
    "mou_signed_on",
    "trading_on",
    "ended_on",
    "category",
    "chain_code",
    "area_code",
)
FUNNEL_COLUMNS = (
    "proposals",
    "accepted",
    "mou_signed",
    "trading",
    "ended",
    "median_days_to_trading",
)
# The ways the funnel is cut, and the column each reads.
BY = {"year": "year", "group": "category", "chain": "chain_code", "area": "area_code"}

_AFTER_ACCEPTANCE = {"accepted", "mou_signed", "trading", "ended"}


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce")


def reached(proposals: pd.DataFrame) -> pd.DataFrame:
    """Whether each proposal reached each stage: a boolean frame with the columns ``accepted``,
    ``mou_signed``, ``trading`` and ``ended``, on the index of ``proposals``."""
    state = proposals["state"].astype(object)
    return pd.DataFrame(
        {
            "accepted": _dates(proposals["accepted_on"]).notna() | state.isin(_AFTER_ACCEPTANCE),
            "mou_signed": _dates(proposals["mou_signed_on"]).notna() | (state == "mou_signed"),
            "trading": _dates(proposals["trading_on"]).notna() | (state == "trading"),
            "ended": _dates(proposals["ended_on"]).notna() | (state == "ended"),
        },
        index=proposals.index,
    )


def funnel(proposals: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """The funnel of ``proposals``, one row per value of ``by`` (a key of ``BY``), or one row
    ``"all"`` without it.

    Returns a frame indexed by ``by`` (``year`` an int; ``group``, ``chain``, ``area`` codes,
    "" for proposals without one), sorted, with the columns of ``FUNNEL_COLUMNS``: counts, and
    the median days from proposal to trading (NaN where none traded with known dates).
    Raises ValueError for an unknown ``by``.
    """
    if by is not None and by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}")
    stages = reached(proposals)
    proposed = _dates(proposals["proposed_on"])
    days = (_dates(proposals["trading_on"]) - proposed).dt.days
    frame = stages.assign(proposals=1, days=days)
    if by is None:
        key = pd.Series("all", index=proposals.index)
        name = "all"
    elif by == "year":
        key = proposed.dt.year.astype("Int64")
        name = "year"
    else:
        key = proposals[BY[by]].astype(object).where(proposals[BY[by]].notna(), "")
        name = by
    frame[name] = key.to_numpy()
    if frame.empty:
        out = pd.DataFrame(columns=list(FUNNEL_COLUMNS)).rename_axis(name)
        return out.astype({c: "int64" for c in FUNNEL_COLUMNS[:-1]} | {FUNNEL_COLUMNS[-1]: float})
    grouped = frame.groupby(name, sort=True, dropna=False)
    out = grouped[["proposals", "accepted", "mou_signed", "trading", "ended"]].sum().astype("int64")
    out["median_days_to_trading"] = grouped["days"].median().astype(float)
    out.index.name = name
    return out[list(FUNNEL_COLUMNS)].replace({np.inf: np.nan})
