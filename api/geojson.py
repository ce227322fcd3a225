"""GeoJSON (RFC 7946) from plain rows: no ORM, no HTTP."""

from collections.abc import Iterable, Mapping, Sequence

__all__ = ["MEDIA_TYPE", "feature_collection"]

MEDIA_TYPE = "application/geo+json"


def feature_collection(
    rows: Iterable[Mapping],
    properties: Sequence[str],
    *,
    lat: str = "lat",
    lon: str = "lon",
    **members,
) -> dict:
    """A FeatureCollection with one Point feature per row that has coordinates.

    ``rows`` are mappings holding ``lat`` and ``lon`` keys (WGS 84 degrees) and the keys named in
    ``properties``, which become each feature's properties. Rows without both coordinates are left
    out, since a feature with a null geometry draws nothing on a map. Positions are [longitude,
    latitude], the order RFC 7946 fixes. ``members`` are added at the top level (RFC 7946 §6.1
    foreign members), e.g. ``truncated=True``.
    """
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row[lon], row[lat]]},
            "properties": {name: row.get(name) for name in properties},
        }
        for row in rows
        if row.get(lat) is not None and row.get(lon) is not None
    ]
    return {"type": "FeatureCollection", "features": features, **members}
