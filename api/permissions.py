"""HTTP gates in front of the service layer's rules of who may write what.

Reading is open to everyone. Writing needs a signed-in account with a role the view accepts
(``linkage.accounts`` describes the roles); any other account may not write (403). Creating
producers and areas, and deleting anything, is for staff and planners only.

The rules of a write themselves, such as whether a body may point at a record, are the service
layer's (``linkage.services``), refused with 400 naming the field; a field the account may not
write at all (the OCOP rating, for anyone but planners) is refused with 403 naming it. Records an
account may not write are outside its write queryset, so changing one answers 404.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from linkage import selectors
from linkage.accounts import ANONYMOUS, BUYER_ROLE, PLANNERS_GROUP, PRODUCER_ROLE, Account

__all__ = [
    "ANONYMOUS",
    "BUYER_ROLE",
    "PLANNERS_GROUP",
    "PRODUCER_ROLE",
    "Account",
    "IsPlanner",
    "ReadOnlyOrAuthorised",
    "account_of",
]


def account_of(request) -> Account:
    """The request's account (``linkage.accounts.Account``), loaded once per request."""
    cached = getattr(request, "_ocop_account", None)
    if cached is None:
        cached = request._ocop_account = Account.of_user(getattr(request, "user", None))
    return cached


class _HiddenHouseholds:
    """The households an account may not see in full, ``code in hidden``: read from the database
    on the first question only, so that answers naming no producer cost no query."""

    def __init__(self, account: Account):
        self.account = account
        self._households = self._visible = None

    def __bool__(self) -> bool:
        return True

    def __contains__(self, code) -> bool:
        if self._households is None:
            self._households = selectors.household_codes()
            self._visible = selectors.households_linked_to(self.account.producer_ids)
        return code in self._households and code not in self._visible


def hidden_households(request):
    """The household codes whose details this request may not see (``linkage.privacy``):
    none for planners and staff, all but its own households for a cooperative's account, all
    for everyone else."""
    cached = getattr(request, "_ocop_hidden_households", None)
    if cached is None:
        account = account_of(request)
        cached = frozenset() if account.is_planner else _HiddenHouseholds(account)
        request._ocop_hidden_households = cached
    return cached


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
