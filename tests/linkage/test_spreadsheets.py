import io

import pandas as pd
from openpyxl import load_workbook

from linkage.spreadsheets import csv_bytes, excel_safe, xlsx_bytes


def test_excel_safe_removes_control_characters_but_keeps_tabs_and_line_breaks():
    frame = pd.DataFrame(
        {"name": ["a\x01b", "c\td\r\ne", None], "n": [1, 2, 3]},
        index=pd.Index(["x\x1f", "y", "z"], name="code"),
    )
    safe = excel_safe(frame)
    assert safe["name"].tolist()[:2] == ["ab", "c\td\r\ne"]
    assert pd.isna(safe["name"].iloc[2])
    assert safe["n"].tolist() == [1, 2, 3]
    assert safe.index.tolist() == ["x", "y", "z"] and safe.index.name == "code"
    assert frame.loc["x\x1f", "name"] == "a\x01b"


def test_excel_safe_quotes_text_a_spreadsheet_would_run_as_a_formula():
    frame = pd.DataFrame(
        {
            "name": [
                '=HYPERLINK("http://x","y")',
                "+1",
                "@SUM(A1)",
                "-2+3+cmd|' /C calc'!A0",
                "Gốm = đẹp",
            ]
        }
    )
    assert excel_safe(frame)["name"].tolist() == [
        '\'=HYPERLINK("http://x","y")',
        "'+1",
        "'@SUM(A1)",
        "'-2+3+cmd|' /C calc'!A0",
        "Gốm = đẹp",
    ]


def test_csv_starts_with_a_byte_order_mark_and_keeps_vietnamese():
    content = csv_bytes(pd.DataFrame({"name": ["Hà Nội"]}))
    assert content.startswith(b"\xef\xbb\xbf")
    assert content.decode("utf-8-sig") == "name\nHà Nội\n"


def test_index_labels_are_quoted_too_including_every_level_of_a_multi_index():
    frame = pd.DataFrame(
        {"count": [1, 2]},
        index=pd.MultiIndex.from_tuples([("=A1", "-x"), ("ok", "fine")], names=["a", "b"]),
    )
    text = csv_bytes(frame, index=True).decode("utf-8-sig")
    assert "'=A1,'-x,1" in text and "ok,fine,2" in text


def test_workbook_has_a_sheet_per_table_with_names_cut_to_excels_limit():
    long_name = "a sheet name longer than thirty-one characters"
    content = xlsx_bytes({"first": pd.DataFrame({"x": [1]}), long_name: pd.DataFrame({"y": ["@"]})})
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["first", long_name[:31]]
    assert book[long_name[:31]]["A2"].value == "'@"
