from api.renderers import feature_collection


def test_positions_are_longitude_then_latitude():
    collection = feature_collection([{"lat": 21.0, "lon": 105.8, "code": "P1"}], ["code"])
    assert collection["type"] == "FeatureCollection"
    feature = collection["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [105.8, 21.0]}
    assert feature["properties"] == {"code": "P1"}


def test_rows_without_coordinates_are_left_out():
    rows = [{"lat": None, "lon": None, "code": "A"}, {"lat": 0.0, "lon": 0.0, "code": "B"}]
    collection = feature_collection(rows, ["code"])
    assert [f["properties"]["code"] for f in collection["features"]] == ["B"]


def test_foreign_members_are_added_at_the_top_level():
    assert feature_collection([], ["code"], truncated=False)["truncated"] is False
