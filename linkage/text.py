"""Folding of Vietnamese text for search and for matching column headings and labels."""
import re

from unidecode import unidecode

__all__ = ["fold", "fold_key"]

_SPACES = re.compile(r"\s+")
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
