"""The sourcing request form of the chains' workspace (the service checks the rest)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from linkage.choices import Category
from linkage.models import CODE_VALIDATORS

__all__ = ["SourcingRequestForm"]


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

    def __init__(self, *args, buyers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buyer"].queryset = buyers
