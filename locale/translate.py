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
    # The planners' pages (planner/, templates/planner/).
    "Mạng lưới bán hàng": "Sales network",
    "Cửa hàng của mọi chuỗi": "Stores of every chain",
    "Điểm bán OCOP và cửa hàng của chuỗi": "OCOP sales points and chain stores",
    "Cửa hàng của một chuỗi": "Stores of one chain",
    "Nhóm sản phẩm": "Product group",
    "Mọi nhóm sản phẩm": "Every product group",
    "Bán kính (km)": "Radius (km)",
    "Số địa điểm đề xuất": "Proposed sites",
    "Tính đến ngày": "As of",
    "Cách đếm": "Counting",
    "Mặc định": "Default",
    "Lũy kế": "Cumulative",
    "Còn hiệu lực tại ngày": "Valid at the date",
    "Chỉ tiêu mỗi năm": "Target a year",
    "Ngày phải trong khoảng %(low)s đến %(high)s.": (
        "The date must be between %(low)s and %(high)s."
    ),
    "Địa bàn": "Area",
    "Tên xã, phường": "Commune and ward names",
    "Ranh giới tỉnh": "Province boundaries",
    "Tên tỉnh": "Province names",
    "Bán kính phục vụ": "Service radius",
    "Cơ sở bán hàng": "Outlets",
    "Vùng trống": "Gaps",
    "Địa điểm đề xuất": "Proposed sites",
    "OpenStreetMap (trực tuyến)": "OpenStreetMap (online)",
    "Không tải được": "Could not load",
    "Đang tính địa điểm đề xuất…": "Computing the proposed sites…",
    "Vẫn đang tính; tải lại trang sau.": "Still computing; reload the page later.",
    "Chỉ hiện một phần cơ sở bán hàng.": "Only part of the outlets is shown.",
    "Tỷ lệ dân số được phủ": "Share of population covered",
    "Tỷ lệ chủ thể được phủ": "Share of producers covered",
    "Dân số được phủ": "Population covered",
    "Chủ thể được phủ": "Producers covered",
    "Không có": "None",
    "Tên": "Name",
    "Dân số": "Population",
    "Dân số chưa phủ": "Population not covered",
    "Chủ thể chưa phủ": "Producers not covered",
    "Cơ sở gần nhất": "Nearest outlet",
    "Khoảng cách (km)": "Distance (km)",
    "Được phủ": "Covered",
    "có": "yes",
    "không": "no",
    "Dân số thêm được phủ": "Population newly covered",
    "Chủ thể thêm được phủ": "Producers newly covered",
    "Loại": "Kind",
    "Năm": "Year",
    "Được đánh giá": "Rated",
    "5 sao": "5 stars",
    "Tiềm năng 5 sao": "Potential 5 stars",
    "4 sao": "4 stars",
    "3 sao": "3 stars",
    "Còn hiệu lực cuối năm": "Valid at year end",
    "Chỉ tiêu": "Target",
    "Tỷ lệ": "Share",
    "Đạt": "Met",
    "Còn thiếu": "Shortfall",
    "Nhóm": "Group",
    "Sản phẩm": "Products",
    "Chủ thể": "Producers",
    "Cấp": "Level",
    "Mã": "Code",
    "Hạng sao": "Stars",
    "Ngày đánh giá": "Rated on",
    "Hết hạn": "Expires on",
    "Còn (ngày)": "Days left",
    "Phễu kết nối theo": "Funnel by",
    "Năm đề xuất": "Year proposed",
    "Địa bàn (quận, huyện)": "Area (district)",
    "Đề xuất": "Proposals",
    "Được chấp nhận": "Accepted",
    "Đã ký MOU": "MOU signed",
    "Đã giao dịch": "Trading",
    "Trung vị số ngày từ đề xuất đến giao dịch": "Median days from proposal to trading",
    "(không có)": "(none)",
    "Phễu kết nối: đề xuất đến giao dịch": "Funnel: from proposal to trading",
    "Phễu kết nối": "Match funnel",
    "Tải về đúng bảng này:": "Download this table:",
    "Phễu kết nối chỉ dành cho cán bộ kế hoạch.": "The match funnel is for planners only.",
    "Đăng nhập": "Sign in",
    "Loại chủ thể": "Producer kind",
    "Được đánh giá trong năm": "Rated in the year",
    "Không có dữ liệu": "No data",
    "Bộ lọc chưa hợp lệ": "The filters are not valid",
    "Sản phẩm đạt 3–5 sao": "Products rated 3–5 stars",
    "Còn hiệu lực": "Valid",
    "Dưới 3 sao (không xếp hạng OCOP)": "Below 3 stars (not certified)",
    "Sắp hết hạn trong 6 tháng": "Expiring within 6 months",
    "Được đánh giá trong năm nay": "Rated this year",
    "Chỉ tiêu năm": "Yearly target",
    "Theo năm": "By year",
    "So với chỉ tiêu": "Against the target",
    "Theo nhóm sản phẩm": "By product group",
    "Theo hạng sao": "By stars",
    "Theo loại chủ thể": "By producer kind",
    "Theo địa bàn": "By area",
    "Kế hoạch": "Planning",
    "Trang chính": "Home",
    "Bản đồ độ phủ": "Coverage map",
    "Thống kê": "Statistics",
    "Chương trình OCOP — trang cho người lập kế hoạch": "OCOP programme — pages for planners",
    "Thống kê chương trình": "Programme statistics",
    "Tài liệu API": "API documentation",
    "Bản đồ độ phủ của mạng lưới bán hàng OCOP": "Coverage of the OCOP sales network",
    "Cập nhật": "Update",
    "Bộ lọc chưa hợp lệ: sửa ô được đánh dấu rồi bấm Cập nhật.": (
        "The filters are not valid: correct the marked field, then press Update."
    ),
    "địa bàn tô màu theo độ phủ trên nền ranh giới tỉnh, điểm bán và bán kính, danh sách vùng "
    "trống và địa điểm đề xuất, tải về.": (
        "areas coloured by coverage over the province boundaries, outlets and their radius, "
        "lists of gaps and proposed sites, downloads."
    ),
    "sản phẩm theo năm, nhóm, hạng sao, địa bàn, loại chủ thể; tiến độ so với chỉ tiêu; chứng "
    "nhận sắp hết hạn.": (
        "products by year, group, stars, area and producer kind; progress against the targets; "
        "ratings about to expire."
    ),
    "Nền bản đồ là ranh giới Việt Nam và 63 tỉnh trước ngày 1/7/2025 (Natural Earth, phạm vi "
    "công cộng), chạy không cần Internet; tên xã, phường lấy từ tâm địa bàn trong sổ đăng ký. "
    "Lớp OpenStreetMap (trực tuyến) bật ở nút lớp bản đồ.": (
        "The base map is Việt Nam and its 63 provinces of before 1 July 2025 (Natural Earth, "
        "public domain) and needs no internet; commune and ward names come from the areas' "
        "centres in the registry. The online OpenStreetMap layer is in the layers control."
    ),
    "Bản đồ": "Map",
    "Gần (trong 2 lần bán kính)": "Near (within twice the radius)",
    "Chưa phủ": "Not covered",
    "Cơ sở bán hàng và bán kính": "Outlet and its radius",
    "Vùng trống, xếp hạng": "Gaps, ranked",
    "Tải về": "Download",
    "Cách cơ sở gần nhất (km)": "To the nearest outlet (km)",
    "Trước và sau khi mở các địa điểm đề xuất": "Before and after the proposed sites",
    "Trước": "Before",
    "Sau": "After",
    "Thay đổi": "Change",
    "Địa bàn chuyển sang được phủ": "Areas that become covered",
    "Nhờ địa điểm": "By site",
    "Thống kê chương trình OCOP": "OCOP programme statistics",
    "Sản phẩm được đánh giá theo năm và chỉ tiêu": "Products rated per year, and the target",
    "Sắp hết hạn theo tháng": "Expiring, by month",
    "Bảng": "Tables",
    "Tên sản phẩm": "Product",
    "«%(value)s» không phải là một ngày (viết dạng NNNN-TT-NN, ví dụ 2025-06-30).": (
        "«%(value)s» is not a date (write it as YYYY-MM-DD, for example 2025-06-30)."
    ),
    "Tên chủ thể": "Producer",
    "hạn chót": "deadline",
    "Trước 1/7/2025 (tỉnh – huyện – xã)": "Before 1 July 2025 (province – district – commune)",
    "Từ 1/7/2025 (tỉnh – xã)": "Since 1 July 2025 (province – commune)",
    "mã hành chính": "official code",
    "phân cấp hành chính": "administrative division",
    "nay thuộc": "now part of",
    "địa bàn trước 1/7/2025": "area before 1 July 2025",
    "giá tối thiểu (đồng)": "lowest price (VND)",
    "giá tối đa (đồng)": "highest price (VND)",
}


def _fill(po_path: Path, table: dict[str, str]) -> int:
    text = po_path.read_text(encoding="utf-8")
    filled = 0

    def replace(match: re.Match) -> str:
        nonlocal filled
        # A long msgid is wrapped over several quoted lines after an empty first one.
        msgid = "".join(re.findall(r'"(.*)"', match.group(1)))
        if msgid in table:
            filled += 1
            return f'{match.group(1)}\nmsgstr "{table[msgid]}"'
        return match.group(0)

    text = re.sub(r'(msgid "(?:.+)"|msgid ""(?:\n".+")+)\nmsgstr ""', replace, text)
    # Only the header's mark: a guess makemessages marked fuzzy on an entry stays unused.
    text = re.sub(r'#, fuzzy\n(msgid ""\nmsgstr ""\n"Project-Id)', r"\1", text, count=1)
    po_path.write_text(text, encoding="utf-8")
    return filled


if __name__ == "__main__":
    po = HERE / "en" / "LC_MESSAGES" / "django.po"
    print(f"{_fill(po, VI_TO_EN)} English labels filled")
    subprocess.run(["msgfmt", "-o", str(po.with_suffix(".mo")), str(po)], check=True)
    # The Vietnamese catalogue (English messages of errors and help texts) is edited by hand.
    vi = HERE / "vi" / "LC_MESSAGES" / "django.po"
    subprocess.run(["msgfmt", "--check", "-o", str(vi.with_suffix(".mo")), str(vi)], check=True)
