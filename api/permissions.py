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


class HiddenHouseholds:
    """The households an account may not see in full (``linkage.privacy``), asked of the codes
    an answer names: answers that name no household cost one small query."""

    def __init__(self, account: Account):
        self.account = account
        self._visible = None

    def among(self, codes) -> frozenset[str]:
        """Which of ``codes`` are households this account may not see in full."""
        households = selectors.households_among(codes) if codes else frozenset()
        if households and self.account.producer_ids:
            if self._visible is None:
                self._visible = selectors.households_linked_to(self.account.producer_ids)
            households -= self._visible
        return households


def hidden_households(request) -> HiddenHouseholds | None:
    """Who this request may not see in full: None for planners and staff (they see everything),
    else the rule for its account (a cooperative sees its own households)."""
    if not hasattr(request, "_ocop_hidden_households"):
        account = account_of(request)
        request._ocop_hidden_households = None if account.is_planner else HiddenHouseholds(account)
    return request._ocop_hidden_households


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
