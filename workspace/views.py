"""The workspaces: a cooperative's and a chain's own page, and the planners' list of proposals.

Views are thin: they read through ``workspace.selectors``, write through ``linkage.services``,
and answer a write with a redirect and one message. A write the service refuses
(``WriteRefused``, ``WriteForbidden``) is shown as that message, never as an error page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linkage import selectors as registry
from linkage import services
from linkage.accounts import Account
from linkage.choices import ProposalOrigin, ProposalState, RequestStatus
from linkage.models import Buyer, Product, Proposal, SourcingRequest
from notifications import services as notification_services
from notifications.models import Notification, Webhook

from . import allocation as allocation_page
from . import inbox as inbox_page
from . import selectors
from .forms import SourcingRequestForm, WebhookForm
from .webhooks import webhooks_of

__all__ = [
    "all_proposals",
    "allocation",
    "allocation_accept",
    "home",
    "inbox",
    "inbox_read",
    "inbox_read_all",
    "proposal_move",
    "propose",
    "request_close",
    "request_edit",
    "webhook_delete",
    "webhooks",
]

STATE_LABELS = dict(ProposalState.choices)
NEW_SECRET = "workspace_webhook_secret"
# A step's button says what it does, in the words of the side that takes it.
STEP_LABELS = {
    ProposalState.ACCEPTED: gettext_lazy("Accept"),
    ProposalState.DECLINED: gettext_lazy("Decline"),
    ProposalState.WITHDRAWN: gettext_lazy("Withdraw"),
    ProposalState.MOU_SIGNED: gettext_lazy("MOU signed"),
    ProposalState.TRADING: gettext_lazy("Trading started"),
    ProposalState.ENDED: gettext_lazy("End"),
}


def _refused(request, error: services.WriteRefused) -> None:
    reasons = [str(reason) for found in error.errors.values() for reason in found]
    messages.error(request, " ".join(reasons) or _("The change was refused."))


def _withheld(account: Account, codes) -> frozenset[str]:
    """The producers among ``codes`` whose names the account may not read: households, unless
    the account is a planner or a cooperative the household is linked with (as in the API)."""
    if account.is_planner or not codes:
        return frozenset()
    hidden = registry.households_among(set(codes))
    if hidden and account.producer_ids:
        hidden -= registry.households_linked_to(account.producer_ids)
    return frozenset(hidden)


def _with_steps(account: Account, found) -> list[Proposal]:
    rows = list(found[:200])
    for proposal in rows:
        proposal.steps = [(to, STEP_LABELS[to]) for to in selectors.next_steps(account, proposal)]
    return rows


@login_required
def home(request):
    """The signed-in account's workspace: its producers' side, its buyers' side, or both."""
    account = Account.of_user(request.user)
    today = timezone.localdate()
    language = get_language()
    context = {"account": account, "page": "home"}
    pairs = selectors.open_pairs(account)
    if account.producer_ids:
        products = selectors.my_products(account, today)
        outlets = selectors.outlets_for(account, products, today=today, language=language)
        for product in products:
            product.outlets = outlets.get(product.code, [])
            for row in product.outlets:
                row["open"] = (product.code, row["buyer"]["code"]) in pairs
        context["products"] = products
        context["matching"] = selectors.matching_requests(products, today)
    if account.buyer_ids:
        requests = list(selectors.my_requests(account))
        for sourcing_request in requests:
            shortlist = []
            sourcing_request.overdue = sourcing_request.is_overdue(today)
            if sourcing_request.status == RequestStatus.OPEN and not sourcing_request.overdue:
                shortlist = selectors.suppliers_for(
                    sourcing_request, today=today, language=language
                )
            for row in shortlist:
                row["open"] = (row["product"]["code"], sourcing_request.buyer.code) in pairs
            sourcing_request.shortlist = shortlist
        context["buyers"] = selectors.my_buyers(account)
        context["requests"] = requests
    if account.producer_ids or account.buyer_ids or account.is_planner:
        context["proposals"] = _with_steps(account, selectors.my_proposals(account))
    named = [row["producer"]["code"] for r in context.get("requests", ()) for row in r.shortlist]
    named += [p.product.producer.code for p in context.get("proposals", ())]
    context["withheld_producers"] = _withheld(account, named)
    return render(request, "workspace/home.html", context)


@login_required
@require_POST
def propose(request):
    """Propose a product to a buyer from the account's side (a recommendation or a request)."""
    account = Account.of_user(request.user)
    product = get_object_or_404(
        Product.objects.select_related("producer"), code=request.POST.get("product")
    )
    buyer = get_object_or_404(Buyer, code=request.POST.get("buyer"))
    sourcing_request = None
    origin = ProposalOrigin.RECOMMENDATION
    if request.POST.get("sourcing_request"):
        sourcing_request = get_object_or_404(SourcingRequest, code=request.POST["sourcing_request"])
        origin = ProposalOrigin.SOURCING_REQUEST
    try:
        services.proposal_create(
            actor=account,
            product=product,
            buyer=buyer,
            origin=origin,
            sourcing_request=sourcing_request,
            note=request.POST.get("note", "")[:1000],
        )
    except services.WriteRefused as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            _("Proposed %(product)s to %(buyer)s.")
            % {"product": product.name, "buyer": buyer.name},
        )
    return redirect("workspace-home")


@login_required
@require_POST
def proposal_move(request, pk: int):
    """Move a proposal one step (accept, decline, withdraw, MOU signed, trading, ended)."""
    account = Account.of_user(request.user)
    proposal = get_object_or_404(Proposal, pk=pk)
    to = request.POST.get("to", "")
    try:
        services.proposal_transition(
            actor=account, proposal=proposal, to=to, note=request.POST.get("note", "")[:1000]
        )
    except services.WriteRefused as error:
        _refused(request, error)
    else:
        messages.success(
            request, _("Proposal %(id)s: %(state)s.") % {"id": pk, "state": STATE_LABELS[to]}
        )
    back = "workspace-proposals" if request.POST.get("next") == "proposals" else "workspace-home"
    return redirect(back)


@login_required
def request_edit(request, pk: int | None = None):
    """Create a sourcing request, or change one of the account's own."""
    account = Account.of_user(request.user)
    if not account.buyer_ids and not account.is_planner:
        raise PermissionDenied
    buyers = selectors.my_buyers(account) if not account.is_planner else Buyer.objects.all()
    sourcing_request = None
    initial = {}
    if pk is not None:
        sourcing_request = get_object_or_404(
            selectors.my_requests(account)
            if not account.is_planner
            else SourcingRequest.objects.all(),
            pk=pk,
        )
        initial = {
            "code": sourcing_request.code,
            "buyer": sourcing_request.buyer,
            "category": sourcing_request.category,
            "min_stars": sourcing_request.min_stars,
            "quantity_per_month": sourcing_request.quantity_per_month,
            "max_distance_km": sourcing_request.max_distance_km,
            "deadline": sourcing_request.deadline,
            "price_min_vnd": sourcing_request.price_min_vnd,
            "price_max_vnd": sourcing_request.price_max_vnd,
        }
    form = SourcingRequestForm(request.POST or None, initial=initial, buyers=buyers)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if sourcing_request is None:
                made = services.sourcing_request_create(actor=account, **data)
            else:
                # A code never changes (imports match rows on it).
                data.pop("code")
                made = services.sourcing_request_update(
                    actor=account, sourcing_request=sourcing_request, **data
                )
        except services.WriteRefused as error:
            _refused(request, error)
        else:
            messages.success(request, _("Sourcing request %(code)s saved.") % {"code": made.code})
            return redirect("workspace-home")
    context = {
        "account": account,
        "form": form,
        "sourcing_request": sourcing_request,
        "page": "request",
    }
    return render(request, "workspace/request_form.html", context)


@login_required
@require_POST
def request_close(request, pk: int):
    """Close one of the account's sourcing requests."""
    account = Account.of_user(request.user)
    sourcing_request = get_object_or_404(SourcingRequest.objects.select_related("buyer"), pk=pk)
    try:
        services.sourcing_request_update(
            actor=account, sourcing_request=sourcing_request, status=RequestStatus.CLOSED
        )
    except services.WriteRefused as error:
        _refused(request, error)
    else:
        messages.success(
            request, _("Sourcing request %(code)s closed.") % {"code": sourcing_request.code}
        )
    return redirect("workspace-home")


@login_required
def all_proposals(request):
    """Every proposal, for planners, with the steps they may take and the funnel's link."""
    account = Account.of_user(request.user)
    if not account.is_planner:
        raise PermissionDenied
    context = {
        "account": account,
        "page": "proposals",
        "proposals": _with_steps(account, selectors.my_proposals(account)),
        "funnel_url": "/api/v1/analytics/statistics/funnel/",
    }
    return render(request, "workspace/proposals.html", context)


@login_required
def inbox(request):
    """The signed-in user's notifications, unread first, each linking to what it is about."""
    context = {
        "account": Account.of_user(request.user),
        "page": "inbox",
        "notifications": inbox_page.inbox(request.user),
    }
    return render(request, "workspace/inbox.html", context)


@login_required
@require_POST
def inbox_read(request, pk: int):
    try:
        notification_services.notification_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    return redirect("workspace-inbox")


@login_required
@require_POST
def inbox_read_all(request):
    marked = notification_services.notifications_read_all(user=request.user)
    messages.success(request, _("%(count)d notifications marked read.") % {"count": marked})
    return redirect("workspace-inbox")


@login_required
def allocation(request):
    """The allocation proposal over the chain's open sourcing requests, line by line."""
    account = Account.of_user(request.user)
    if not account.buyer_ids and not account.is_planner:
        raise PermissionDenied
    context = {
        "account": account,
        "page": "allocation",
        "horizon_months": allocation_page.HORIZON_MONTHS,
        **allocation_page.allocation_proposal(
            account, today=timezone.localdate(), language=get_language()
        ),
    }
    context["withheld_producers"] = _withheld(
        account,
        [line["product"].producer.code for row in context["requests"] for line in row["lines"]],
    )
    return render(request, "workspace/allocation.html", context)


@login_required
@require_POST
def allocation_accept(request):
    """Accept allocation lines: a proposal from the buyer's side for each, all or none."""
    account = Account.of_user(request.user)
    if not account.buyer_ids and not account.is_planner:
        raise PermissionDenied
    try:
        made = allocation_page.accept_lines(account, request.POST.getlist("line"))
    except services.WriteRefused as error:
        _refused(request, error)
    else:
        messages.success(request, _("%(count)d proposals made.") % {"count": len(made)})
    return redirect("workspace-allocation")


@login_required
def webhooks(request):
    """The signed-in user's webhooks: add one (its secret shown this once), list, delete."""
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = notification_services.webhook_create(owner=request.user, **form.cleaned_data)
        except services.WriteRefused as error:
            for field, reasons in error.errors.items():
                for reason in reasons:
                    form.add_error(field if field in form.fields else None, reason)
        else:
            # Shown on the next page only: a reload neither shows it again nor adds a second.
            request.session[NEW_SECRET] = created.secret
            return redirect("workspace-webhooks")
    context = {
        "account": Account.of_user(request.user),
        "page": "webhooks",
        "form": form,
        "secret": request.session.pop(NEW_SECRET, None),
        "webhooks": webhooks_of(request.user),
    }
    return render(request, "workspace/webhooks.html", context)


@login_required
@require_POST
def webhook_delete(request, pk: int):
    webhook = get_object_or_404(Webhook, pk=pk, owner=request.user)
    notification_services.webhook_delete(webhook=webhook)
    messages.success(request, _("Webhook %(url)s deleted.") % {"url": webhook.url})
    return redirect("workspace-webhooks")
