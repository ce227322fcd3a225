"""Checking the rules between tables: references, chains, loops and the two ends of a linkage.

``check_references(parsed, stored, skip_bad_rows)`` takes every table of an import (parsed and
checked on its own by ``checking``) and ``stored``, which gives a table's rows in the database;
it refuses, through ``Parsed.fail``, each row that points at a code neither the registry nor the
import holds, or breaks a rule between tables. It returns, for each code a linkage names, whether
that code is a "producer" or a "buyer".
"""

from __future__ import annotations

from collections.abc import Callable

from ..choices import BuyerKind
from ..models import Buyer
from .checking import Parsed
from .vocabulary import TABLES, Column
from .writing import Stored

__all__ = ["check_references"]


def check_references(
    parsed: dict[str, Parsed], stored: Callable[[str], Stored], skip_bad_rows: bool
) -> dict[str, str]:
    """Refuse the rows that break a rule between tables; the table ("producer" or "buyer") of
    each code a linkage names.
    """
    return _References(parsed, stored, skip_bad_rows).check()


class _References:
    """One import's tables, checked against each other and the registry in TABLES order."""

    def __init__(self, parsed, stored, skip):
        self.parsed, self.stored, self.skip = parsed, stored, skip
        self.actor_tables: dict[str, str] = {}

    def _import_codes(self, table: str) -> set[str]:
        """Codes a reference may point to in this import: rows that will be written."""
        parsed = self.parsed.get(table)
        if parsed is None:
            return set()
        if self.skip:
            return {parsed.keys[i] for i in parsed.good() if parsed.keys[i] is not None}
        return {key for key in parsed.keys if key is not None}

    def check(self) -> dict[str, str]:
        """References to codes of the database or of this import, table by table."""
        for table in TABLES:
            parsed = self.parsed.get(table)
            if parsed is None:
                continue
            # Checks that refuse rows come before the references, so that with skip_bad_rows a
            # row pointing at a refused one (a store of a refused chain) is refused in turn.
            if table in ("producers", "buyers"):
                self._check_actor_codes(parsed)
            if table == "buyers":
                self._check_chain_kinds(parsed)
            if table == "buyers" and "chain_code" in parsed.present:
                self._check_chains(parsed)
            for column in parsed.spec.columns:
                if column.kind == "ref" and column.name in parsed.present:
                    self._check_ref(parsed, column)
            if table == "linkages":
                self._check_actors(parsed)
                if "product_code" in parsed.present:
                    self._check_linkage_products(parsed)
            if table in ("areas", "buyers"):
                self._check_cycles(parsed)
        return self.actor_tables

    def _check_ref(self, parsed: Parsed, column: Column) -> None:
        known = self.stored(column.ref).rows.keys()
        own = self._import_codes(column.ref)
        for _ in range(10 if column.ref == parsed.spec.name else 1):
            before = len(parsed.bad)
            for pos, code in enumerate(parsed.cols[column.name]):
                if code is None or pos in parsed.bad or code in known:
                    continue
                if code not in own:
                    parsed.fail(pos, column.name, f"no {column.ref[:-1]} has code {code!r}")
            if column.ref != parsed.spec.name or len(parsed.bad) == before or not self.skip:
                break
            own = self._import_codes(column.ref)  # a failed parent fails its children in turn

    def _check_chain_kinds(self, parsed: Parsed) -> None:
        """A chain that has stores stays a chain."""
        with_stores = set(
            Buyer.objects.order_by().filter(stores__isnull=False).values_list("code", flat=True)
        )
        for pos, code in enumerate(parsed.keys):
            kind = parsed.cols["kind"][pos]
            if code in with_stores and kind and kind != BuyerKind.RETAIL_CHAIN:
                parsed.fail(pos, "kind", f"{code!r} has stores; move them before changing its kind")

    def _check_chains(self, parsed: Parsed) -> None:
        kinds = {
            code: kind
            for code, kind in Buyer.objects.order_by()
            .filter(kind=BuyerKind.RETAIL_CHAIN)
            .values_list("code", "kind")
        }
        for pos, code in enumerate(parsed.keys):
            if code is not None and parsed.cols["kind"][pos]:
                kinds[code] = parsed.cols["kind"][pos]
        for pos, chain in enumerate(parsed.cols["chain_code"]):
            if chain is None or pos in parsed.bad:
                continue
            if chain not in kinds and chain not in self.stored("buyers").rows:
                continue  # already reported as unknown
            if kinds.get(chain) != BuyerKind.RETAIL_CHAIN:
                parsed.fail(pos, "chain_code", f"{chain!r} is not a retail chain")

    def _check_cycles(self, parsed: Parsed) -> None:
        column = "parent_code" if parsed.spec.name == "areas" else "chain_code"
        if column not in parsed.present:
            return
        # The file's rows over the stored ones: a loop may close through records already there.
        stored = self.stored(parsed.spec.name)
        at = stored.names.index(column)
        parent = {code: values[at] for code, (_, values) in stored.rows.items()}
        parent.update(
            (parsed.keys[i], parsed.cols[column][i])
            for i in parsed.good()
            if parsed.keys[i] is not None
        )
        for pos in list(parsed.good()):
            seen, code = set(), parsed.keys[pos]
            while code in parent and code not in seen:
                seen.add(code)
                code = parent[code]
            if code is not None and code in seen:
                parsed.fail(pos, column, f"{column} makes a loop back to {code!r}")

    def _check_actor_codes(self, parsed: Parsed) -> None:
        """Linkages name their ends by code alone, so one code names one producer or buyer."""
        other = "buyers" if parsed.spec.name == "producers" else "producers"
        taken = self.stored(other).rows.keys() | self._import_codes(other)
        for pos, code in enumerate(parsed.keys):
            if code is not None and code in taken and pos not in parsed.bad:
                parsed.fail(pos, "code", f"{code!r} is already the code of a {other[:-1]}")

    def _check_linkage_products(self, parsed: Parsed) -> None:
        """A linkage's product belongs to one of its two ends."""
        owner: dict[str, str] = {}
        stored = self.stored("products")
        if "producer_code" in stored.names:
            at = stored.names.index("producer_code")
            owner = {code: values[at] for code, (_, values) in stored.rows.items()}
        products = self.parsed.get("products")
        if products is not None and "producer_code" in products.present:
            for pos in products.good():
                owner[products.keys[pos]] = products.cols["producer_code"][pos]
        for pos, product in enumerate(parsed.cols["product_code"]):
            if product is None or pos in parsed.bad or product not in owner:
                continue
            if owner[product] not in (
                parsed.cols["source_code"][pos],
                parsed.cols["target_code"][pos],
            ):
                parsed.fail(
                    pos,
                    "product_code",
                    f"{product!r} is a product of {owner[product]!r}, not of either end",
                )

    def _check_actors(self, parsed: Parsed) -> None:
        producers = self.stored("producers").rows.keys() | self._import_codes("producers")
        buyers = self.stored("buyers").rows.keys() | self._import_codes("buyers")
        for column in ("source_code", "target_code"):
            for pos, code in enumerate(parsed.cols[column]):
                if code is None:
                    continue
                in_producers, in_buyers = code in producers, code in buyers
                if in_producers and in_buyers:
                    parsed.fail(pos, column, f"{code!r} is the code of a producer and of a buyer")
                elif not (in_producers or in_buyers):
                    parsed.fail(pos, column, f"no producer or buyer has code {code!r}")
                else:
                    self.actor_tables[code] = "producer" if in_producers else "buyer"
