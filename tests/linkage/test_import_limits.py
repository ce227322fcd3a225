"""The readers' limits on what an upload unpacks to and on the rows of a table."""

import io
import zipfile

import pytest

from linkage.importing import reading
from linkage.importing.reading import LimitExceeded, Limits, read_csv, read_zip


def _zip(members: dict[str, bytes]) -> io.BytesIO:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    stream.seek(0)
    return stream


class _Lying:
    """A member stream giving far more than its declared size, as a reader other than
    CPython's zipfile (which stops at the declared size and fails the CRC) might."""

    def __init__(self, size):
        self.left = size

    def read(self, n):
        n = min(n, self.left)
        self.left -= n
        return b"0" * n

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_unpacking_stops_at_the_limit_whatever_the_member_declares():
    class Archive:
        def open(self, info):
            return _Lying(10 * 2**30)  # 10 GB, never held

    info = zipfile.ZipInfo("producers.csv")
    info.file_size = 10
    target = io.BytesIO()
    with pytest.raises(LimitExceeded) as refused:
        reading._unpack(Archive(), info, target, Limits(max_bytes=3 * 2**20), before=0)
    assert refused.value.file == "producers.csv"
    assert len(target.getvalue()) <= 3 * 2**20


def test_the_limit_counts_every_member_together():
    rows = b"code,name,kind\n" + b"HTX-1,HTX,cooperative\n" * 1000  # 22 kB each
    archive = _zip({"producers.csv": rows, "buyers.csv": rows})
    with pytest.raises(LimitExceeded):
        read_zip(archive, Limits(max_bytes=40_000))
    archive.seek(0)
    tables, _, _ = read_zip(archive, Limits(max_bytes=50_000))
    assert set(tables) == {"producers", "buyers"}


def test_rows_are_counted_without_parsing_past_the_limit():
    content = b"code,name\n" + b"X,Y\n" * 100
    with pytest.raises(LimitExceeded) as refused:
        read_csv(io.BytesIO(content), Limits(max_rows=99), file="a.csv", table="producers")
    assert "table producers has more than 99 rows" in refused.value.reason
    assert len(read_csv(io.BytesIO(content), Limits(max_rows=100))) == 100


def test_limits_come_from_the_settings(settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES, settings.IMPORT_MAX_ROWS = 123, 45
    assert Limits.from_settings() == Limits(123, 45)


def test_the_defaults_hold_the_national_dataset_with_room():
    from django.conf import settings

    assert settings.IMPORT_MAX_ROWS >= 1_000_000
    assert settings.IMPORT_MAX_UNCOMPRESSED_BYTES >= 2**30


@pytest.mark.parametrize(
    "chunks", [[b"ab\ncdef", b"gh\nij"], [b"abcdefgh\n"], [b"ab", b"cdef", b"gh"]]
)
def test_a_line_longer_than_the_limit_is_found_across_chunks(monkeypatch, chunks):
    monkeypatch.setattr(reading, "MAX_LINE_BYTES", 5)
    lines = reading._LineLength("a.csv")
    with pytest.raises(LimitExceeded) as refused:
        for chunk in chunks:
            lines.feed(chunk)
    assert refused.value.file == "a.csv" and "longer than" in refused.value.reason


def test_lines_within_the_limit_pass(monkeypatch):
    monkeypatch.setattr(reading, "MAX_LINE_BYTES", 5)
    lines = reading._LineLength("a.csv")
    for chunk in [b"ab\ncd", b"e\nfghij\n", b"\n\nab"]:
        lines.feed(chunk)


def test_a_zip_member_of_one_huge_cell_is_refused_while_unpacking(monkeypatch):
    monkeypatch.setattr(reading, "MAX_LINE_BYTES", 1000)
    archive = _zip({"producers.csv": b"code,name,kind\n" + b"0" * 5000})
    with pytest.raises(LimitExceeded) as refused:
        read_zip(archive, Limits())
    assert refused.value.file == "producers.csv"
