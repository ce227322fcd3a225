"""Who is writing: a user's rights over the registry, as the service layer checks them.

- staff users and members of the "planners" group write everything;
- a producer account (owner of one or more producers) writes its own producers and their products
  (but not their OCOP rating, which only planners set), and linkages whose source is one of its
  producers;
- a buyer account (owner of one or more buyers) writes its own buyers, the stores of the chains it
  owns, the sourcing requests of those buyers, and linkages whose target is one of those buyers.

Creating producers and areas, and deleting anything, is for planners only: an account's own records
come from the programme's registry, not from self-registration.

Contacts (and a producer's credentials) are for counterparts only: planners see every one; an
account sees its own records' contacts; an account that owns a producer sees every buyer's, and
one that owns a buyer sees every producer's (the sides trade with each other). Anonymous readers
and signed-in accounts that own neither see none.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from .models import Buyer, Producer

__all__ = ["ANONYMOUS", "BUYER_ROLE", "PLANNERS_GROUP", "PRODUCER_ROLE", "Account"]

PLANNERS_GROUP = "planners"

PRODUCER_ROLE = "producer"
BUYER_ROLE = "buyer"


@dataclass(frozen=True)
class Account:
    """What one user may write: planner rights, and the ids of the records it owns."""

    user_id: int | None
    is_planner: bool
    producer_ids: frozenset[int]
    buyer_ids: frozenset[int]

    @classmethod
    def of_user(cls, user) -> Account:
        """The account of ``user`` (None or anonymous: owns nothing), in three small queries."""
        if user is None or not user.is_authenticated:
            return ANONYMOUS
        return cls(
            user_id=user.pk,
            is_planner=user.is_staff or user.groups.filter(name=PLANNERS_GROUP).exists(),
            producer_ids=_owned_ids(Producer, user),
            buyer_ids=_owned_ids(Buyer, user),
        )

    @property
    def roles(self) -> frozenset[str]:
        roles = set()
        if self.producer_ids:
            roles.add(PRODUCER_ROLE)
        if self.buyer_ids:
            roles.add(BUYER_ROLE)
        return frozenset(roles)

    def owns_producer(self, producer: Producer | None) -> bool:
        return self.is_planner or (producer is not None and producer.pk in self.producer_ids)

    def owns_buyer(self, buyer: Buyer | None) -> bool:
        """Its own buyers and the stores of the chains it owns."""
        if self.is_planner:
            return True
        return buyer is not None and (
            buyer.pk in self.buyer_ids or buyer.chain_id in self.buyer_ids
        )

    def sees_contacts_of_producer(self, producer: Producer) -> bool:
        """Planners, the producer's own account, and every account that owns a buyer."""
        return self.is_planner or bool(self.buyer_ids) or producer.pk in self.producer_ids

    def sees_contacts_of_buyer(self, buyer: Buyer) -> bool:
        """Planners, the buyer's own account (its chain's too), and every producer account."""
        return self.is_planner or bool(self.producer_ids) or self.owns_buyer(buyer)

    def buyer_q(self, prefix: str = "") -> Q:
        """Buyers this account writes, as a filter on ``prefix`` (e.g. "buyer__")."""
        return Q(**{f"{prefix}id__in": self.buyer_ids}) | Q(
            **{f"{prefix}chain_id__in": self.buyer_ids}
        )


ANONYMOUS = Account(None, False, frozenset(), frozenset())


def _owned_ids(model, user) -> frozenset[int]:
    return frozenset(model.objects.filter(owner=user).values_list("pk", flat=True))
