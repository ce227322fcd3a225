"""Readiness gaps: what a buyer requires that a producer does not yet meet.

A buyer's requirements (``linkage.models.BuyerRequirements``; a store without its own follows
its chain's) are documents and marks (``linkage.choices.Requirement``) and a minimum monthly
volume. A producer meets a document requirement when it holds a credential of that kind that has
not expired on the day asked about (expiring on that day counts as expired); it meets the volume
when its product's capacity per month reaches it (an unknown capacity does not).

Pure: plain data in, plain data out; no ORM. The texts are in both languages here, as in
``linkage.reasons``, so that the answer's language is the request's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .choices import Requirement

__all__ = [
    "DOCUMENTS",
    "MIN_VOLUME",
    "effective_requirements",
    "readiness_gaps",
    "readiness_shares",
    "say",
    "with_text",
]

DOCUMENTS = tuple(Requirement.values)
MIN_VOLUME = "min_volume"

TEXTS = {
    "food_safety": {
        "vi": "Chưa có giấy chứng nhận an toàn thực phẩm còn hiệu lực",
        "en": "No food-safety certificate in force",
    },
    "barcode": {"vi": "Chưa có mã vạch", "en": "No barcode"},
    "traceability": {
        "vi": "Chưa có tem truy xuất nguồn gốc / mã QR",
        "en": "No traceability stamp or QR code",
    },
    "vat_invoice": {"vi": "Chưa xuất được hóa đơn VAT", "en": "Cannot issue VAT invoices"},
    "expired": {"vi": " (hết hạn ngày {expired_on})", "en": " (expired on {expired_on})"},
    MIN_VOLUME: {
        "vi": "Bên mua cần ít nhất {needed} mỗi tháng; sản lượng của bạn là {capacity}",
        "en": "The buyer needs at least {needed} a month; your capacity is {capacity}",
    },
    "unknown_capacity": {"vi": "chưa khai báo", "en": "not stated"},
}

SHARE_TEXT = {
    "vi": "{share:.0f} % cơ sở {who} thiếu: {requirement}",
    "en": "{share:.0f} % of {who} lack: {requirement}",
}
REQUIREMENT_NAMES = {
    "vi": {
        "food_safety": "giấy chứng nhận an toàn thực phẩm",
        "barcode": "mã vạch",
        "traceability": "tem truy xuất nguồn gốc / mã QR",
        "vat_invoice": "hóa đơn VAT",
        MIN_VOLUME: "sản lượng tối thiểu",
    },
    "en": {
        "food_safety": "a food-safety certificate",
        "barcode": "a barcode",
        "traceability": "a traceability stamp or QR code",
        "vat_invoice": "VAT invoices",
        MIN_VOLUME: "the minimum volume",
    },
}


def _language(language: str | None) -> str:
    return "vi" if str(language or "").lower().startswith("vi") else "en"


def effective_requirements(
    own: Mapping | None, chain: Mapping | None
) -> tuple[Mapping | None, str | None]:
    """A buyer's requirements: its own when it declares any, else its chain's; and where they
    come from ("own", "chain", or None when neither declares any)."""
    if own is not None:
        return own, "own"
    if chain is not None:
        return chain, "chain"
    return None, None


def _holds(expires_on: dt.date | None, as_of: dt.date) -> bool:
    return expires_on is None or expires_on > as_of


def readiness_gaps(
    requirements: Mapping | None,
    credentials: Mapping[str, dt.date | None],
    capacity_per_month: float | None,
    as_of: dt.date,
) -> list[dict]:
    """The requirements a producer does not meet for a buyer, in the order of ``Requirement``.

    ``requirements``: ``{"documents": [codes], "min_volume_per_month": float or None}`` (None:
    the buyer requires nothing); ``credentials``: kind → expiry date (None: does not lapse) of
    what the producer holds; ``capacity_per_month``: the product's (None: unknown). Each gap is
    ``{"code"}``, with ``expired_on`` for a credential held but lapsed, and ``needed`` and
    ``capacity`` for the volume.
    """
    if not requirements:
        return []
    gaps = []
    wanted = set(requirements.get("documents") or ())
    for code in DOCUMENTS:
        if code not in wanted:
            continue
        if code not in credentials:
            gaps.append({"code": code})
        elif not _holds(credentials[code], as_of):
            gaps.append({"code": code, "expired_on": credentials[code].isoformat()})
    needed = requirements.get("min_volume_per_month")
    if needed and (capacity_per_month is None or capacity_per_month < needed):
        gaps.append({"code": MIN_VOLUME, "needed": needed, "capacity": capacity_per_month})
    return gaps


def say(gap: dict, language: str | None) -> str:
    """The gap in words, in ``language`` ("vi" or "en"; anything else reads as English)."""
    language = _language(language)
    if gap["code"] == MIN_VOLUME:
        capacity = gap.get("capacity")
        return TEXTS[MIN_VOLUME][language].format(
            needed=f"{gap['needed']:,.0f}",
            capacity=TEXTS["unknown_capacity"][language]
            if capacity is None
            else f"{capacity:,.0f}",
        )
    text = TEXTS[gap["code"]][language]
    if gap.get("expired_on"):
        text += TEXTS["expired"][language].format(expired_on=gap["expired_on"])
    return text


def with_text(gaps: Iterable[dict], language: str | None) -> list[dict]:
    """The gaps, each with its ``text`` added."""
    return [{**gap, "text": say(gap, language)} for gap in gaps]


def readiness_shares(
    producers: pd.DataFrame,
    credentials: pd.DataFrame,
    *,
    as_of: dt.date,
    min_volume: float | None = None,
    who: str = "",
    language: str | None = "vi",
) -> pd.DataFrame:
    """How many of ``producers`` lack each requirement, for planners.

    ``producers``: one row per producer, indexed by its code, with ``capacity_per_month`` (the
    largest of the products counted, NaN for unknown); ``credentials``: one row per credential,
    columns ``producer_code``, ``kind``, ``expires_on`` (a date or None). ``min_volume``, when
    given, adds the row ``min_volume``: producers whose capacity is below it or unknown. ``who``
    names the producers in the text ("4-star food producers near Hà Đông").

    Returns a frame indexed by ``requirement`` (the ``Requirement`` codes, then ``min_volume``)
    with ``producers`` (how many were counted), ``lacking``, ``share`` (0–1; NaN without
    producers) and ``text``.
    """
    language = _language(language)
    counted = len(producers)
    held = credentials[credentials["producer_code"].isin(producers.index)]
    in_force = held[[_holds(day, as_of) for day in held["expires_on"]]] if len(held) else held
    rows = []
    for code in DOCUMENTS:
        holders = in_force.loc[in_force["kind"] == code, "producer_code"].nunique()
        rows.append((code, counted - holders))
    if min_volume is not None:
        capacity = producers["capacity_per_month"].to_numpy(dtype=float)
        rows.append((MIN_VOLUME, int(np.sum(~(capacity >= min_volume)))))
    frame = pd.DataFrame(rows, columns=["requirement", "lacking"]).set_index("requirement")
    frame.insert(0, "producers", counted)
    frame["share"] = frame["lacking"] / counted if counted else np.nan
    frame["text"] = [
        SHARE_TEXT[language]
        .format(
            share=100 * share if counted else 0,
            who=who or ("" if language == "vi" else "producers"),
            requirement=REQUIREMENT_NAMES[language][code],
        )
        .replace("  ", " ")
        for code, share in zip(frame.index, frame["share"], strict=True)
    ]
    return frame
