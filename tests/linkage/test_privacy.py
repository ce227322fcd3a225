import pandas as pd

from linkage.privacy import (
    codes_named,
    frame_codes,
    withheld_name,
    withhold_frame,
    withhold_households,
)


def test_records_pairs_and_features_of_hidden_codes_are_withheld_and_others_kept():
    data = {
        "results": [
            {"code": "HH", "name": "Hộ A", "address": "Thôn 1", "lat": 21.123456, "lon": 105.8},
            {"code": "HTX", "name": "HTX B", "lat": 21.123456},
            {"source_code": "HH", "source_name": "Hộ A", "target_code": "HTX", "target_name": "B"},
        ],
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [105.812345, 21.123456]},
                "properties": {"code": "HH", "name": "Hộ A"},
            }
        ],
    }
    out = withhold_households(data, {"HH"})
    household, cooperative, linkage = out["results"]
    assert household == {
        "code": "HH",
        "name": withheld_name(),
        "address": "",
        "lat": 21.12,
        "lon": 105.8,
    }
    assert cooperative["name"] == "HTX B" and cooperative["lat"] == 21.123456
    assert linkage["source_name"] == withheld_name() and linkage["target_name"] == "B"
    feature = out["features"][0]
    assert feature["geometry"]["coordinates"] == [105.81, 21.12]
    assert feature["properties"]["name"] == withheld_name()


def test_frames_withhold_the_same_way_without_changing_the_input():
    frame = pd.DataFrame(
        {"code": ["SP1", "SP2"], "producer_code": ["HH", "HTX"], "producer_name": ["Hộ A", "B"]}
    ).set_index("code")
    out = withhold_frame(frame, {"HH"})
    assert out["producer_name"].tolist() == [withheld_name(), "B"]
    assert frame["producer_name"].tolist() == ["Hộ A", "B"]
    assert out.index.name == "code"


def test_the_codes_an_answer_names_are_those_the_withholding_looks_at():
    data = {
        "results": [{"code": "A1", "area_code": "X", "name": "n"}, {"source_code": "HH"}],
        "features": [{"type": "Feature", "properties": {"code": "P1"}}],
        "count": 3,
    }
    assert codes_named(data) == {"A1", "X", "HH", "P1"}
    frame = pd.DataFrame({"producer_code": ["HH", None], "name": ["a", "b"]}, index=["S1", "S2"])
    frame.index.name = "code"
    assert frame_codes(frame) == {"HH", "S1", "S2"}
