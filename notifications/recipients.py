"""Who hears of an event: the accounts that own the producers and buyers it concerns.

The owner of a producer; the owner of a buyer and, for a store, the owner of its chain too (a
chain's account manages its stores, ``linkage.accounts``). Planners are not recipients by role:
they see everything already, and would otherwise hear of every write.
"""

from __future__ import annotations

from collections.abc import Iterable

from linkage.models import Buyer, Producer

__all__ = ["buyer_owners", "producer_owners"]


def producer_owners(codes: Iterable[str]) -> set[int]:
    """The user ids owning the producers with these codes."""
    owners = Producer.objects.filter(code__in=list(codes), owner__isnull=False)
    return set(owners.values_list("owner_id", flat=True))


def buyer_owners(codes: Iterable[str]) -> set[int]:
    """The user ids owning the buyers with these codes, or the chains of those that are stores."""
    rows = Buyer.objects.filter(code__in=list(codes)).values_list("owner_id", "chain__owner_id")
    return {user for row in rows for user in row if user is not None}
