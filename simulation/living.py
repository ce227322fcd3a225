"""The Hà Nội demo as a programme in motion on a given day, its "as of" (``load_demo --as-of``).

``simulation.demo`` gives the programme as published, standing in June 2025. This module dates it
to the as-of day and adds what people do with it:

* ratings: every product keeps its published first rating and is re-rated every 36 months after
  it (same stars), so its current rating is in force on the as-of day; a few products (among
  them two of the demo cooperative's) were last re-rated off that cycle and run out within one
  to six months, so that the expiry warnings have something to say. The yearly figures, counted
  from the first ratings (``analytics.statistics``), stay the published ones whatever the day.
* contacts of producers and buyers (plausible Vietnamese names, Vietnamese phone numbers,
  e-mails on the reserved example domains), the chains' and sales points' requirements, and the
  producers' credentials with their expiry dates (some missing, some lapsed: readiness gaps);
* for the demo accounts: open sourcing requests of the demo chain, proposals between the demo
  cooperative and the chain in every state, made and moved through ``linkage.services`` (with
  their audit events), and so their notifications, and the expiry warnings of the cooperative's
  products, all waiting unread.

Everything is deterministic for a seed and an as-of day. The pure part (tables in, tables out)
is ``dated_tables``, ``demo_cooperative``, ``contact_rows`` and ``credential_rows``; the writes
are ``write_rating_history``, ``write_contacts_and_papers`` and ``write_workflow``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from unidecode import unidecode

from linkage import services
from linkage.choices import BuyerKind, ProposalOrigin, ProposalSide, Requirement
from linkage.dates import add_months, rating_expiry
from linkage.models import (
    Buyer,
    BuyerRequirements,
    Credential,
    Linkage,
    Producer,
    Product,
    Proposal,
    ProposalEvent,
    Rating,
    SourcingRequest,
)
from linkage.proposals import STAGE_DATES

from .demo import _GIVEN, _MIDDLE, _SURNAMES

__all__ = [
    "DEMO_CHAIN_CODE",
    "EARLIEST_AS_OF",
    "PROPOSAL_PLAN",
    "contact_rows",
    "credential_rows",
    "dated_tables",
    "demo_cooperative",
    "write_contacts_and_papers",
    "write_rating_history",
    "write_workflow",
]

DEMO_CHAIN_CODE = "CH-AEON"
# The published programme stands on this day: the demo cannot be dated before it.
EARLIEST_AS_OF = dt.date(2025, 6, 30)
RERATED_EVERY_MONTHS = 36
# Share of products last re-rated off the 36-month cycle, whose rating runs out soon.
EXPIRING_SHARE = 0.01
_RERATED_NOTE = "Đánh giá lại khi hết thời hạn 36 tháng"
_OFF_CYCLE_NOTE = "Đánh giá lại sau khi đổi bao bì, nhãn mác"

# What each chain requires before it lists a product (documents, minimum monthly volume,
# packaging, payment); AEON is the strictest, the OCOP sales points the lightest.
CHAIN_REQUIREMENTS = {
    "CH-AEON": (
        ("barcode", "traceability", "vat_invoice", "food_safety"),
        200.0,
        "Tem nhãn tiếng Việt, mã vạch EAN-13, tem truy xuất nguồn gốc QR trên từng sản phẩm",
        "Thanh toán 30 ngày sau khi nhận hàng và hóa đơn VAT",
    ),
    "CH-CENTRAL": (
        ("barcode", "vat_invoice", "food_safety"),
        150.0,
        "Mã vạch EAN-13, thùng carton 12 đơn vị",
        "Thanh toán 45 ngày",
    ),
    "CH-WINMART": (
        ("barcode", "vat_invoice", "food_safety"),
        100.0,
        "Mã vạch trên từng đơn vị bán lẻ",
        "Thanh toán 30 ngày",
    ),
    "CH-COOP": (("barcode", "food_safety"), 80.0, "Mã vạch trên từng đơn vị bán lẻ", ""),
    "CH-BRG": (("barcode", "food_safety"), 50.0, "", "Thanh toán 15 ngày"),
    "CH-HAPRO": (("food_safety",), 50.0, "", "Thanh toán khi nhận hàng"),
}
SALES_POINT_REQUIREMENTS = (("food_safety", "barcode"), None, "Có tem OCOP trên bao bì", "")

# The proposals of the demo cooperative and chain, one per state: (state reached, who proposed,
# to the chain itself or to one of its stores, the steps with the days before the as-of day each
# was taken; the first is the proposal).
PROPOSAL_PLAN = (
    ("proposed", "producer", "store", (("proposed", 3),)),
    ("proposed", "buyer", "chain", (("proposed", 6),)),
    ("accepted", "producer", "store", (("proposed", 21), ("accepted", 14))),
    ("declined", "producer", "store", (("proposed", 34), ("declined", 27))),
    ("withdrawn", "producer", "store", (("proposed", 26), ("withdrawn", 24))),
    ("mou_signed", "buyer", "store", (("proposed", 64), ("accepted", 55), ("mou_signed", 41))),
    (
        "trading",
        "producer",
        "store",
        (("proposed", 130), ("accepted", 118), ("mou_signed", 101), ("trading", 84)),
    ),
    (
        "ended",
        "producer",
        "store",
        (("proposed", 420), ("accepted", 401), ("trading", 380), ("ended", 47)),
    ),
)
_PROPOSAL_NOTES = {
    "proposed": "Đề nghị giao thử hàng tháng tại cửa hàng",
    "accepted": "Đồng ý nhận mẫu, hẹn lịch thẩm định",
    "declined": "Chưa phù hợp cơ cấu ngành hàng quý này",
    "withdrawn": "Chưa đủ sản lượng, sẽ đề xuất lại sau vụ",
    "mou_signed": "Đã ký biên bản ghi nhớ tại tuần hàng OCOP",
    "trading": "Đơn hàng đầu tiên đã giao",
    "ended": "Kết thúc hợp đồng mùa vụ",
}

_MOBILE_PREFIXES = ("091", "094", "088", "096", "097", "098", "086", "090", "093", "089", "083")


def _rng(seed: int, as_of: dt.date, purpose: int) -> np.random.Generator:
    return np.random.default_rng([seed, as_of.toordinal(), purpose])


# --- pure: tables in, tables out ----------------------------------------------------------------


def demo_cooperative(tables: dict[str, list[dict]], chain_code: str = DEMO_CHAIN_CODE) -> str:
    """The code of the cooperative the demo producer account manages: the one with the most
    products the demo chain can list (its groups, its minimum stars), by code among equals."""
    chain = next(b for b in tables["buyers"] if b["code"] == chain_code)
    groups, min_stars = set(chain["categories"].split(";")), chain["min_stars"] or 1
    cooperatives = {
        p["code"] for p in tables["producers"] if p["kind"] == "cooperative" and p["code"]
    }
    listable: dict[str, int] = defaultdict(int)
    for product in tables["products"]:
        if (
            product["producer_code"] in cooperatives
            and product["category"] in groups
            and (product["stars"] or 0) >= min_stars
        ):
            listable[product["producer_code"]] += 1
    return min(listable, key=lambda code: (-listable[code], code))


def _cycle(first: dt.date, until: dt.date) -> list[dt.date]:
    """The first rating and the re-ratings every 36 months after it, up to ``until``."""
    days, k = [first], 1
    while (day := add_months(first, RERATED_EVERY_MONTHS * k)) <= until:
        days.append(day)
        k += 1
    return days


def dated_tables(
    tables: dict[str, list[dict]], *, as_of: dt.date, seed: int
) -> tuple[dict[str, list[dict]], list[dict]]:
    """The demo tables with each product's current rating as of ``as_of``, and the ratings.

    Returns (tables with the products' ``rated_on`` moved to their newest rating on or before
    ``as_of``, the rating history: rows ``product_code``, ``stars``, ``potential_five_star``,
    ``rated_on`` (a date), ``note``, oldest first per product). Raises ValueError for an as-of
    before ``EARLIEST_AS_OF``.
    """
    if as_of < EARLIEST_AS_OF:
        raise ValueError(f"The demo programme stands on {EARLIEST_AS_OF}: date it on or after.")
    rng = _rng(seed, as_of, 1)
    products = tables["products"]
    first = [dt.date.fromisoformat(p["rated_on"]) if p["rated_on"] else None for p in products]
    # Off the cycle: the last re-rating such that the rating runs out between one and six
    # months after the as-of day (and after the first rating, which stays the published one).
    soon_from = (add_months(as_of, 1) - as_of).days + 1
    soon_to = (add_months(as_of, 6) - as_of).days
    off_cycle: dict[int, dt.date] = {}
    cooperative = demo_cooperative(tables)
    own = [i for i, p in enumerate(products) if p["producer_code"] == cooperative and first[i]]
    others = [i for i, p in enumerate(products) if first[i] and p["producer_code"] != cooperative]
    picked = list(rng.choice(others, size=int(len(products) * EXPIRING_SHARE), replace=False))
    # Two of the demo cooperative's, one due within about two months, one within six: its two
    # first rated, whose first ratings lie far enough back to be re-rated off the cycle.
    spans = [(soon_from, soon_from + 30), (soon_to - 30, soon_to)]
    oldest = sorted(own, key=lambda i: (first[i], products[i]["code"]))[:2]
    for i, span in zip(oldest, spans, strict=False):
        off_cycle[i] = as_of + dt.timedelta(days=int(rng.integers(span[0], span[1] + 1)))
    for i in picked:
        off_cycle[int(i)] = as_of + dt.timedelta(days=int(rng.integers(soon_from, soon_to + 1)))
    dated, history = [], []
    for i, product in enumerate(products):
        if first[i] is None:
            dated.append(product)
            continue
        days = _cycle(first[i], as_of)
        notes = ["", *[_RERATED_NOTE] * (len(days) - 1)]
        if i in off_cycle:
            last = add_months(off_cycle[i], -RERATED_EVERY_MONTHS)
            if last > first[i]:
                kept = [day for day in days if day < last]
                days, notes = [*kept, last], [*notes[: len(kept)], _OFF_CYCLE_NOTE]
        for day, note in zip(days, notes, strict=True):
            history.append(
                {
                    "product_code": product["code"],
                    "stars": product["stars"],
                    "potential_five_star": product["potential_five_star"],
                    "rated_on": day,
                    "note": note,
                }
            )
        dated.append({**product, "rated_on": days[-1].isoformat()})
    return {**tables, "products": dated}, history


def _phone(rng: np.random.Generator, landline: bool = False) -> str:
    if landline:
        return f"024 {rng.integers(3000, 4000)} {rng.integers(0, 10000):04d}"
    # Ten digits, written 4-3-3 as people do: 0912 345 678.
    prefix = _MOBILE_PREFIXES[int(rng.integers(len(_MOBILE_PREFIXES)))]
    return f"{prefix}{rng.integers(0, 10)} {rng.integers(0, 1000):03d} {rng.integers(0, 1000):03d}"


def _person(rng: np.random.Generator) -> tuple[str, str]:
    """A Vietnamese name and the e-mail name made of it (given name, initials: "lan.nt")."""
    surname = _SURNAMES[int(rng.integers(len(_SURNAMES)))]
    middle = _MIDDLE[int(rng.integers(len(_MIDDLE)))]
    given = _GIVEN[int(rng.integers(len(_GIVEN)))]
    handle = f"{given}.{surname[0]}{middle[0]}"
    return f"{surname} {middle} {given}", unidecode(handle).lower()


def contact_rows(tables: dict[str, list[dict]], *, seed: int) -> dict[str, tuple[str, str, str]]:
    """code → (contact person, phone, e-mail) of every producer with products and every buyer.

    Producers: the person who sells, a mobile phone, an address on example.org. Buyers: the
    sourcing desk of the chain, a person in each store and sales point, Hà Nội landlines (024)
    for chains, platforms and traders; addresses on the chain's own example.com sub-domain.
    """
    rng = np.random.default_rng([seed, 2])
    making = {p["producer_code"] for p in tables["products"]}
    contacts = {}
    for producer in tables["producers"]:
        if producer["code"] not in making:
            continue
        person, handle = _person(rng)
        contacts[producer["code"]] = (
            person,
            _phone(rng),
            f"{handle}.{producer['code'].lower()}@example.org",
        )
    for buyer in tables["buyers"]:
        person, handle = _person(rng)
        domain = (buyer["chain_code"] or buyer["code"]).lower().replace("ch-", "")
        desk = buyer["kind"] in (BuyerKind.RETAIL_CHAIN, BuyerKind.ECOMMERCE)
        email = f"nguonhang@{domain}.example.com" if desk else f"{handle}@{domain}.example.com"
        if buyer["kind"] == BuyerKind.SALES_POINT:
            email = f"{handle}.{buyer['code'].lower()}@example.org"
        landline = desk or buyer["kind"] in (BuyerKind.WHOLESALER, BuyerKind.DISTRIBUTOR)
        contacts[buyer["code"]] = (person, _phone(rng, landline=landline), email)
    return contacts


# How likely a producer of each kind is to hold each credential.
_HOLDS = {
    "enterprise": {"food_safety": 0.9, "barcode": 0.85, "traceability": 0.6, "vat_invoice": 0.95},
    "cooperative": {"food_safety": 0.8, "barcode": 0.6, "traceability": 0.5, "vat_invoice": 0.6},
    "cooperative_group": {
        "food_safety": 0.6,
        "barcode": 0.3,
        "traceability": 0.3,
        "vat_invoice": 0.2,
    },
    "household": {"food_safety": 0.5, "barcode": 0.2, "traceability": 0.2, "vat_invoice": 0.1},
}
# The demo cooperative holds everything AEON asks for but barcodes: one gap to show.
_DEMO_COOPERATIVE_HOLDS = ("food_safety", "traceability", "vat_invoice")


def credential_rows(
    tables: dict[str, list[dict]], *, as_of: dt.date, seed: int
) -> list[tuple[str, str, dt.date | None, str]]:
    """(producer code, credential kind, expires on, reference) of the producers with products.

    Food-safety certificates run three years from their issue (some lapsed a few weeks before
    the as-of day, some run out within months); barcodes, traceability stamps and VAT invoices
    do not lapse. Some producers hold none of some kinds: the readiness gaps. Who holds what
    depends on the seed alone; the as-of day moves the expiry dates.
    """
    rng = np.random.default_rng([seed, 3])
    making = {p["producer_code"] for p in tables["products"]}
    cooperative = demo_cooperative(tables)
    rows = []
    for producer in tables["producers"]:
        code = producer["code"]
        if code not in making:
            continue
        draws = rng.random(len(Requirement.values))
        for kind, draw in zip(Requirement.values, draws, strict=True):
            held = (
                kind in _DEMO_COOPERATIVE_HOLDS
                if code == cooperative
                else draw < _HOLDS[producer["kind"]][kind]
            )
            if not held:
                continue
            expires = None
            if kind == Requirement.FOOD_SAFETY:
                expires = as_of + dt.timedelta(days=int(rng.integers(-40, 3 * 365)))
                if code == cooperative:
                    expires = add_months(as_of, 14)
            reference = f"{kind.upper()[:3]}-{code}-{int(rng.integers(1000, 10000))}"
            rows.append((code, kind, expires, reference))
    return rows


# --- writes --------------------------------------------------------------------------------------


def write_rating_history(history: list[dict]) -> int:
    """Make the demo products' histories the ratings of ``history`` (``dated_tables``): add the
    missing ones, remove those of another as-of day. The import has written each product's own
    (newest) rating; this writes the rest in bulk, as the import does. Returns how many rows
    changed."""
    wanted = {(row["product_code"], row["rated_on"]): row for row in history}
    codes = sorted({row["product_code"] for row in history})
    ids = dict(Product.objects.filter(code__in=codes).values_list("code", "id"))
    code_of = {pk: code for code, pk in ids.items()}
    stored = Rating.objects.filter(product_id__in=ids.values()).values_list(
        "id", "product_id", "rated_on"
    )
    have, stale = set(), []
    for pk, product_id, rated_on in stored:
        key = (code_of[product_id], rated_on)
        if key in wanted:
            have.add(key)
        else:
            stale.append(pk)
    now = timezone.now()
    missing = [
        {
            "product_id": ids[row["product_code"]],
            "stars": row["stars"],
            "potential_five_star": bool(row["potential_five_star"]),
            "rated_on": row["rated_on"],
            "expires_on": rating_expiry(row["rated_on"]),
            "note": row["note"],
            "created_at": now,
        }
        for key, row in wanted.items()
        if key not in have
    ]
    if not missing and not stale:
        return 0
    with transaction.atomic():
        Rating.objects.filter(id__in=stale).delete()
        _insert(Rating, missing)
        services.registry_changed()
    return len(missing) + len(stale)


def _insert(model, rows: list[dict]) -> None:
    """Plain INSERTs in one ``executemany``: ``bulk_create`` builds and checks an object per
    row, which at a few thousand rows costs several times the writes themselves."""
    if not rows:
        return
    ops, names = connection.ops, list(rows[0])
    fields = [model._meta.get_field(name) for name in names]
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({marks})"
    values = [
        [f.get_db_prep_save(row[name], connection) for name, f in zip(names, fields, strict=True)]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def _update(model, fields: tuple[str, ...], rows: list[tuple]) -> None:
    """Plain UPDATEs by id in one ``executemany`` (``rows``: the fields' values, then the id);
    ``bulk_update`` writes one CASE per field over every row, slow at thousands of rows."""
    if not rows:
        return
    ops = connection.ops
    sets = ", ".join(f"{ops.quote_name(model._meta.get_field(f).column)} = %s" for f in fields)
    sql = f"UPDATE {ops.quote_name(model._meta.db_table)} SET {sets} WHERE id = %s"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def write_contacts_and_papers(tables: dict[str, list[dict]], *, as_of: dt.date, seed: int) -> int:
    """Contacts of the demo's producers and buyers, the chains' and sales points' requirements
    and the producers' credentials; only what differs is written. Contacts and credentials of
    thousands of records go in bulk (they are not part of the registry's snapshot); the
    requirements, a few records, through ``services``. Returns how many records changed."""
    changed = 0
    contacts = contact_rows(tables, seed=seed)
    fields = ("contact_person", "phone", "email")
    with transaction.atomic():
        for model in (Producer, Buyer):
            rows = model.objects.filter(code__in=list(contacts)).only("id", "code", *fields)
            stale = [
                (*contacts[record.code], record.pk)
                for record in rows
                if tuple(getattr(record, f) for f in fields) != contacts[record.code]
            ]
            _update(model, fields, stale)
            changed += len(stale)
        changed += _write_requirements()
        changed += _write_credentials(credential_rows(tables, as_of=as_of, seed=seed))
    return changed


def _write_requirements() -> int:
    """The chains' through ``services``; the hundred-odd sales points' alike, in bulk."""
    declared = {
        r.buyer_id: (r.document_list, r.min_volume_per_month, r.packaging, r.payment_terms)
        for r in BuyerRequirements.objects.all()
    }
    changed = 0
    for buyer in Buyer.objects.filter(code__in=list(CHAIN_REQUIREMENTS)).order_by("code"):
        documents, volume, packaging, payment = CHAIN_REQUIREMENTS[buyer.code]
        if declared.get(buyer.pk) == (list(documents), volume, packaging, payment):
            continue
        services.buyer_requirements_set(
            actor=None,
            buyer=buyer,
            documents=list(documents),
            min_volume_per_month=volume,
            packaging=packaging,
            payment_terms=payment,
        )
        changed += 1
    documents, volume, packaging, payment = SALES_POINT_REQUIREMENTS
    points = Buyer.objects.filter(kind=BuyerKind.SALES_POINT, code__startswith="HN-")
    stale = [
        pk
        for pk in points.values_list("pk", flat=True)
        if declared.get(pk) != (list(documents), volume, packaging, payment)
    ]
    BuyerRequirements.objects.filter(buyer_id__in=stale).delete()
    now = timezone.now()
    _insert(
        BuyerRequirements,
        [
            {
                "buyer_id": pk,
                "documents": ",".join(documents),
                "min_volume_per_month": volume,
                "packaging": packaging,
                "payment_terms": payment,
                "updated_at": now,
            }
            for pk in stale
        ],
    )
    return changed + len(stale)


def _write_credentials(rows: list[tuple]) -> int:
    ids = dict(Producer.objects.filter(code__in={row[0] for row in rows}).values_list("code", "id"))
    stored = {
        (producer_id, kind): (pk, (expires_on, reference))
        for pk, producer_id, kind, expires_on, reference in Credential.objects.filter(
            producer_id__in=ids.values()
        ).values_list("id", "producer_id", "kind", "expires_on", "reference")
    }
    wanted = {(ids[code], kind): (expires, reference) for code, kind, expires, reference in rows}
    stale = [pk for key, (pk, value) in stored.items() if wanted.get(key) != value]
    fresh = [key for key, value in wanted.items() if stored.get(key, (None, None))[1] != value]
    Credential.objects.filter(id__in=stale).delete()
    now = timezone.now()
    _insert(
        Credential,
        [
            {
                "producer_id": key[0],
                "kind": key[1],
                "expires_on": wanted[key][0],
                "reference": wanted[key][1],
                "updated_at": now,
            }
            for key in fresh
        ],
    )
    return len(set(stale)) + len(fresh)


def _sourcing_requests(chain: Buyer, cooperative: Producer, as_of: dt.date) -> list:
    """Two open requests of the demo chain for the cooperative's main group, made through
    ``services`` so that the cooperative hears of them; coded by the as-of day."""
    groups = set(chain.categories.split(","))
    made = [p.category for p in cooperative.products.all() if p.category in groups]
    category = max(sorted(set(made)), key=made.count)
    store = chain.stores.order_by("code").first()
    wanted = [
        (f"YC-{as_of:%Y%m%d}-1", chain, 600.0, None),
        (f"YC-{as_of:%Y%m%d}-2", store, 120.0, 40.0),
    ]
    requests = []
    for code, buyer, quantity, reach in wanted:
        request = SourcingRequest.objects.filter(code=code).first()
        if request is None:
            request = services.sourcing_request_create(
                actor=None,
                code=code,
                buyer=buyer,
                category=category,
                quantity_per_month=quantity,
                min_stars=chain.min_stars,
                max_distance_km=reach,
            )
        requests.append(request)
    return requests


def _demo_proposals(chain: Buyer) -> QuerySet[Proposal]:
    """The demo's proposals of an earlier run: made by the system, to the chain or its stores."""
    made = ProposalEvent.objects.filter(from_state="", by="system").values("proposal_id")
    return Proposal.objects.filter(pk__in=made).filter(Q(buyer=chain) | Q(buyer__chain=chain))


def write_workflow(*, cooperative_code: str, as_of: dt.date, chain_code: str = DEMO_CHAIN_CODE):
    """The demo accounts' programme in motion: open requests of the chain and the proposals of
    ``PROPOSAL_PLAN`` between the cooperative and the chain (made and moved through
    ``services``, then dated back to their days before ``as_of``); the notifications follow
    from their events. A second run for the
    same day changes nothing; a run for another day replaces the demo's proposals."""
    chain = Buyer.objects.get(code=chain_code)
    cooperative = Producer.objects.get(code=cooperative_code)
    requests = _sourcing_requests(chain, cooperative, as_of)
    products = [
        p
        for p in cooperative.products.order_by("code")
        if p.category in chain.categories.split(",") and (p.stars or 0) >= (chain.min_stars or 1)
    ]
    stores = list(chain.stores.order_by("code"))
    plan = []
    for n, (state, side, to, steps) in enumerate(PROPOSAL_PLAN):
        buyer = chain if to == "chain" else stores[n % len(stores)]
        product = products[n % len(products)]
        proposed_on = as_of - dt.timedelta(days=steps[0][1])
        plan.append((product, buyer, side, steps, proposed_on, state))
    keys = {Proposal.make_key(p.code, b.code, day) for p, b, _s, _t, day, _st in plan}
    earlier = _demo_proposals(chain)
    if set(earlier.values_list("key", flat=True)) == keys:
        return
    with transaction.atomic():
        earlier.delete()
        for product, buyer, side, steps, proposed_on, _state in plan:
            answers = side == ProposalSide.BUYER and buyer == chain
            proposal = services.proposal_create(
                actor=None,
                product=product,
                buyer=buyer,
                proposed_by=side,
                origin=ProposalOrigin.SOURCING_REQUEST
                if answers
                else ProposalOrigin.RECOMMENDATION,
                sourcing_request=requests[0] if answers else None,
                note=_PROPOSAL_NOTES["proposed"],
                proposed_on=proposed_on,
            )
            for to, _days in steps[1:]:
                proposal = services.proposal_transition(
                    actor=None, proposal=proposal, to=to, note=_PROPOSAL_NOTES[to]
                )
            _date_back(proposal, steps, as_of)


def _date_back(proposal: Proposal, steps, as_of: dt.date) -> None:
    """The services stamp each step with the day it is taken; the demo's steps were taken on
    days before the as-of day, and so was the trade they record."""
    days = {state: as_of - dt.timedelta(days=ago) for state, ago in steps}
    Proposal.objects.filter(pk=proposal.pk).update(
        **{STAGE_DATES[state]: day for state, day in days.items() if state in STAGE_DATES}
    )
    if proposal.linkage_id and "trading" in days:
        ended = days.get("ended")
        Linkage.objects.filter(pk=proposal.linkage_id).update(
            started_on=days["trading"], ended_on=ended
        )
        services.registry_changed()


# A trade-connection week two weeks after the as-of day, scheduled, so that a planner meets one.
DEMO_EVENT_CODE = "SK-HN-TUAN-HANG-OCOP"
DEMO_EVENT_PRODUCERS = 24
DEMO_EVENT_SLOTS = 8


def write_trade_event(*, cooperative_code: str, as_of: dt.date) -> None:
    """An upcoming trade-connection event of the demo: the retail chains (two tables each) and
    three OCOP sales points meet the demo cooperative and the 23 other cooperatives and
    enterprises with the most certified products, in eight 20-minute slots; its schedule made by
    the exact method (``events.services``). A second run for the same day changes nothing."""
    from events import services as event_services
    from events.models import Event

    held_on = as_of + dt.timedelta(days=14)
    earlier = Event.objects.filter(code=DEMO_EVENT_CODE).first()
    if earlier is not None and earlier.held_on == held_on and earlier.scheduled_at is not None:
        return
    if earlier is not None:
        earlier.delete()
    chains = list(
        Buyer.objects.filter(kind=BuyerKind.RETAIL_CHAIN)
        .order_by("code")
        .values_list("code", flat=True)
    )
    sales_points = list(
        Buyer.objects.filter(kind=BuyerKind.SALES_POINT, lat__isnull=False)
        .order_by("code")
        .values_list("code", flat=True)[:3]
    )
    makers = (
        Producer.objects.filter(kind__in=("cooperative", "enterprise"), lat__isnull=False)
        .exclude(code=cooperative_code)
        .annotate(rated=Count("products", filter=Q(products__stars__gte=3)))
        .order_by("-rated", "code")
        .values_list("code", flat=True)[: DEMO_EVENT_PRODUCERS - 1]
    )
    event = event_services.event_create(
        actor=None,
        code=DEMO_EVENT_CODE,
        name="Tuần hàng kết nối giao thương sản phẩm OCOP Hà Nội",
        place="Cung Văn hóa Hữu nghị Việt Xô, 91 Trần Hưng Đạo, Hà Nội",
        held_on=held_on,
        starts_at=dt.time(8, 30),
        slot_minutes=20,
        slot_count=DEMO_EVENT_SLOTS,
        buyers=[{"buyer": code, "tables": 2} for code in chains]
        + [{"buyer": code, "tables": 1} for code in sales_points],
        producers=[{"producer": code, "max_meetings": 4} for code in [cooperative_code, *makers]],
    )
    event_services.event_schedule(actor=None, event=event, method="exact")
