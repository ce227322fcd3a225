"""Fills the English catalogue from the Vietnamese labels the models use, then compiles it.

Run after `python manage.py makemessages -l en -l vi`: `python locale/translate.py`.
The Vietnamese catalogue translates the English messages of validation errors and help texts.
"""

import re
import subprocess
from pathlib import Path

HERE = Path(__file__).parent

VI_TO_EN = {
    "Kết nối OCOP": "OCOP linkage",
    "Phân tích": "Analytics",
    "Tỉnh / thành phố": "Province / city",
    "Quận / huyện / thị xã": "District / town",
    "Xã / phường / thị trấn": "Commune / ward",
    "Hộ sản xuất kinh doanh": "Household business",
    "Hợp tác xã": "Cooperative",
    "Tổ hợp tác": "Cooperative group",
    "Doanh nghiệp": "Enterprise",
    "Thực phẩm": "Food",
    "Đồ uống": "Beverages",
    "Thảo dược": "Herbal products",
    "Vải và may mặc": "Textiles and garments",
    "Lưu niệm – nội thất – trang trí": "Souvenirs, furniture and decoration",
    "Dịch vụ du lịch cộng đồng, du lịch nông thôn và điểm du lịch": (
        "Community and rural tourism services"
    ),
    "Chuỗi bán lẻ": "Retail chain",
    "Cửa hàng của chuỗi": "Store of a chain",
    "Điểm giới thiệu và bán sản phẩm OCOP": "OCOP sales point",
    "Sàn thương mại điện tử": "E-commerce platform",
    "Bán buôn": "Wholesaler",
    "Nhà phân phối": "Distributor",
    "Thành viên của": "Member of",
    "Cung cấp nguyên liệu cho": "Supplies raw material to",
    "Bán cho": "Sells to",
    "Đăng bán trên": "Lists on",
    "Biên bản ghi nhớ": "Memorandum of understanding",
    "Đang mở": "Open",
    "Đã đóng": "Closed",
    "vĩ độ": "latitude",
    "kinh độ": "longitude",
    "mã": "code",
    "tên": "name",
    "cấp": "level",
    "thuộc": "parent",
    "dân số": "population",
    "địa bàn": "area",
    "loại chủ thể": "producer kind",
    "địa chỉ": "address",
    "số thành viên": "members",
    "tài khoản quản lý": "managing account",
    "chủ thể OCOP": "OCOP producer",
    "tên sản phẩm": "product name",
    "chủ thể": "producer",
    "nhóm sản phẩm": "product group",
    "hạng sao": "stars",
    "tiềm năng 5 sao": "potential 5-star",
    "ngày đánh giá": "rated on",
    "hết hạn chứng nhận": "rating expires on",
    "sản lượng mỗi tháng": "capacity per month",
    "đơn vị": "unit",
    "giá (đồng)": "price (VND)",
    "truy xuất nguồn gốc": "traceability URL",
    "sản phẩm": "product",
    "loại": "kind",
    "chuỗi": "chain",
    "nhóm sản phẩm nhận": "product groups taken",
    "hạng sao tối thiểu": "minimum stars",
    "bên mua": "buyer",
    "loại liên kết": "linkage kind",
    "khối lượng mỗi tháng": "volume per month",
    "bắt đầu": "started on",
    "kết thúc": "ended on",
    "liên kết": "linkage",
    "số lượng mỗi tháng": "quantity per month",
    "khoảng cách tối đa (km)": "maximum distance (km)",
    "trạng thái": "status",
    "yêu cầu tìm nguồn hàng": "sourcing request",
    "Hộ sản xuất kinh doanh (ẩn tên)": "Household business (name withheld)",
    "người ghi nhận": "decided by",
    "ghi chú": "note",
    "Giấy chứng nhận an toàn thực phẩm": "Food-safety certificate",
    "Mã vạch": "Barcode",
    "Tem truy xuất nguồn gốc / mã QR": "Traceability stamp / QR code",
    "Hóa đơn VAT": "VAT invoice",
    "Đã đề xuất": "Proposed",
    "Đã chấp nhận": "Accepted",
    "Đã từ chối": "Declined",
    "Đã rút lại": "Withdrawn",
    "Đã ký biên bản ghi nhớ": "MOU signed",
    "Đang giao dịch": "Trading",
    "Đã kết thúc": "Ended",
    "Chủ thể sản xuất": "Producer",
    "Bên mua": "Buyer",
    "Từ gợi ý": "From a recommendation",
    "Từ yêu cầu tìm nguồn hàng": "From a sourcing request",
    "Từ phân bổ": "From an allocation",
    "Khác": "Other",
    "người liên hệ": "contact person",
    "điện thoại": "phone",
    "thư điện tử": "e-mail",
    "giấy tờ yêu cầu": "required documents",
    "khối lượng tối thiểu mỗi tháng": "minimum volume per month",
    "đóng gói": "packaging",
    "điều khoản thanh toán": "payment terms",
    "yêu cầu của bên mua": "buyer's requirements",
    "loại giấy tờ": "credential kind",
    "hết hạn": "expires on",
    "số hiệu": "reference",
    "giấy tờ của chủ thể": "producer's credential",
    "bên đề xuất": "proposed by",
    "nguồn": "origin",
    "ngày đề xuất": "proposed on",
    "ngày chấp nhận": "accepted on",
    "ngày từ chối / rút lại": "declined or withdrawn on",
    "ngày ký biên bản ghi nhớ": "MOU signed on",
    "ngày bắt đầu giao dịch": "trading since",
    "ngày kết thúc": "ended on",
    "liên kết bán hàng": "sales linkage",
    "đề xuất kết nối": "proposal",
    "đề xuất": "proposal",
    "lúc": "at",
    "người thực hiện": "user",
    "bên thực hiện": "by",
    "từ trạng thái": "from state",
    "sang trạng thái": "to state",
    "bước của đề xuất": "proposal step",
    "các bước của đề xuất": "proposal steps",
    "Thông báo": "Notifications",
    "người nhận": "recipient",
    "sự kiện": "event",
    "đã đọc lúc": "read at",
    "thông báo": "notification",
    "tài khoản": "account",
    "đang dùng": "active",
    "webhook": "webhook",
    "lần gửi webhook": "webhook delivery",
    "lần thử gửi webhook": "webhook delivery attempt",
    "báo hết hạn chứng nhận": "rating expiry notice",
    "Trước 1/7/2025 (tỉnh – huyện – xã)": "Before 1 July 2025 (province – district – commune)",
    "Từ 1/7/2025 (tỉnh – xã)": "Since 1 July 2025 (province – commune)",
    "mã hành chính": "official code",
    "phân cấp hành chính": "administrative division",
    "nay thuộc": "now part of",
    "địa bàn trước 1/7/2025": "area before 1 July 2025",
}


def _fill(po_path: Path, table: dict[str, str]) -> int:
    text = po_path.read_text(encoding="utf-8")
    filled = 0

    def replace(match: re.Match) -> str:
        nonlocal filled
        msgid = match.group(1)
        if msgid in table:
            filled += 1
            return f'msgid "{msgid}"\nmsgstr "{table[msgid]}"'
        return match.group(0)

    text = re.sub(r'msgid "(.+)"\nmsgstr ""', replace, text)
    text = text.replace("#, fuzzy\n", "", 1)
    po_path.write_text(text, encoding="utf-8")
    return filled


if __name__ == "__main__":
    po = HERE / "en" / "LC_MESSAGES" / "django.po"
    print(f"{_fill(po, VI_TO_EN)} English labels filled")
    subprocess.run(["msgfmt", "-o", str(po.with_suffix(".mo")), str(po)], check=True)
    # The Vietnamese catalogue (English messages of errors and help texts) is edited by hand.
    vi = HERE / "vi" / "LC_MESSAGES" / "django.po"
    subprocess.run(["msgfmt", "--check", "-o", str(vi.with_suffix(".mo")), str(vi)], check=True)
