"""Booking references, mobile numbers, numerals and the booking window: each defined once,
and every reader (store, NLU, forms, seed) agrees with it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import store_access
from actions.book import ValidateBookForm
from bot.booking.seed import seed
from bot.booking.store import BookingStore, InvalidRequest
from bot.identifiers import is_reference, new_reference, references_in
from bot.nlu.dates import business_now
from bot.nlu.rule_extractor import find_booking_refs, find_phones
from bot.numerals import parse_number
from tests.helpers import make_tracker


def test_a_new_reference_is_found_by_the_nlu_and_accepted_by_the_store_shape():
    reference = new_reference()
    assert is_reference(reference)
    assert references_in(f"帮我查下{reference.lower()}的订单") == [reference]
    assert [value for *_, value in find_booking_refs(f"订单{reference}")] == [reference]


@pytest.mark.parametrize("text", ["TD0NX7RB3C", "TDONX7RB3C", "TD5NX7RB3", "XTD5NX7RB3C"])
def test_ambiguous_or_malformed_references_are_not_references(text):
    assert not is_reference(text)
    assert references_in(text) == []


@pytest.mark.parametrize("typed,digits", [
    ("手机13800138001", "13800138001"), ("138 0013 8001", "13800138001"), ("138-0013-8001", "13800138001"),
])
def test_the_nlu_reads_a_typed_mobile_as_the_store_stores_it(typed, digits):
    assert [value for *_, value in find_phones(typed)] == [digits]


def test_the_store_refuses_a_number_the_nlu_would_not_read_as_a_mobile(tmp_path):
    store = BookingStore(f"sqlite:///{tmp_path / 'b.db'}")
    seed(store, demo=False)
    customer = store.customer_for("rest", "someone")
    with pytest.raises(InvalidRequest):
        store.hold_and_book(customer, "G7/二等座", business_now().date() + timedelta(days=3), ["张伟"],
                            "12800138001", "k")
    assert find_phones("12800138001") == []
    store.close()


@pytest.mark.parametrize("text,value", [("3", 3), ("三", 3), ("两", 2), ("十二", 12), ("几", None), ("", None)])
def test_numbers_in_digits_or_chinese(text, value):
    assert parse_number(text) == value


@pytest.fixture
def seeded(tmp_path, monkeypatch) -> BookingStore:
    store = BookingStore(f"sqlite:///{tmp_path / 'tripdesk.db'}")
    seed(store, demo=False)
    monkeypatch.setattr(store_access, "_store", store)
    yield store
    store.close()


async def test_the_last_day_of_the_booking_window_has_inventory_and_can_be_asked_for(seeded, domain_dict):
    window = seeded.policy.booking_window_days
    today = business_now().date()
    # inventory is made on demand for the days of the window, and for no day after it
    assert seeded.available("H-SH-001/高级大床房", (today + timedelta(days=window - 1),
                                                   today + timedelta(days=window))) > 0
    assert seeded.available("H-SH-001/高级大床房", (today + timedelta(days=window),
                                                   today + timedelta(days=window + 1))) == 0

    async def answer(day):
        dispatcher = CollectingDispatcher()
        tracker = make_tracker(day.isoformat(), "inform", slots={"requested_slot": "book_date"})
        result = await ValidateBookForm().validate_book_date(day.isoformat(), dispatcher, tracker, domain_dict)
        return result, [m.get("response") for m in dispatcher.messages]

    last, said = await answer(today + timedelta(days=window - 1))
    assert last.get("book_date") and said == []
    too_far, said = await answer(today + timedelta(days=window))
    assert not too_far.get("book_date") and "utter_date_too_far" in said
