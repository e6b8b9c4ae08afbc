"""actions/payment.py against the real knowledge base and a real, seeded SQLite store:
a double charge is found in the store and refunded once, never beyond what was paid,
and a failed payment gets a new link."""
from __future__ import annotations

from typing import Dict

import pytest
from sqlalchemy import select

from actions.payment import ActionPaymentIssue
from bot.booking.models import Booking, Refund
from bot.booking.payments import payment_settings
from bot.booking.store import BookingStore
from tests.helpers import run_action, seeded_store, traveller

ZHANG = "rest:demo-zhang"  # TD5NX7RB3C: a ¥553 G7 ticket, charged twice
LI = "rest:demo-li"  # TD4KM8YW2N: a ¥298 tour whose payment failed


@pytest.fixture
def store(tmp_path, monkeypatch) -> BookingStore:
    store = seeded_store(tmp_path, monkeypatch)
    yield store
    store.close()


async def report(domain: Dict, sender: str, text: str) -> tuple:
    built = traveller(text, "payment_issue", sender)
    built.events.append({"event": "user", "text": text, "parse_data": {"intent": {"name": "payment_issue"}}})
    names, _, texts = await run_action(ActionPaymentIssue(), built, domain)
    return names, texts


def refunds_of(store: BookingStore, reference: str) -> list:
    with store.transaction() as session:
        return [(r.amount_fen, r.rule) for r in session.execute(
            select(Refund).join(Booking).where(Booking.reference == reference)).scalars()]


async def test_a_double_charge_is_refunded_once_however_often_it_is_reported(store, domain_dict):
    names, texts = await report(domain_dict, ZHANG, "我被扣了两次钱")
    assert names == ["utter_duplicate_refund_opened"]
    assert "TD5NX7RB3C" in texts[0] and "553元" in texts[0]
    names, _ = await report(domain_dict, ZHANG, "重复扣款了，怎么还没退")
    assert refunds_of(store, "TD5NX7RB3C") == [(55300, "payment.duplicate")]


async def test_after_a_cancellation_the_double_charge_is_said_to_be_in_that_refund(store, domain_dict):
    """Cancelled first, the extra payment went back with the cancellation refund: the
    traveller hears that, not "no double charge found", and nothing more is refunded."""
    zhang = store.customer_for("rest", ZHANG)
    ticket = store.find("TD5NX7RB3C", zhang)
    cancelled = store.cancel(ticket, store.quote_cancellation(ticket), "cancel-first")
    names, texts = await report(domain_dict, ZHANG, "我被扣了两次钱")
    assert names == ["utter_duplicate_already_returned"]
    assert "TD5NX7RB3C" in texts[0] and "1106元" in texts[0]
    assert f"{cancelled.refund_fen / 100:g}元" in texts[0]
    assert sum(amount for amount, _ in refunds_of(store, "TD5NX7RB3C")) == cancelled.refund_fen <= 110600


async def test_a_failed_payment_gets_a_new_link_for_what_is_due(store, domain_dict):
    names, texts = await report(domain_dict, LI, "付款失败了")
    assert names == ["utter_payment_retry"]
    assert "TD4KM8YW2N" in texts[0] and "298元" in texts[0]
    assert payment_settings().link_for("TD4KM8YW2N") in texts[0]
