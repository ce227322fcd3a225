"""The registry: areas, producers, products, buyers, linkages and sourcing requests; buyers'
requirements, producers' credentials, and the proposals that lead from a match to a deal."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .choices import (
    AreaLevel,
    AreaScheme,
    BuyerKind,
    Category,
    LinkageKind,
    ProducerKind,
    ProposalOrigin,
    ProposalSide,
    ProposalState,
    RequestStatus,
    Requirement,
)
from .dates import rating_expiry
from .text import fold

LATITUDE_VALIDATORS = [MinValueValidator(-90), MaxValueValidator(90)]
LONGITUDE_VALIDATORS = [MinValueValidator(-180), MaxValueValidator(180)]
STARS_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]

# Codes name records in URLs (/api/v1/products/<code>/) and in linkage keys
# ("kind:source>target:product"), so they hold no slash, space, colon or ">". Dots alone ("." and
# "..") are path segments that clients resolve away, so they are refused too.
CODE_PATTERN = r"^(?!\.+$)[A-Za-z0-9._-]+\Z"
CODE_RULE = _("Use only letters A-Z, digits, '.', '_' and '-' (not dots alone).")
CODE_VALIDATORS = [RegexValidator(CODE_PATTERN, message=CODE_RULE, code="invalid_code")]


def _coordinate_constraints(prefix: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(lat__isnull=True) | Q(lat__gte=-90, lat__lte=90),
            name=f"{prefix}_lat_range",
        ),
        models.CheckConstraint(
            condition=Q(lon__isnull=True) | Q(lon__gte=-180, lon__lte=180),
            name=f"{prefix}_lon_range",
        ),
        models.CheckConstraint(
            condition=(
                Q(lat__isnull=True, lon__isnull=True) | Q(lat__isnull=False, lon__isnull=False)
            ),
            name=f"{prefix}_lat_lon_together",
        ),
    ]


class Located(models.Model):
    """A record with an optional point (WGS 84) and a folded name for accent-free search."""

    lat = models.FloatField(_("vĩ độ"), null=True, blank=True, validators=LATITUDE_VALIDATORS)
    lon = models.FloatField(_("kinh độ"), null=True, blank=True, validators=LONGITUDE_VALIDATORS)
    name_folded = models.CharField(max_length=300, editable=False, db_index=True, default="")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.fill_derived()
        super().save(*args, **kwargs)

    def fill_derived(self) -> None:
        """Set the columns derived from others; bulk writes call this since they skip save()."""
        self.name_folded = fold(self.name)

    def clean(self):
        super().clean()
        if (self.lat is None) != (self.lon is None):
            raise ValidationError(_("Latitude and longitude go together: give both or neither."))

    @property
    def point(self) -> tuple[float, float] | None:
        """(lat, lon), or None when the record has no location."""
        return None if self.lat is None else (self.lat, self.lon)


PHONE_VALIDATORS = [
    RegexValidator(
        r"^\+?[0-9][0-9 .()-]{5,19}\Z",
        message=_("Enter a phone number: digits, spaces, '.', '-', '(' and ')', '+' in front."),
        code="invalid_phone",
    )
]


class Contactable(models.Model):
    """Who to talk to at a producer or a buyer: never public (README, "Contacts")."""

    contact_person = models.CharField(_("người liên hệ"), max_length=200, blank=True, default="")
    phone = models.CharField(
        _("điện thoại"), max_length=20, blank=True, default="", validators=PHONE_VALIDATORS
    )
    email = models.EmailField(_("thư điện tử"), max_length=254, blank=True, default="")

    class Meta:
        abstract = True


class Area(Located):
    """A province, district or commune, with its population and centroid."""

    code = models.CharField(_("mã"), max_length=40, unique=True, validators=CODE_VALIDATORS)
    name = models.CharField(_("tên"), max_length=200)
    level = models.CharField(_("cấp"), max_length=20, choices=AreaLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("thuộc"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    population = models.PositiveIntegerField(_("dân số"), null=True, blank=True)
    # The General Statistics Office's code ("01", "001", "00004"); a commune code of before
    # 1 July 2025 may be reused by a different commune after, hence unique per scheme.
    official_code = models.CharField(
        _("mã hành chính"),
        max_length=5,
        blank=True,
        default="",
        validators=[
            RegexValidator(
                r"^[0-9]{2,5}$",
                message=_("An official code is 2 to 5 digits: 01, 018, 00577."),
                code="invalid_official_code",
            )
        ],
    )
    scheme = models.CharField(
        _("phân cấp hành chính"),
        max_length=10,
        choices=AreaScheme.choices,
        default=AreaScheme.CURRENT,
        # Left blank in a form, it comes from the structure (``fill_derived``).
        blank=True,
    )
    # The commune of the current scheme an old commune went into (for one split between several,
    # the one the main part went into); empty for a dissolved district and for current areas.
    successor = models.ForeignKey(
        "self",
        verbose_name=_("nay thuộc"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
    )

    class Meta:
        verbose_name = _("địa bàn")
        verbose_name_plural = _("địa bàn")
        ordering = ["code"]
        constraints = [
            *_coordinate_constraints("area"),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="area_not_own_parent"),
            models.UniqueConstraint(
                fields=["scheme", "level", "official_code"],
                condition=~Q(official_code=""),
                name="area_official_code_unique_per_scheme",
            ),
            # Districts were dissolved on 1 July 2025: there are none in the current scheme.
            models.CheckConstraint(
                condition=~Q(level="district", scheme="current"), name="area_district_is_legacy"
            ),
        ]

    def __str__(self):
        return self.name

    def fill_derived(self) -> None:
        """Also the scheme where the structure says it: districts, and communes in a district,
        are of the division before 1 July 2025."""
        super().fill_derived()
        self.scheme = self.scheme or AreaScheme.CURRENT
        in_district = self.parent_id is not None and self.parent.level == AreaLevel.DISTRICT
        if self.level == AreaLevel.DISTRICT or in_district:
            self.scheme = AreaScheme.LEGACY

    def clean(self):
        super().clean()
        # Before the constraints are checked, which need the scheme the structure gives.
        self.fill_derived()
        if self.successor_id is not None and self.scheme != AreaScheme.LEGACY:
            raise ValidationError(
                {"successor": _("Only an area of before 1 July 2025 has a successor.")}
            )
        if self.successor_id is not None and self.successor.scheme != AreaScheme.CURRENT:
            raise ValidationError(
                {"successor": _("A successor is an area of the division since 1 July 2025.")}
            )


class Producer(Contactable, Located):
    """An OCOP producer (chủ thể OCOP): household, cooperative, cooperative group or enterprise."""

    code = models.CharField(_("mã"), max_length=40, unique=True, validators=CODE_VALIDATORS)
    name = models.CharField(_("tên"), max_length=300)
    kind = models.CharField(_("loại chủ thể"), max_length=20, choices=ProducerKind.choices)
    area = models.ForeignKey(
        Area,
        verbose_name=_("địa bàn"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="producers",
    )
    # Where the producer was before 1 July 2025 (an old commune or district), kept so that the
    # figures published by district can still be counted.
    legacy_area = models.ForeignKey(
        Area,
        verbose_name=_("địa bàn trước 1/7/2025"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="legacy_producers",
    )
    address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    members = models.PositiveIntegerField(_("số thành viên"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản quản lý"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="producers",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("chủ thể OCOP")
        verbose_name_plural = _("chủ thể OCOP")
        ordering = ["code"]
        constraints = _coordinate_constraints("producer")

    def __str__(self):
        return self.name


class Product(models.Model):
    """A product of a producer, with its OCOP rating."""

    code = models.CharField(_("mã"), max_length=40, unique=True, validators=CODE_VALIDATORS)
    name = models.CharField(_("tên sản phẩm"), max_length=300)
    name_folded = models.CharField(max_length=300, editable=False, db_index=True, default="")
    producer = models.ForeignKey(
        Producer, verbose_name=_("chủ thể"), on_delete=models.PROTECT, related_name="products"
    )
    category = models.CharField(_("nhóm sản phẩm"), max_length=20, choices=Category.choices)
    stars = models.PositiveSmallIntegerField(
        _("hạng sao"), null=True, blank=True, validators=STARS_VALIDATORS
    )
    potential_five_star = models.BooleanField(_("tiềm năng 5 sao"), default=False)
    rated_on = models.DateField(_("ngày đánh giá"), null=True, blank=True)
    rating_expires_on = models.DateField(
        _("hết hạn chứng nhận"), null=True, blank=True, editable=False, db_index=True
    )
    capacity_per_month = models.FloatField(
        _("sản lượng mỗi tháng"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    unit = models.CharField(_("đơn vị"), max_length=40, blank=True)
    price_vnd = models.PositiveBigIntegerField(_("giá (đồng)"), null=True, blank=True)
    traceability_url = models.URLField(_("truy xuất nguồn gốc"), max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sản phẩm")
        verbose_name_plural = _("sản phẩm")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stars__isnull=True) | Q(stars__gte=1, stars__lte=5),
                name="product_stars_range",
            ),
            models.CheckConstraint(
                condition=Q(capacity_per_month__isnull=True) | Q(capacity_per_month__gte=0),
                name="product_capacity_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["category", "stars"])]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.fill_derived()
        super().save(*args, **kwargs)

    def fill_derived(self) -> None:
        """Set the columns derived from others; bulk writes call this since they skip save()."""
        self.name_folded = fold(self.name)
        self.rating_expires_on = rating_expiry(self.rated_on)

    def clean(self):
        super().clean()
        if self.potential_five_star and self.stars not in (None, 4):
            raise ValidationError(
                {"potential_five_star": _("Only a 4-star product can be potential 5-star.")}
            )


class Rating(models.Model):
    """One decision of the rating council on a product: its stars from a day, for 36 months.

    The product keeps its newest rating in its own columns (``stars``, ``potential_five_star``,
    ``rated_on``) for reads and the recommender; ``linkage.services`` keeps the two in step.
    """

    product = models.ForeignKey(
        Product, verbose_name=_("sản phẩm"), on_delete=models.CASCADE, related_name="ratings"
    )
    stars = models.PositiveSmallIntegerField(_("hạng sao"), validators=STARS_VALIDATORS)
    potential_five_star = models.BooleanField(_("tiềm năng 5 sao"), default=False)
    rated_on = models.DateField(_("ngày đánh giá"))
    expires_on = models.DateField(_("hết hạn chứng nhận"), editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ghi nhận"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ratings_decided",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(_("ghi chú"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("kết quả đánh giá")
        verbose_name_plural = _("lịch sử đánh giá")
        ordering = ["product", "-rated_on"]
        constraints = [
            models.UniqueConstraint(fields=["product", "rated_on"], name="rating_once_a_day"),
            models.CheckConstraint(
                condition=Q(stars__gte=1, stars__lte=5), name="rating_stars_range"
            ),
        ]

    def __str__(self):
        return f"{self.product_id}: {self.stars}★ {self.rated_on}"

    def save(self, *args, **kwargs):
        self.fill_derived()
        super().save(*args, **kwargs)

    def fill_derived(self) -> None:
        """Set the expiry from the rating day; bulk writes call this since they skip save()."""
        self.expires_on = rating_expiry(self.rated_on)

    def clean(self):
        super().clean()
        if self.potential_five_star and self.stars != 4:
            raise ValidationError(
                {"potential_five_star": _("Only a 4-star product can be potential 5-star.")}
            )


class Buyer(Contactable, Located):
    """Who sells OCOP products on: a chain, its store, a sales point, a platform or a trader."""

    code = models.CharField(_("mã"), max_length=40, unique=True, validators=CODE_VALIDATORS)
    name = models.CharField(_("tên"), max_length=300)
    kind = models.CharField(_("loại"), max_length=20, choices=BuyerKind.choices)
    chain = models.ForeignKey(
        "self",
        verbose_name=_("chuỗi"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stores",
        limit_choices_to={"kind": BuyerKind.RETAIL_CHAIN},
    )
    area = models.ForeignKey(
        Area,
        verbose_name=_("địa bàn"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="buyers",
    )
    address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    # Comma-separated category codes; empty means every group. A delimited column filters the
    # same way on SQLite and PostgreSQL, which a JSON list does not.
    categories = models.CharField(_("nhóm sản phẩm nhận"), max_length=200, blank=True)
    min_stars = models.PositiveSmallIntegerField(
        _("hạng sao tối thiểu"), null=True, blank=True, validators=STARS_VALIDATORS
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản quản lý"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="buyers",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bên mua")
        verbose_name_plural = _("bên mua")
        ordering = ["code"]
        constraints = [
            *_coordinate_constraints("buyer"),
            models.CheckConstraint(
                condition=Q(min_stars__isnull=True) | Q(min_stars__gte=1, min_stars__lte=5),
                name="buyer_min_stars_range",
            ),
            models.CheckConstraint(condition=~Q(chain=F("id")), name="buyer_not_own_chain"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        unknown = [c for c in self.categories.split(",") if c and c not in Category.values]
        if unknown:
            raise ValidationError(
                {"categories": _("Unknown product group: %s") % ", ".join(unknown)}
            )
        if self.chain_id and self.chain.kind != BuyerKind.RETAIL_CHAIN:
            raise ValidationError({"chain": _("A store belongs to a retail chain.")})
        if self.pk and self.kind != BuyerKind.RETAIL_CHAIN and self.stores.exists():
            raise ValidationError(
                {"kind": _("This chain has stores; move them before changing its kind.")}
            )


class Linkage(models.Model):
    """A tie between two actors: membership, raw-material supply, sales, a listing or an MOU.

    Each end is a producer or a buyer; exactly one of the two columns of each end is set.
    """

    kind = models.CharField(_("loại liên kết"), max_length=20, choices=LinkageKind.choices)
    source_producer = models.ForeignKey(
        Producer, null=True, blank=True, on_delete=models.CASCADE, related_name="outgoing"
    )
    source_buyer = models.ForeignKey(
        Buyer, null=True, blank=True, on_delete=models.CASCADE, related_name="outgoing"
    )
    target_producer = models.ForeignKey(
        Producer, null=True, blank=True, on_delete=models.CASCADE, related_name="incoming"
    )
    target_buyer = models.ForeignKey(
        Buyer, null=True, blank=True, on_delete=models.CASCADE, related_name="incoming"
    )
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="linkages"
    )
    volume_per_month = models.FloatField(
        _("khối lượng mỗi tháng"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    started_on = models.DateField(_("bắt đầu"), null=True, blank=True)
    ended_on = models.DateField(_("kết thúc"), null=True, blank=True)
    # "kind:source>target:product" in codes: the natural key imports match rows on.
    key = models.CharField(max_length=200, unique=True, editable=False)

    class Meta:
        verbose_name = _("liên kết")
        verbose_name_plural = _("liên kết")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(source_producer__isnull=False, source_buyer__isnull=True)
                    | Q(source_producer__isnull=True, source_buyer__isnull=False)
                ),
                name="linkage_one_source",
            ),
            models.CheckConstraint(
                condition=(
                    Q(target_producer__isnull=False, target_buyer__isnull=True)
                    | Q(target_producer__isnull=True, target_buyer__isnull=False)
                ),
                name="linkage_one_target",
            ),
            models.CheckConstraint(
                condition=~Q(source_producer=F("target_producer")), name="linkage_no_self_producer"
            ),
            models.CheckConstraint(
                condition=~Q(source_buyer=F("target_buyer")), name="linkage_no_self_buyer"
            ),
            models.CheckConstraint(
                condition=Q(volume_per_month__isnull=True) | Q(volume_per_month__gte=0),
                name="linkage_volume_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(ended_on__gte=F("started_on")),
                name="linkage_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.key

    def save(self, *args, **kwargs):
        self.fill_derived()
        super().save(*args, **kwargs)

    @property
    def source(self):
        return self.source_producer or self.source_buyer

    @property
    def target(self):
        return self.target_producer or self.target_buyer

    @staticmethod
    def make_key(kind: str, source_code: str, target_code: str, product_code: str | None) -> str:
        return f"{kind}:{source_code}>{target_code}:{product_code or ''}"

    def fill_derived(self) -> None:
        """Set the natural key from the codes of the ends; needs the related rows loaded."""
        self.key = self.make_key(
            self.kind,
            self.source.code,
            self.target.code,
            self.product.code if self.product_id else None,
        )

    def clean(self):
        super().clean()
        if (self.source_producer_id is None) == (self.source_buyer_id is None):
            raise ValidationError(_("A linkage has exactly one source: a producer or a buyer."))
        if (self.target_producer_id is None) == (self.target_buyer_id is None):
            raise ValidationError(_("A linkage has exactly one target: a producer or a buyer."))
        if self.source == self.target:
            raise ValidationError(_("A linkage cannot join an actor to itself."))
        if self.product_id and self.product.producer_id not in (
            self.source_producer_id,
            self.target_producer_id,
        ):
            raise ValidationError(
                {"product": _("The product must belong to the producer at one end of the linkage.")}
            )


class SourcingRequest(models.Model):
    """A buyer's standing request: a product group, minimum stars, a monthly quantity, a reach."""

    code = models.CharField(_("mã"), max_length=40, unique=True, validators=CODE_VALIDATORS)
    buyer = models.ForeignKey(
        Buyer, verbose_name=_("bên mua"), on_delete=models.CASCADE, related_name="sourcing_requests"
    )
    category = models.CharField(_("nhóm sản phẩm"), max_length=20, choices=Category.choices)
    min_stars = models.PositiveSmallIntegerField(
        _("hạng sao tối thiểu"), null=True, blank=True, validators=STARS_VALIDATORS
    )
    quantity_per_month = models.FloatField(
        _("số lượng mỗi tháng"), validators=[MinValueValidator(0)]
    )
    max_distance_km = models.FloatField(
        _("khoảng cách tối đa (km)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    # The last day proposals are sought: after it the request no longer takes part in matching
    # (``matchable_q``), though it stays open until its buyer closes it.
    deadline = models.DateField(_("hạn chót"), null=True, blank=True)
    # The unit prices (đồng, as ``Product.price_vnd``) the buyer will pay: a product priced above
    # the maximum is left out of the request's matching; a product of unknown price is kept.
    price_min_vnd = models.PositiveBigIntegerField(_("giá tối thiểu (đồng)"), null=True, blank=True)
    price_max_vnd = models.PositiveBigIntegerField(_("giá tối đa (đồng)"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("yêu cầu tìm nguồn hàng")
        verbose_name_plural = _("yêu cầu tìm nguồn hàng")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_stars__isnull=True) | Q(min_stars__gte=1, min_stars__lte=5),
                name="request_min_stars_range",
            ),
            models.CheckConstraint(
                condition=Q(quantity_per_month__gte=0), name="request_quantity_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(max_distance_km__isnull=True) | Q(max_distance_km__gte=0),
                name="request_distance_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(price_min_vnd__isnull=True)
                | Q(price_max_vnd__isnull=True)
                | Q(price_min_vnd__lte=F("price_max_vnd")),
                name="request_price_range_ordered",
            ),
        ]

    def __str__(self):
        return self.code

    @staticmethod
    def matchable_q(today: dt.date, prefix: str = "") -> Q:
        """Requests that take part in matching on ``today``: open, and their deadline (the last
        day, included) not passed."""
        return Q(**{f"{prefix}status": RequestStatus.OPEN}) & (
            Q(**{f"{prefix}deadline__isnull": True}) | Q(**{f"{prefix}deadline__gte": today})
        )

    def price_fits_q(self, prefix: str = "") -> Q:
        """Products whose price this request accepts: any without a maximum; else those at or
        under it, and those of unknown price (kept rather than hidden for a missing figure)."""
        if self.price_max_vnd is None:
            return Q()
        return Q(**{f"{prefix}price_vnd__isnull": True}) | Q(
            **{f"{prefix}price_vnd__lte": self.price_max_vnd}
        )

    def price_fits(self, price_vnd: int | None) -> bool:
        """``price_fits_q`` for one product's price."""
        return self.price_max_vnd is None or price_vnd is None or price_vnd <= self.price_max_vnd

    def is_overdue(self, today: dt.date) -> bool:
        """Open but past its deadline: shown as overdue, left out of matching."""
        return (
            self.status == RequestStatus.OPEN
            and self.deadline is not None
            and self.deadline < today
        )


def _known_requirements(codes: str) -> list[str]:
    return [c for c in codes.split(",") if c and c not in Requirement.values]


class BuyerRequirements(models.Model):
    """What a buyer requires of its suppliers beyond group and stars; a chain's hold for its
    stores unless a store declares its own."""

    buyer = models.OneToOneField(
        Buyer, verbose_name=_("bên mua"), on_delete=models.CASCADE, related_name="requirements"
    )
    # Comma-separated ``Requirement`` codes, as ``Buyer.categories``.
    documents = models.CharField(_("giấy tờ yêu cầu"), max_length=200, blank=True, default="")
    min_volume_per_month = models.FloatField(
        _("khối lượng tối thiểu mỗi tháng"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    packaging = models.CharField(_("đóng gói"), max_length=500, blank=True, default="")
    payment_terms = models.CharField(
        _("điều khoản thanh toán"), max_length=500, blank=True, default=""
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("yêu cầu của bên mua")
        verbose_name_plural = _("yêu cầu của bên mua")
        ordering = ["buyer"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_volume_per_month__isnull=True) | Q(min_volume_per_month__gte=0),
                name="requirements_volume_not_negative",
            )
        ]

    def __str__(self):
        return f"{self.buyer_id}: {self.documents}"

    @property
    def document_list(self) -> list[str]:
        return [code for code in self.documents.split(",") if code]

    def clean(self):
        super().clean()
        unknown = _known_requirements(self.documents)
        if unknown:
            raise ValidationError({"documents": _("Unknown requirement: %s") % ", ".join(unknown)})


class Credential(models.Model):
    """A document or mark a producer holds (a food-safety certificate, barcodes, …), until when."""

    producer = models.ForeignKey(
        Producer, verbose_name=_("chủ thể"), on_delete=models.CASCADE, related_name="credentials"
    )
    kind = models.CharField(_("loại giấy tờ"), max_length=20, choices=Requirement.choices)
    expires_on = models.DateField(_("hết hạn"), null=True, blank=True)
    reference = models.CharField(_("số hiệu"), max_length=200, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("giấy tờ của chủ thể")
        verbose_name_plural = _("giấy tờ của chủ thể")
        ordering = ["producer", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["producer", "kind"], name="credential_once_per_kind")
        ]

    def __str__(self):
        return f"{self.producer_id}: {self.kind}"


class Proposal(models.Model):
    """A product proposed to a buyer (an outlet or a chain) by one side, on its way to a deal.

    Its state moves only as ``linkage.proposals.TRANSITIONS`` allows, through
    ``services.proposal_transition``; the day each stage was reached is kept for the funnel.
    """

    product = models.ForeignKey(
        Product, verbose_name=_("sản phẩm"), on_delete=models.PROTECT, related_name="proposals"
    )
    buyer = models.ForeignKey(
        Buyer, verbose_name=_("bên mua"), on_delete=models.PROTECT, related_name="proposals"
    )
    proposed_by = models.CharField(_("bên đề xuất"), max_length=10, choices=ProposalSide.choices)
    origin = models.CharField(
        _("nguồn"), max_length=20, choices=ProposalOrigin.choices, default=ProposalOrigin.OTHER
    )
    sourcing_request = models.ForeignKey(
        SourcingRequest,
        verbose_name=_("yêu cầu tìm nguồn hàng"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposals",
    )
    state = models.CharField(
        _("trạng thái"),
        max_length=12,
        choices=ProposalState.choices,
        default=ProposalState.PROPOSED,
    )
    note = models.CharField(_("ghi chú"), max_length=1000, blank=True, default="")
    proposed_on = models.DateField(_("ngày đề xuất"))
    accepted_on = models.DateField(_("ngày chấp nhận"), null=True, blank=True)
    closed_on = models.DateField(_("ngày từ chối / rút lại"), null=True, blank=True)
    mou_signed_on = models.DateField(_("ngày ký biên bản ghi nhớ"), null=True, blank=True)
    trading_on = models.DateField(_("ngày bắt đầu giao dịch"), null=True, blank=True)
    ended_on = models.DateField(_("ngày kết thúc"), null=True, blank=True)
    linkage = models.ForeignKey(
        Linkage,
        verbose_name=_("liên kết bán hàng"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposals",
    )
    # "product>buyer:proposed_on" in codes: the natural key imports match rows on.
    key = models.CharField(max_length=200, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("đề xuất kết nối")
        verbose_name_plural = _("đề xuất kết nối")
        ordering = ["-proposed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=ProposalState.values), name="proposal_known_state"
            ),
            models.CheckConstraint(
                condition=Q(proposed_by__in=ProposalSide.values), name="proposal_known_side"
            ),
        ]

    def __str__(self):
        return self.key

    def save(self, *args, **kwargs):
        self.fill_derived()
        super().save(*args, **kwargs)

    @staticmethod
    def make_key(product_code: str, buyer_code: str, proposed_on) -> str:
        day = proposed_on.isoformat() if hasattr(proposed_on, "isoformat") else str(proposed_on)
        return f"{product_code}>{buyer_code}:{day}"

    def fill_derived(self) -> None:
        """Set the natural key from the codes; needs the product and the buyer loaded."""
        self.key = self.make_key(self.product.code, self.buyer.code, self.proposed_on)


class ProposalEvent(models.Model):
    """One step of a proposal, for its audit: who moved it, when, from which state to which."""

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("đề xuất"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("lúc"), auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposal_events",
    )
    # producer, buyer, planner, or system (an import, a management command).
    by = models.CharField(_("bên thực hiện"), max_length=10)
    from_state = models.CharField(_("từ trạng thái"), max_length=12, blank=True, default="")
    to_state = models.CharField(_("sang trạng thái"), max_length=12)
    note = models.CharField(_("ghi chú"), max_length=1000, blank=True, default="")

    class Meta:
        verbose_name = _("bước của đề xuất")
        verbose_name_plural = _("các bước của đề xuất")
        ordering = ["proposal", "at", "id"]

    def __str__(self):
        return f"{self.proposal_id}: {self.from_state or '-'} → {self.to_state}"
