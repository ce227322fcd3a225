"""One e-mail per notification, to users with an address, in Vietnamese with English below."""

import pytest
from django.core import mail

from .conftest import proposal_data

pytestmark = pytest.mark.django_db


def test_each_recipient_with_an_address_gets_one_email(world, deliver):
    deliver(
        "proposal.state_changed",
        code="7",
        actor=world["store_manager"],
        **proposal_data(world, **{"from": "proposed", "to": "accepted", "by": "buyer"}),
    )
    # The cooperative and the chain owner are told; the store manager acted (and has no address).
    assert sorted(m.to[0] for m in mail.outbox) == ["chain@example.org", "coop@example.org"]
    message = next(m for m in mail.outbox if m.to == ["coop@example.org"])
    assert message.subject == "[OCOP] Đề xuất 7: đã chấp nhận"
    assert "chuyển từ đã đề xuất sang đã chấp nhận" in message.body
    assert "Proposal 7: accepted" in message.body
    assert "http://127.0.0.1:8000/api/v1/proposals/7/" in message.body


def test_no_email_without_an_address(world, deliver):
    deliver("proposal.created", code="7", actor=world["coop"], **proposal_data(world))
    assert [m.to for m in mail.outbox] == [["chain@example.org"]]  # not the store manager


def test_emails_can_be_switched_off(world, deliver, settings):
    settings.NOTIFICATION_EMAILS = False
    deliver("proposal.created", code="7", actor=world["coop"], **proposal_data(world))
    assert mail.outbox == []
