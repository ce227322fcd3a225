"""One rating row per product that holds a dated rating: the start of each product's history."""

from django.db import migrations

from linkage.dates import rating_expiry

BATCH = 2000


def ratings_from_products(apps, schema_editor):
    Product = apps.get_model("linkage", "Product")
    Rating = apps.get_model("linkage", "Rating")
    rated = (
        Product.objects.filter(stars__isnull=False, rated_on__isnull=False)
        .order_by("pk")
        .values_list("pk", "stars", "potential_five_star", "rated_on")
    )
    batch = []
    for product_id, stars, potential, rated_on in rated.iterator(chunk_size=BATCH):
        batch.append(
            Rating(
                product_id=product_id,
                stars=stars,
                potential_five_star=potential,
                rated_on=rated_on,
                expires_on=rating_expiry(rated_on),
                note="",
            )
        )
        if len(batch) == BATCH:
            Rating.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    Rating.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("linkage", "0003_rating")]

    operations = [migrations.RunPython(ratings_from_products, migrations.RunPython.noop)]
