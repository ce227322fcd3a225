"""The schedule as tables: one row per meeting, and a grid of slots by buyers' tables.

Pure: meeting rows (dicts) in, pandas frames out; ``linkage.spreadsheets`` writes the bytes.
"""

from __future__ import annotations

import pandas as pd
from django.utils.translation import gettext as _

__all__ = ["MEETING_COLUMNS", "meeting_frame", "schedule_grid"]

MEETING_COLUMNS = [
    "slot",
    "starts_at",
    "ends_at",
    "buyer_code",
    "buyer_name",
    "table",
    "producer_code",
    "producer_name",
    "product_code",
    "product_name",
    "score",
    "outcome",
    "note",
]


def meeting_frame(rows: list[dict]) -> pd.DataFrame:
    """One row per meeting in slot, buyer and table order; columns ``MEETING_COLUMNS``."""
    frame = pd.DataFrame(rows, columns=MEETING_COLUMNS)
    return frame.sort_values(["slot", "buyer_code", "table"], kind="stable").reset_index(drop=True)


def schedule_grid(rows: list[dict], slot_times: list[tuple[str, str]]) -> pd.DataFrame:
    """The printed wall chart: a row per slot (its number and times), a column per buyer's
    table ("<buyer name> · <table>"), each cell the producer and the product met there, empty
    where the table is free."""
    columns: dict[str, dict[int, str]] = {}
    order = sorted({(r["buyer_name"], r["buyer_code"], r["table"]) for r in rows})
    for name, _code, table in order:
        columns[f"{name} · {_('bàn')} {table}"] = {}
    for r in rows:
        key = f"{r['buyer_name']} · {_('bàn')} {r['table']}"
        columns[key][r["slot"]] = f"{r['producer_name']}: {r['product_name']}"
    slots = range(1, len(slot_times) + 1)
    grid = pd.DataFrame(
        {
            _("lượt"): list(slots),
            _("giờ"): [f"{start}–{end}" for start, end in slot_times],
            **{name: [cells.get(s, "") for s in slots] for name, cells in columns.items()},
        }
    )
    return grid
