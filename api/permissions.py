"""Who may write what.

Reading is open to everyone. Writing needs a signed-in account:
- staff users and members of the "planners" group write everything;
- a producer account (owner of one or more producers) writes its own producers and their products,
  and linkages whose source is one of its producers;
- a buyer account (owner of one or more buyers) writes its own buyers, the stores of the chains it
  owns, the sourcing requests of those buyers, and linkages whose target is one of those buyers;
- any other account may not write (403).

Creating producers, areas and deleting anything is for staff and planners only: an account's own
records come from the programme's registry, not from self-registration, which keeps the rule simple.
Records an account may not write are outside its write queryset, so changing one answers 404; a body
that points at such a record answers 400 naming the field.
"""

from dataclasses import dataclass

from django.db.models import Q
from rest_framework.permissions import SAFE_METHODS, BasePermission

from linkage.models import Buyer, Producer

__all__ = [
    "PLANNERS_GROUP",
    "Account",
    "IsPlanner",
    "ReadOnlyOrAuthorised",
    "account_of",
]

PLANNERS_GROUP = "planners"

PRODUCER_ROLE = "producer"
BUYER_ROLE = "buyer"


@dataclass(frozen=True)
class Account:
    """What one signed-in user may write: planner rights, and the ids of the records it owns."""

    user_id: int | None
    is_planner: bool
    producer_ids: frozenset[int]
    buyer_ids: frozenset[int]

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

    def buyer_q(self, prefix: str = "") -> Q:
        """Buyers this account writes, as a filter on ``prefix`` (e.g. "buyer__")."""
        return Q(**{f"{prefix}id__in": self.buyer_ids}) | Q(
            **{f"{prefix}chain_id__in": self.buyer_ids}
        )


ANONYMOUS = Account(None, False, frozenset(), frozenset())


def _owned_ids(model, user) -> frozenset[int]:
    return frozenset(model.objects.filter(owner=user).values_list("pk", flat=True))


def account_of(request) -> Account:
    """The request's account, loaded once per request (three small queries at most)."""
    cached = getattr(request, "_ocop_account", None)
    if cached is not None:
        return cached
    user = request.user
    if not (user and user.is_authenticated):
        account = ANONYMOUS
    else:
        is_planner = user.is_staff or user.groups.filter(name=PLANNERS_GROUP).exists()
        account = Account(
            user_id=user.pk,
            is_planner=is_planner,
            producer_ids=_owned_ids(Producer, user),
            buyer_ids=_owned_ids(Buyer, user),
        )
    request._ocop_account = account
    return account


class ReadOnlyOrAuthorised(BasePermission):
    """Anyone reads; writes need an account with a role the view accepts for that action.

    A view lists ``write_roles`` (roles that may update and create) and may narrow creation with
    ``create_roles``; deletion is for planners. Views without ``write_roles`` are planners-only.
    """

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        if not (request.user and request.user.is_authenticated):
            return False
        account = account_of(request)
        if account.is_planner:
            return True
        roles = getattr(view, "write_roles", frozenset())
        if getattr(view, "action", None) == "create":
            roles = getattr(view, "create_roles", roles)
        # Deletion is checked on the object so that another account's record still answers 404.
        return bool(account.roles & roles)

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        if request.method == "DELETE":
            return account_of(request).is_planner
        return True


class IsPlanner(BasePermission):
    """Staff users and members of the "planners" group only."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        return account_of(request).is_planner
