"""A booking is only ever shown to, or cancelled by, the customer who owns it."""
from __future__ import annotations

import pytest

from bot.booking.store import BookingError, IdempotencyConflict

from tests.booking.support import FIRST_DAY

PHONE = "13800138000"


def test_another_customers_reference_looks_like_an_unknown_one(store):
    owner = store.customer_for("wechat", "owner")
    stranger = store.customer_for("telegram", "stranger")
    booking = store.hold_and_book(owner, "G1/二等座", FIRST_DAY, ["甲"], PHONE, "k")
    assert store.find(booking.reference, owner) is not None
    assert store.find(booking.reference, stranger) is None
    assert store.find("TD22222222", stranger) is None
    assert store.bookings_for(stranger) == []
    assert [b.reference for b in store.bookings_for(owner)] == [booking.reference]


def test_a_forged_view_cannot_cancel_someone_elses_booking(store):
    owner = store.customer_for("wechat", "owner")
    stranger = store.customer_for("telegram", "stranger")
    booking = store.hold_and_book(owner, "G1/二等座", FIRST_DAY, ["甲"], PHONE, "k")
    forged = type(booking)(**{**booking.__dict__, "customer_id": stranger.id})
    with pytest.raises(BookingError):
        store.cancel(forged, store.quote_cancellation(booking), "steal")
    assert store.find(booking.reference, owner).status == "pending_payment"


def test_an_idempotency_key_cannot_fetch_another_customers_booking(store):
    owner = store.customer_for("wechat", "owner")
    stranger = store.customer_for("telegram", "stranger")
    store.hold_and_book(owner, "G1/二等座", FIRST_DAY, ["甲"], PHONE, "shared-key")
    with pytest.raises(IdempotencyConflict):
        store.hold_and_book(stranger, "G1/二等座", FIRST_DAY, ["乙"], PHONE, "shared-key")


def test_channel_identities_resolve_to_one_customer(store):
    first = store.customer_for("wechat", "openid-9", display_name="王五")
    assert store.customer_for("wechat", "openid-9") == first
    store.link_identity(first, "telegram", "999")
    assert store.customer_for("telegram", "999").id == first.id
    assert store.customer_for("telegram", "openid-9").id != first.id
