"""Trade-connection events (kết nối giao thương, product weeks, fairs): the event, who takes part,
and the meetings of its schedule."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from linkage.models import CODE_VALIDATORS, Buyer, Producer, Product, Proposal

MAX_SLOTS = 48
MAX_TABLES = 50


class MeetingOutcome(models.TextChoices):
    PLANNED = "planned", _("Đã xếp lịch")
    HELD = "held", _("Đã gặp")
    NO_SHOW = "no_show", _("Vắng mặt")


class Event(models.Model):
    """A trade-connection event: a day, a place, and its meeting slots of equal length."""

    code = models.CharField(_("mã"), max_length=40, unique=True, validators=CODE_VALIDATORS)
    name = models.CharField(_("tên"), max_length=200)
    place = models.CharField(_("địa điểm"), max_length=300, blank=True, default="")
    held_on = models.DateField(_("ngày tổ chức"))
    starts_at = models.TimeField(_("giờ bắt đầu"), default=dt.time(8, 0))
    slot_minutes = models.PositiveSmallIntegerField(
        _("số phút mỗi lượt gặp"),
        default=20,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
    )
    slot_count = models.PositiveSmallIntegerField(
        _("số lượt gặp"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SLOTS)],
    )
    scheduled_at = models.DateTimeField(_("lúc xếp lịch"), null=True, blank=True)
    schedule_method = models.CharField(_("cách xếp lịch"), max_length=10, blank=True, default="")
    schedule_optimal = models.BooleanField(_("lịch tối ưu"), null=True, blank=True)

    class Meta:
        verbose_name = _("sự kiện kết nối")
        verbose_name_plural = _("sự kiện kết nối")
        ordering = ["-held_on", "code"]

    def __str__(self):
        return f"{self.code} {self.name}"

    def clean(self):
        if self.starts_at is None or self.slot_minutes is None or self.slot_count is None:
            return
        start = self.starts_at.hour * 60 + self.starts_at.minute
        if start + self.slot_minutes * self.slot_count > 24 * 60:
            raise ValidationError(
                {"slot_count": [_("Các lượt gặp phải kết thúc trong ngày tổ chức.")]}
            )

    def slot_times(self) -> list[tuple[dt.time, dt.time]]:
        """Each slot's start and end, in order (the last may end at midnight, 00:00)."""
        # Any day will do for the arithmetic; the event's own may be the last one a date holds.
        start = dt.datetime.combine(dt.date(2000, 1, 1), self.starts_at)
        step = dt.timedelta(minutes=self.slot_minutes)
        return [
            ((start + i * step).time(), (start + (i + 1) * step).time())
            for i in range(self.slot_count)
        ]


class EventBuyer(models.Model):
    """A buyer taking part in an event, with its tables, its limit and the slots it attends."""

    event = models.ForeignKey(
        Event, verbose_name=_("sự kiện"), on_delete=models.CASCADE, related_name="buyers"
    )
    buyer = models.ForeignKey(
        Buyer, verbose_name=_("bên mua"), on_delete=models.PROTECT, related_name="event_entries"
    )
    tables = models.PositiveSmallIntegerField(
        _("số bàn"), default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_TABLES)]
    )
    max_meetings = models.PositiveSmallIntegerField(_("số lượt gặp tối đa"), null=True, blank=True)
    slots = models.JSONField(_("các lượt tham dự"), default=list, blank=True)

    class Meta:
        verbose_name = _("bên mua tham dự")
        verbose_name_plural = _("bên mua tham dự")
        constraints = [
            models.UniqueConstraint(fields=["event", "buyer"], name="event_buyer_once"),
            models.CheckConstraint(condition=models.Q(tables__gte=1), name="event_buyer_tables"),
        ]

    def __str__(self):
        return f"{self.event.code}: {self.buyer.code}"


class EventProducer(models.Model):
    """A producer taking part in an event, with its limit and the slots it attends."""

    event = models.ForeignKey(
        Event, verbose_name=_("sự kiện"), on_delete=models.CASCADE, related_name="producers"
    )
    producer = models.ForeignKey(
        Producer,
        verbose_name=_("chủ thể"),
        on_delete=models.PROTECT,
        related_name="event_entries",
    )
    max_meetings = models.PositiveSmallIntegerField(_("số lượt gặp tối đa"), null=True, blank=True)
    slots = models.JSONField(_("các lượt tham dự"), default=list, blank=True)

    class Meta:
        verbose_name = _("chủ thể tham dự")
        verbose_name_plural = _("chủ thể tham dự")
        constraints = [
            models.UniqueConstraint(fields=["event", "producer"], name="event_producer_once"),
        ]

    def __str__(self):
        return f"{self.event.code}: {self.producer.code}"


class Meeting(models.Model):
    """A producer's product before a buyer at one of its tables in one slot of an event."""

    event = models.ForeignKey(
        Event, verbose_name=_("sự kiện"), on_delete=models.CASCADE, related_name="meetings"
    )
    slot = models.PositiveSmallIntegerField(_("lượt"), validators=[MinValueValidator(1)])
    table = models.PositiveSmallIntegerField(_("bàn"))
    buyer = models.ForeignKey(
        Buyer, verbose_name=_("bên mua"), on_delete=models.PROTECT, related_name="meetings"
    )
    producer = models.ForeignKey(
        Producer, verbose_name=_("chủ thể"), on_delete=models.PROTECT, related_name="meetings"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("sản phẩm"), on_delete=models.PROTECT, related_name="meetings"
    )
    score = models.FloatField(_("điểm phù hợp"))
    outcome = models.CharField(
        _("kết quả"),
        max_length=10,
        choices=MeetingOutcome.choices,
        default=MeetingOutcome.PLANNED,
    )
    note = models.CharField(_("ghi chú"), max_length=1000, blank=True, default="")
    proposal = models.OneToOneField(
        Proposal,
        verbose_name=_("đề xuất"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meeting",
    )

    class Meta:
        verbose_name = _("lượt gặp")
        verbose_name_plural = _("lượt gặp")
        ordering = ["slot", "buyer__code", "table"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "buyer", "slot", "table"], name="meeting_one_per_table"
            ),
            models.UniqueConstraint(
                fields=["event", "producer", "slot"], name="meeting_producer_one_per_slot"
            ),
            models.UniqueConstraint(
                fields=["event", "producer", "buyer"], name="meeting_pair_once"
            ),
        ]

    def __str__(self):
        return (
            f"{self.event.code} #{self.slot} {self.buyer.code}/{self.table}: {self.producer.code}"
        )
