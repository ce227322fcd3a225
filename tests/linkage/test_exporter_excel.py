import pandas as pd

from linkage.exporter import excel_safe


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
    frame = pd.DataFrame({"name": ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "Gốm = đẹp"]})
    assert excel_safe(frame)["name"].tolist() == [
        '\'=HYPERLINK("http://x","y")',
        "'+1",
        "'@SUM(A1)",
        "Gốm = đẹp",
    ]
