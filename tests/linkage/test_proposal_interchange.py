"""Proposals in the interchange format: exported, imported back, checked row by row."""

import datetime as dt

import pytest

from linkage import services
from linkage.exporter import PUBLIC_TABLES, export_frames
from linkage.importing import import_tables
from linkage.models import Proposal
from tests.factories import BuyerFactory, ProductFactory, SourcingRequestFactory

pytestmark = pytest.mark.django_db


def _rows(frame):
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


@pytest.fixture
def proposals():
    outlet = BuyerFactory(code="B-1")
    request = SourcingRequestFactory(code="YC-1", buyer=outlet)
    first = services.proposal_create(
        actor=None,
        product=ProductFactory(code="SP-1"),
        buyer=outlet,
        proposed_by="buyer",
        origin="sourcing_request",
        sourcing_request=request,
        note="Hàng mẫu",
    )
    for step in ("accepted", "mou_signed", "trading"):
        services.proposal_transition(actor=None, proposal=first, to=step)
    services.proposal_create(
        actor=None, product=ProductFactory(code="SP-2"), buyer=outlet, proposed_by="producer"
    )
    return outlet


def test_proposals_round_trip(proposals):
    frames = export_frames()
    assert "proposals" in frames and "proposals" not in PUBLIC_TABLES
    exported = _rows(frames["proposals"])
    assert [(r["product_code"], r["state"], r["request_code"]) for r in exported] == [
        ("SP-1", "trading", "YC-1"),
        ("SP-2", "proposed", None),
    ]
    tables = {name: _rows(frame) for name, frame in frames.items() if len(frame)}
    again = import_tables(tables)
    assert again.ok and not again.written, again.as_dict()
    assert again.unchanged["proposals"] == 2

    Proposal.objects.all().delete()
    report = import_tables({"proposals": tables["proposals"]})
    assert report.ok and report.created["proposals"] == 2, report.as_dict()
    restored = Proposal.objects.get(product__code="SP-1")
    assert (restored.state, restored.proposed_by, restored.origin, restored.note) == (
        "trading",
        "buyer",
        "sourcing_request",
        "Hàng mẫu",
    )
    assert restored.trading_on == dt.date.today()
    assert _rows(export_frames()["proposals"]) == exported


def test_import_reports_bad_proposal_rows(proposals):
    today = dt.date.today().isoformat()
    rows = [
        {
            "Mã sản phẩm": "SP-1",
            "Mã bên mua": "B-1",
            "Ngày đề xuất": "2025-01-10",
            "Trạng thái": "Đang bán",
            "Bên đề xuất": "Bên mua",
            "Ngày giao dịch": "2025-01-01",
        },
        {
            "Mã sản phẩm": "NOPE",
            "Mã bên mua": "B-1",
            "Ngày đề xuất": today,
            "Trạng thái": "proposed",
            "Bên đề xuất": "producer",
        },
        {
            "Mã sản phẩm": "SP-2",
            "Mã bên mua": "B-1",
            "Ngày đề xuất": today,
            "Trạng thái": "sold",
            "Bên đề xuất": "producer",
        },
        {
            "Mã sản phẩm": "SP-2",
            "Mã bên mua": "B-1",
            "Ngày đề xuất": "2025-02-01",
            "Trạng thái": "proposed",
            "Bên đề xuất": "producer",
            "Ngày kết thúc": "2025-03-01",
        },
    ]
    report = import_tables({"proposals": rows}, source_names={"proposals": "deals.csv"})
    assert not report.ok and not report.written
    found = {(e.row, e.column) for e in report.errors}
    assert found == {(2, "trading_on"), (3, "product_code"), (4, "state"), (5, "ended_on")}
    assert all(e.file == "deals.csv" for e in report.errors)
    assert Proposal.objects.count() == 2
