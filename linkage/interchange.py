"""The interchange tables of SPEC.md and their columns, in order: what the exporter writes, the
importer reads and the simulations generate. Pure, so the simulations need no Django."""

__all__ = ["COLUMNS"]

COLUMNS: dict[str, tuple[str, ...]] = {
    "areas": ("code", "name", "level", "parent_code", "lat", "lon", "population"),
    "producers": ("code", "name", "kind", "area_code", "address", "lat", "lon", "members"),
    "products": (
        "code",
        "name",
        "producer_code",
        "category",
        "stars",
        "potential_five_star",
        "rated_on",
        "capacity_per_month",
        "unit",
        "price_vnd",
        "traceability_url",
    ),
    "buyers": (
        "code",
        "name",
        "kind",
        "chain_code",
        "area_code",
        "address",
        "lat",
        "lon",
        "categories",
        "min_stars",
    ),
    "linkages": (
        "source_code",
        "target_code",
        "kind",
        "product_code",
        "volume_per_month",
        "started_on",
        "ended_on",
    ),
    "sourcing_requests": (
        "code",
        "buyer_code",
        "category",
        "min_stars",
        "quantity_per_month",
        "max_distance_km",
    ),
}
