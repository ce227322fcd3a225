"""The programme's vocabularies: English codes stored, Vietnamese labels shown."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AreaLevel(models.TextChoices):
    PROVINCE = "province", _("Tỉnh / thành phố")
    DISTRICT = "district", _("Quận / huyện / thị xã")
    COMMUNE = "commune", _("Xã / phường / thị trấn")


class AreaScheme(models.TextChoices):
    """Which administrative division an area belongs to: three levels until 30 June 2025, two
    (province, commune) from 1 July 2025."""

    LEGACY = "legacy", _("Trước 1/7/2025 (tỉnh – huyện – xã)")
    CURRENT = "current", _("Từ 1/7/2025 (tỉnh – xã)")


class ProducerKind(models.TextChoices):
    HOUSEHOLD = "household", _("Hộ sản xuất kinh doanh")
    COOPERATIVE = "cooperative", _("Hợp tác xã")
    COOPERATIVE_GROUP = "cooperative_group", _("Tổ hợp tác")
    ENTERPRISE = "enterprise", _("Doanh nghiệp")


class Category(models.TextChoices):
    """The six OCOP product groups."""

    FOOD = "food", _("Thực phẩm")
    BEVERAGES = "beverages", _("Đồ uống")
    HERBAL = "herbal", _("Thảo dược")
    TEXTILES = "textiles", _("Vải và may mặc")
    HANDICRAFT = "handicraft", _("Lưu niệm – nội thất – trang trí")
    TOURISM = "tourism", _("Dịch vụ du lịch cộng đồng, du lịch nông thôn và điểm du lịch")


class BuyerKind(models.TextChoices):
    RETAIL_CHAIN = "retail_chain", _("Chuỗi bán lẻ")
    STORE = "store", _("Cửa hàng của chuỗi")
    SALES_POINT = "sales_point", _("Điểm giới thiệu và bán sản phẩm OCOP")
    ECOMMERCE = "ecommerce", _("Sàn thương mại điện tử")
    WHOLESALER = "wholesaler", _("Bán buôn")
    DISTRIBUTOR = "distributor", _("Nhà phân phối")


# Buyers with no shop floor of their own: they have no location to measure distances from.
NON_PHYSICAL_BUYER_KINDS = frozenset({BuyerKind.RETAIL_CHAIN, BuyerKind.ECOMMERCE})


class LinkageKind(models.TextChoices):
    MEMBER_OF = "member_of", _("Thành viên của")
    SUPPLIES = "supplies", _("Cung cấp nguyên liệu cho")
    SELLS_TO = "sells_to", _("Bán cho")
    LISTS_ON = "lists_on", _("Đăng bán trên")
    MOU = "mou", _("Biên bản ghi nhớ")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Đang mở")
    CLOSED = "closed", _("Đã đóng")


RATING_VALID_MONTHS = 36


class Requirement(models.TextChoices):
    """What a buyer may require of a supplier beyond group and stars, and what a producer holds.

    Documents and marks a producer holds (with an expiry date where they lapse); a buyer's
    minimum monthly volume, packaging and payment terms are fields of their own."""

    FOOD_SAFETY = "food_safety", _("Giấy chứng nhận an toàn thực phẩm")
    BARCODE = "barcode", _("Mã vạch")
    TRACEABILITY = "traceability", _("Tem truy xuất nguồn gốc / mã QR")
    VAT_INVOICE = "vat_invoice", _("Hóa đơn VAT")


class ProposalState(models.TextChoices):
    PROPOSED = "proposed", _("Đã đề xuất")
    ACCEPTED = "accepted", _("Đã chấp nhận")
    DECLINED = "declined", _("Đã từ chối")
    WITHDRAWN = "withdrawn", _("Đã rút lại")
    MOU_SIGNED = "mou_signed", _("Đã ký biên bản ghi nhớ")
    TRADING = "trading", _("Đang giao dịch")
    ENDED = "ended", _("Đã kết thúc")


class ProposalSide(models.TextChoices):
    PRODUCER = "producer", _("Chủ thể sản xuất")
    BUYER = "buyer", _("Bên mua")


class ProposalOrigin(models.TextChoices):
    RECOMMENDATION = "recommendation", _("Từ gợi ý")
    SOURCING_REQUEST = "sourcing_request", _("Từ yêu cầu tìm nguồn hàng")
    ALLOCATION = "allocation", _("Từ phân bổ")
    OTHER = "other", _("Khác")
