"""Travellers from Hong Kong, Macau and Taiwan book with their own mobile numbers: the
NLU reads them however they are typed, the form and the store accept them in one stored
form that keeps the region (mainland numbers keep theirs), the logs mask them like
mainland numbers, and the store still refuses anything else (bot/identifiers.py)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from actions.book import ValidateBookForm
from bot.booking.seed import seed
from bot.booking.store import BookingStore, InvalidRequest
from bot.identifiers import normalised_mobile
from bot.nlu.dates import business_now
from bot.nlu.rule_extractor import find_phones
from bot.privacy import mask_text
from tests.helpers import in_days, make_tracker, run_action

TYPED = [
    ("+852 9123 4567", "+852 91234567"),
    ("我係香港號碼，+852 9123 4567，得唔得？", "+852 91234567"),
    ("852 61234567", "+852 61234567"),
    ("9123 4567", "+852 91234567"),
    ("香港手机51234567", "+852 51234567"),
    ("澳门的 +853 6612 3456", "+853 66123456"),
    ("+886 912 345 678", "+886 912345678"),
    ("台湾手机 0912-345-678", "+886 912345678"),
    ("13800138001", "13800138001"),
    ("138 0013 8001", "13800138001"),
]


@pytest.mark.parametrize("typed,stored", TYPED)
def test_the_nlu_reads_a_regional_mobile_as_the_store_stores_it(typed, stored):
    assert [value for *_, value in find_phones(typed)] == [stored]


@pytest.mark.parametrize("junk", [
    "12800138001", "+852 41234567", "+852 9123456", "+853 91234567", "+886 812345678", "0812-345-678",
    "+852 912345678", "13912345678\n", " 13912345678", "+852 91234567; drop table bookings",
    "+85291234567", "852 91234567", "+852  91234567", "１３９１２３４５６７８", "",
])
def test_the_store_refuses_anything_but_a_mobile_in_its_stored_form(tmp_path, junk):
    store = BookingStore(f"sqlite:///{tmp_path / 'b.db'}")
    seed(store, demo=False)
    customer = store.customer_for("rest", "someone")
    try:
        with pytest.raises(InvalidRequest):
            store.hold_and_book(customer, "G7/二等座", business_now().date() + timedelta(days=3), ["张伟"], junk, "k")
    finally:
        store.close()


@pytest.mark.parametrize("phone", ["+852 91234567", "+853 66123456", "+886 912345678", "13800138001"])
def test_the_store_books_with_a_mobile_of_any_region_and_keeps_it_as_given(tmp_path, phone):
    store = BookingStore(f"sqlite:///{tmp_path / 'b.db'}")
    seed(store, demo=False)
    customer = store.customer_for("rest", "someone")
    try:
        booking = store.hold_and_book(customer, "G7/二等座", business_now().date() + timedelta(days=3),
                                      ["陈嘉欣"], phone, "k")
        assert booking.contact_phone == phone
    finally:
        store.close()


@pytest.mark.parametrize("typed", ["12345678", "41234567", "+852 4123 4567", "0812 345 678", "2026年12月13日"])
def test_numbers_that_are_no_mobile_of_any_region_are_not_read_as_one(typed):
    assert find_phones(typed) == [] and normalised_mobile(typed) is None


@pytest.mark.parametrize("text,shown", [
    ("我的電話 +852 9123 4567", "我的電話 +852 ********"),
    ("澳门 +853 6612 3456", "澳门 +853 ********"),
    ("台湾 +886 912 345 678 或 0912-345-678", "台湾 +886 ********* 或 +886 *********"),
    ("contact_phone: '+852 91234567'", "contact_phone: '***'"),
])
def test_a_regional_mobile_is_masked_in_logs(text, shown):
    assert mask_text(text) == shown
    assert mask_text(shown) == shown


@pytest.mark.parametrize("said,stored", [("+852 9123 4567", "+852 91234567"), ("0912-345-678", "+886 912345678")])
async def test_the_booking_form_takes_a_regional_mobile_at_the_phone_step(store, domain_dict, said, stored):
    slots = {"book_product": "G7", "book_variant": "二等座", "book_date": in_days(7), "book_people": 1.0,
             "guest_names": ["陳嘉欣"], "requested_slot": "contact_phone"}
    built = make_tracker(said, "inform", slots=slots)
    names, after, _ = await run_action(ValidateBookForm(), built, domain_dict)
    assert "utter_invalid_phone" not in names
    assert after["contact_phone"] == stored and after["requested_slot"] == "book_confirm"
