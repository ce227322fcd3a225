"""Folding of Vietnamese text for search and for matching column headings and labels."""

import re

from django.utils.translation import gettext as _
from unidecode import unidecode

__all__ = ["FORMULA_START", "fold", "fold_key", "looks_like_formula", "some_of"]

_SPACES = re.compile(r"\s+")
# What a spreadsheet takes for the start of a formula when it opens a CSV or an xlsx cell.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str | None) -> str:
    """Lower-case ASCII form of ``text``: "Bát Tràng" and "bat  trang" both give "bat trang".

    unidecode maps đ/Đ to d, which plain Unicode decomposition does not.
    """
    if not text:
        return ""
    return _SPACES.sub(" ", unidecode(str(text)).lower()).strip()


def fold_key(text: str | None) -> str:
    """``fold`` with every run of punctuation or space turned into one underscore.

    "Tên sản phẩm" gives "ten_san_pham"; "producer-code" gives "producer_code".
    """
    return _NON_WORD.sub("_", fold(text)).strip("_")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would run ``text`` as a formula: it starts with =, + or @.

    "-" is left out here: "- không -" is a plain name; exports still quote it (see the exporter).
    """
    return text[:1] in ("=", "+", "@")


# An error names the codes it is about, but a list of 100,000 unknown codes helps nobody.
NAMED_AT_MOST = 20


def some_of(codes, limit: int = NAMED_AT_MOST) -> str:
    """``codes`` joined by commas, the first ``limit`` of them and how many more: "A, B (and 98
    more)"."""
    codes = list(codes)
    shown = ", ".join(str(code) for code in codes[:limit])
    if len(codes) <= limit:
        return shown
    return _("%(shown)s (and %(more)d more)") % {"shown": shown, "more": len(codes) - limit}
