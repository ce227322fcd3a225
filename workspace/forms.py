"""The forms of the workspaces: a chain's sourcing request, a webhook (the services check the
rest)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from linkage.choices import Category
from linkage.models import CODE_VALIDATORS
from notifications.services import WEBHOOK_EVENTS

__all__ = ["SourcingRequestForm", "WebhookForm"]

MAX_PRICE_VND = 2**63 - 1


class SourcingRequestForm(forms.Form):
    """A sourcing request; without a code the service gives the next free one."""

    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        required=False,
        validators=CODE_VALIDATORS,
        help_text=_("Leave empty to have one generated."),
    )
    buyer = forms.ModelChoiceField(label=_("Delivery outlet"), queryset=None)
    category = forms.ChoiceField(label=_("Product group"), choices=Category.choices)
    min_stars = forms.IntegerField(
        label=_("Minimum stars"), min_value=1, max_value=5, required=False
    )
    quantity_per_month = forms.FloatField(label=_("Quantity per month"), min_value=0)
    max_distance_km = forms.FloatField(
        label=_("Maximum distance (km)"), min_value=0, required=False
    )
    deadline = forms.DateField(
        label=_("Deadline"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The last day proposals are sought; after it the request leaves matching."),
    )
    # Bounded as the database's big integers are, so an absurd figure is a form error.
    price_min_vnd = forms.IntegerField(
        label=_("Lowest price (đồng)"), min_value=0, max_value=MAX_PRICE_VND, required=False
    )
    price_max_vnd = forms.IntegerField(
        label=_("Highest price (đồng)"),
        min_value=0,
        max_value=MAX_PRICE_VND,
        required=False,
        help_text=_("Products priced above it are left out of this request's matching."),
    )

    def __init__(self, *args, buyers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buyer"].queryset = buyers


class WebhookForm(forms.Form):
    """A webhook's address and the events it hears of (every one unless chosen)."""

    url = forms.URLField(label=_("Address (URL)"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(event, event) for event in WEBHOOK_EVENTS],
        widget=forms.CheckboxSelectMultiple,
        initial=list(WEBHOOK_EVENTS),
    )
