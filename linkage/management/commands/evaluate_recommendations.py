"""Hide a share of the outlet sales, rank outlets, and print the quality of each method."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from linkage.evaluation import LEVELS, evaluate, format_table
from linkage.selectors import tables_from_db
from simulation.worlds import ASSUMPTIONS as WORLDS

SOURCES = ("db", "demo", *WORLDS, "all")


def _world(source: str, seed: int | None) -> dict:
    if source == "db":
        return tables_from_db()
    seeded = {} if seed is None else {"seed": seed}
    if source == "demo":
        from simulation.demo import hanoi_demo_tables

        return hanoi_demo_tables(**seeded)
    from simulation.worlds import world_tables

    return world_tables(source, **seeded)


class Command(BaseCommand):
    help = (
        "Hide a share of the producer-to-outlet sales, rank outlets for the producers they were "
        "from, and print recall@5, recall@10, MRR and nDCG@10 of the learned ranking and of the "
        "baselines on the same split."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--source",
            choices=SOURCES,
            default="db",
            help="the registry (default), the Hà Nội demo, a generated world built on one "
            "assumption, or all of the demo and the generated worlds",
        )
        parser.add_argument(
            "--seed", type=int, default=None, help="seed of the demo or generated world"
        )
        parser.add_argument("--split-seed", type=int, default=0, help="seed of the random split")
        parser.add_argument("--share", type=float, default=0.2, help="share of sale pairs hidden")
        parser.add_argument(
            "--level",
            choices=LEVELS,
            default="outlet",
            help="outlet (a store or sales point, default) or chain (a store counts as its chain)",
        )
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            default=None,
            help="date the ratings are checked on (default: the data's latest date, at most today)",
        )

    def handle(self, *args, source, seed, split_seed, share, level, as_of, **options):
        if not 0 < share < 1:
            raise CommandError("--share must be between 0 and 1")
        sources = ("demo", *WORLDS) if source == "all" else (source,)
        results = {}
        for name in sources:
            label = name if seed is None else f"{name} (seed {seed})"
            results[label] = evaluate(
                _world(name, seed), share=share, seed=split_seed, level=level, as_of=as_of
            )
        self.stdout.write(format_table(results))
        first = next(iter(results.values()))
        self.stdout.write(
            f"\n{first['level'].capitalize()} level; {first['share']:.0%} of the sale pairs hidden "
            f"(split seed {first['seed']}); ratings checked as of each world's own date."
        )
