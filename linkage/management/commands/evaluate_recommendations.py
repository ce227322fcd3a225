"""Hide a share of the sales, recommend buyers, and print recall@k and MRR against baselines."""

import datetime as dt
import importlib

from django.core.management.base import BaseCommand, CommandError

from linkage.evaluation import evaluate, format_table
from linkage.graph import tables_from_db


def _world(source: str, seed: int | None, scale: float) -> dict:
    if source == "db":
        return tables_from_db()
    try:
        demo = importlib.import_module("linkage.demo")
    except ImportError as exc:
        raise CommandError(f"--source {source} needs linkage.demo: {exc}") from exc
    seeded = {} if seed is None else {"seed": seed}
    if source == "demo":
        return demo.hanoi_demo_tables(**seeded)
    sizes = {name: max(2, round(count * scale)) for name, count in demo.NATIONAL_SCALE.items()}
    return demo.synthetic_tables(**sizes, **seeded)


class Command(BaseCommand):
    help = (
        "Hide a share of the sells_to linkages, recommend buyers for the products they were for, "
        "and print recall@k and MRR of the recommender and of the baselines on the same split."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--source",
            choices=["db", "demo", "synthetic"],
            default="db",
            help="the registry (default), the Hà Nội demo world, or a generated world",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=None,
            help="seed of the demo or generated world (default: the generator's own)",
        )
        parser.add_argument(
            "--scale",
            type=float,
            default=0.1,
            help="size of a generated world, as a share of the national scale (default 0.1)",
        )
        parser.add_argument("--split-seed", type=int, default=0, help="seed of the random split")
        parser.add_argument("--share", type=float, default=0.2, help="share of sales hidden")
        parser.add_argument("-k", type=int, default=10, help="cut-off of recall@k")
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            default=None,
            help="date the ratings are checked on (default: the data's latest date, at most today)",
        )

    def handle(self, *args, source, seed, scale, split_seed, share, k, as_of, **options):
        if not 0 < share < 1:
            raise CommandError("--share must be between 0 and 1")
        if not 0 < scale <= 1:
            raise CommandError("--scale must be more than 0 and at most 1")
        if k < 1:
            raise CommandError("-k must be at least 1")
        name = source if seed is None else f"{source} (seed {seed})"
        result = evaluate(
            _world(source, seed, scale), share=share, k=k, seed=split_seed, as_of=as_of
        )
        self.stdout.write(format_table({name: result}))
        self.stdout.write(
            f"\nRatings checked as of {result['as_of']}; {result['share']:.0%} of the sales hidden "
            f"(split seed {result['seed']}); {result['skipped_queries']} queries skipped, their "
            "products having no eligible buyer at all (an expired rating)."
        )
