"""The filters of the planners' pages, as forms: a bad value is one message beside its field.

Values travel as machine text (a '.' decimal point, ISO dates) whatever the page's language: the
widgets are not localized, so a Vietnamese page never writes "5,0" into a number box that the
browser then reads as empty.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from linkage import selectors
from linkage.choices import BuyerKind, Category
from linkage.dates import EARLIEST_DATE, LATEST_DATE

__all__ = ["FUNNEL_BY", "MapForm", "StatisticsForm", "bound"]

DEFAULT_RADIUS_KM = 5.0
MAX_RADIUS_KM = 200.0
DEFAULT_SITES = 10
MAX_SITES = 100
SALES_POINTS = "sales_points"
# The ways the funnel of the match workflow is cut (the funnel API's ``by``).
FUNNEL_BY = [
    ("year", _("Năm đề xuất")),
    ("group", _("Nhóm sản phẩm")),
    ("chain", _("Chuỗi bán lẻ")),
    ("area", _("Địa bàn (quận, huyện)")),
]


def supply_choices() -> list:
    """Sales points, stores, both, or the stores of one chain (grouped by chain name)."""
    chains = (
        selectors.buyer_list()
        .filter(kind=BuyerKind.RETAIL_CHAIN)
        .order_by("name")
        .values_list("code", "name")
    )
    return [
        (SALES_POINTS, _("Điểm giới thiệu và bán sản phẩm OCOP")),
        ("kinds:store", _("Cửa hàng của mọi chuỗi")),
        ("kinds:sales_point,store", _("Điểm bán OCOP và cửa hàng của chuỗi")),
        (_("Cửa hàng của một chuỗi"), [(f"chain:{code}", name) for code, name in chains]),
    ]


class MapForm(forms.Form):
    supply = forms.ChoiceField(label=_("Mạng lưới bán hàng"))
    category = forms.ChoiceField(
        label=_("Nhóm sản phẩm"),
        required=False,
        choices=[("", _("Mọi nhóm sản phẩm")), *Category.choices],
    )
    radius_km = forms.FloatField(
        label=_("Bán kính (km)"),
        min_value=0.1,
        max_value=MAX_RADIUS_KM,
        widget=forms.NumberInput(attrs={"step": "0.1"}),
    )
    k = forms.IntegerField(label=_("Số địa điểm đề xuất"), min_value=1, max_value=MAX_SITES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supply"].choices = supply_choices()


class IsoDateField(forms.DateField):
    """A date as YYYY-MM-DD; a refusal repeats what was given, since a date box cannot show a
    date that does not exist (2025-13-01) and would look empty."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError:
            raise forms.ValidationError(
                _("«%(value)s» không phải là một ngày (viết dạng NNNN-TT-NN, ví dụ 2025-06-30)."),
                code="invalid",
                params={"value": value},
            ) from None


class StatisticsForm(forms.Form):
    as_of = IsoDateField(
        label=_("Tính đến ngày"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    basis = forms.ChoiceField(
        label=_("Cách đếm"),
        required=False,
        choices=[
            ("", _("Mặc định")),
            ("cumulative", _("Lũy kế")),
            ("valid", _("Còn hiệu lực tại ngày")),
        ],
    )
    target = forms.IntegerField(label=_("Chỉ tiêu mỗi năm"), min_value=0, max_value=1_000_000)
    # Planners only: the page drops this field for anyone else, who is shown no funnel.
    by = forms.ChoiceField(label=_("Phễu kết nối theo"), choices=FUNNEL_BY)

    def __init__(self, *args, planner: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not planner:
            del self.fields["by"]

    def clean_as_of(self):
        day = self.cleaned_data.get("as_of")
        if day and not EARLIEST_DATE <= day <= LATEST_DATE:
            raise forms.ValidationError(
                _("Ngày phải trong khoảng %(low)s đến %(high)s."),
                params={"low": EARLIEST_DATE.isoformat(), "high": LATEST_DATE.isoformat()},
            )
        return day


def bound(form_class, query, defaults: dict, **kwargs):
    """The form bound to the query string over the defaults, so an empty query is valid."""
    data = {**defaults, **{key: value for key, value in query.items() if value != ""}}
    return form_class(data, **kwargs)
