"""Why a buyer or a supplier is recommended, in words a cooperative or a buyer understands.

A reason is a code with its figures (``{"code": "nearby_sellers", "count": 3, "group": "food"}``);
``say`` puts it in Vietnamese or English. The texts live here rather than in the translation
catalogue because they are built from figures and group names in both languages at once, and the
pure recommender modules that make them must not depend on Django's active language.
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "say", "with_text"]

LANGUAGES = ("vi", "en")

GROUPS = {
    "vi": {
        "food": "thực phẩm",
        "beverages": "đồ uống",
        "herbal": "thảo dược",
        "textiles": "vải và may mặc",
        "handicraft": "lưu niệm – nội thất – trang trí",
        "tourism": "du lịch cộng đồng, du lịch nông thôn",
    },
    "en": {
        "food": "food",
        "beverages": "beverage",
        "herbal": "herbal",
        "textiles": "textile and garment",
        "handicraft": "handicraft and decoration",
        "tourism": "community and rural tourism",
    },
}

TEXTS = {
    "sells_here": {
        "vi": "Bạn đã bán sản phẩm khác của mình ở đây",
        "en": "You already sell another of your products here",
    },
    "nearby_sellers": {
        "vi": "{count} cơ sở sản xuất {group} gần bạn đã bán ở đây",
        "en": "{count} nearby producers of {group} products already sell here",
        "en_one": "1 nearby producer of {group} products already sells here",
    },
    "same_chain": {
        "vi": "Bạn đã bán cho {count} cửa hàng khác của {chain}",
        "en": "You already sell to {count} other stores of {chain}",
        "en_one": "You already sell to another store of {chain}",
    },
    "co_buyers": {
        "vi": "{count} cơ sở cùng bán ở nơi bạn bán cũng bán ở đây",
        "en": "{count} producers who sell where you sell also sell here",
        "en_one": "A producer who sells where you sell also sells here",
    },
    "distance": {
        "vi": "Cách bạn {km} km",
        "en": "{km} km from you",
    },
    "takes": {
        "vi": "Nhận sản phẩm {group}, từ {stars} sao",
        "en": "Takes {group} products, at least {stars} stars",
    },
    "suppliers": {
        "vi": "Đang mua của {count} cơ sở OCOP",
        "en": "Buys from {count} OCOP producers",
        "en_one": "Buys from 1 OCOP producer",
    },
    "rating_expires": {
        "vi": "Hạng sao của sản phẩm hết hạn sau {months} tháng: cần đánh giá lại",
        "en": "The product's rating expires in {months} months: it must be re-rated",
        "en_one": "The product's rating expires within a month: it must be re-rated",
    },
    "rating_expired": {
        "vi": "Hạng sao đã hết hạn ngày {date}: sản phẩm cần được đánh giá lại",
        "en": "The rating expired on {date}: the product must be re-rated",
    },
    "not_rated": {
        "vi": "Sản phẩm chưa được xếp hạng sao: người mua chỉ nhận sản phẩm đã xếp hạng",
        "en": "The product has no star rating: buyers take rated products only",
    },
    "no_buyer_within_rules": {
        "vi": "Không có người mua nào nhận nhóm sản phẩm này ở hạng sao này trong phạm vi đã chọn",
        "en": "No buyer takes this product group at this star level within the distance given",
    },
    "no_location": {
        "vi": "Chưa có địa chỉ hoặc toạ độ: thêm vào để được gợi ý cửa hàng và điểm bán gần bạn",
        "en": "No address or coordinates: add them to get stores and sales points near you",
    },
    "buyer_does_not_take_group": {
        "vi": "{buyer} không nhận sản phẩm {group}",
        "en": "{buyer} does not take {group} products",
    },
    "supplier_distance": {
        "vi": "Cách {place} {km} km",
        "en": "{km} km from {place}",
    },
    "supplier_nearby_sellers": {
        "vi": "{count} cơ sở gần đó đã bán cho bạn",
        "en": "{count} producers near it already sell to you",
        "en_one": "A producer near it already sells to you",
    },
    "supplier_same_chain": {
        "vi": "Đã bán cho {count} cửa hàng khác của chuỗi",
        "en": "Already sells to {count} other stores of the chain",
        "en_one": "Already sells to another store of the chain",
    },
    "supplier_stars": {
        "vi": "{stars} sao (yêu cầu từ {minimum} sao)",
        "en": "{stars} stars (at least {minimum} asked)",
    },
    "supplier_capacity": {
        "vi": "Năng lực {capacity}/tháng, đủ cho {needed} cần mua",
        "en": "Capacity {capacity} a month covers the {needed} asked",
    },
    "heuristic_ranking": {
        "vi": (
            "Chưa có xếp hạng học từ dữ liệu bán hàng (chưa đủ dữ liệu hoặc đang học): "
            "xếp theo nhóm sản phẩm, khoảng cách và số nhà cung cấp"
        ),
        "en": (
            "The ranking learned from sales is not ready (too few sales, or being fitted): "
            "ranked by product group, distance and number of suppliers"
        ),
    },
}


def say(reason: dict, language: str) -> str:
    """The reason's sentence in ``language`` ("vi" or "en"; anything else reads as English)."""
    language = "vi" if str(language or "").lower().startswith("vi") else "en"
    values = dict(reason)
    if "group" in values:
        values["group"] = GROUPS[language].get(values["group"], values["group"])
    for name in ("capacity", "needed"):
        if isinstance(values.get(name), float):
            values[name] = f"{values[name]:,.0f}"
    texts = TEXTS[reason["code"]]
    one = reason.get("count", reason.get("months")) == 1
    text = texts.get(f"{language}_one", texts[language]) if one else texts[language]
    return text.format(**values)


def with_text(reasons: list[dict], language: str) -> list[dict]:
    """The reasons, each with its ``text`` added."""
    return [{**reason, "text": say(reason, language)} for reason in reasons]
