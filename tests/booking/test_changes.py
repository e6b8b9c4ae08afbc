"""A confirmed change moves a booking atomically, once, under the quote the traveller saw.

Policy edges (knowledge_base/policies.yml): a hotel change is free until 18:00 on the
arrival day, then costs the first night; a train change is free until departure.
"""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.booking.models import BookingChange, BookingEvent, Payment, Refund
from bot.booking.store import (
    BookingError,
    BookingStore,
    ChangeRequest,
    NotChangeable,
    QuoteChanged,
    SoldOut,
)

from tests.booking.support import (
    FIRST_DAY,
    add_product,
    local_time,
    reserved_days,
    rows,
)

PHONE = "13800138000"
ROOM, SUITE, BUDGET = "H-TEST/大床房", "H-TEST/套房", "H-TEST/特价房"  # 500, 800, 100 元 a night
TRAIN, LATER_TRAIN = "G1/二等座", "G3/二等座"  # 553 元 at 08:00, 603 元 at 14:00
TOUR = "T-TEST"
NIGHT_FEN = 50000
BEFORE_CUTOFF = local_time(FIRST_DAY, 17, 59)  # arrival day, hotel changes still free
AFTER_CUTOFF = local_time(FIRST_DAY, 18, 0)  # from now on a change costs the first night
WEEK_BEFORE = local_time(FIRST_DAY - timedelta(days=7), 10)


def day(n: int):
    return FIRST_DAY + timedelta(days=n)


@pytest.fixture(autouse=True)
def more_products(store):
    add_product(store, SUITE, "hotel_room", 80000, capacity=3, max_guests=2)
    add_product(store, BUDGET, "hotel_room", 10000, capacity=3, max_guests=2)
    add_product(store, LATER_TRAIN, "transport", 60300, capacity=50, mode="train",
                departs_at="14:00")


@pytest.fixture
def guest(store):
    return store.customer_for("wechat", "guest")


def _book(store, customer, code, dates, paid=True, names=("张三",), key="book"):
    booking = store.hold_and_book(customer, code, dates, list(names), PHONE, key)
    if paid:
        booking = store.record_payment(booking, booking.total_fen, "wechat_pay", f"pay-{key}")
    return booking


@pytest.fixture
def stay(store, guest):
    """Two paid nights in the 大床房 from FIRST_DAY."""
    return _book(store, guest, ROOM, (day(0), day(2)))


def _apply(store, booking, request, at, key="change", conversation_id=None):
    quote = store.quote_change(booking, request, at)
    return store.change(booking, request, quote, key, at=at, conversation_id=conversation_id)


def _state(store, booking):
    """Everything a change may touch, as stored."""
    return dict(
        booking=store.find(booking.reference, store.customer_for("wechat", "guest")),
        inventory={code: reserved_days(store, code) for code in (ROOM, SUITE, BUDGET)},
        trains={code: reserved_days(store, code, 2) for code in (TRAIN, LATER_TRAIN)},
        changes=store.count(BookingChange), payments=store.payments_for(booking),
        refunds=store.count(Refund), events=store.count(BookingEvent),
    )


# --- what moves --------------------------------------------------------------------------

@pytest.mark.parametrize("shift, room_nights", [
    (5, [0, 0, 0, 0, 0, 1, 1, 0, 0, 0]),  # a stay on other days altogether
    (1, [0, 1, 1, 0, 0, 0, 0, 0, 0, 0]),  # overlapping: the shared night stays taken
])
def test_new_dates_keep_the_nights_and_move_the_inventory(store, stay, shift, room_nights):
    assert reserved_days(store, ROOM)[:2] == [1, 1]
    request = ChangeRequest("dates", start=day(shift))
    quote = store.quote_change(stay, request, WEEK_BEFORE)
    assert (quote.fee_fen, quote.difference_fen, quote.rule) == (0, 0, "hotel.change.free")

    result = store.change(stay, request, quote, "new-dates", at=WEEK_BEFORE)

    moved = store.find(stay.reference, store.customer_for("wechat", "guest"))
    assert (moved.start_date, moved.end_date) == (day(shift), day(shift + 2))
    assert moved.total_fen == stay.total_fen and moved.status == "confirmed"
    assert result.booking == moved
    assert reserved_days(store, ROOM) == room_nights


def test_a_room_type_change_moves_the_stay_to_the_other_room(store, stay):
    result = _apply(store, stay, ChangeRequest("room", product_code=SUITE), WEEK_BEFORE)

    assert result.booking.product.code == SUITE
    assert (result.booking.start_date, result.booking.end_date) == (day(0), day(2))
    assert result.booking.total_fen == 2 * 80000
    assert reserved_days(store, ROOM)[:3] == [0, 0, 0]
    assert reserved_days(store, SUITE)[:3] == [1, 1, 0]


def test_a_train_departure_change_moves_the_seats(store, guest):
    ticket = _book(store, guest, TRAIN, day(0), names=("甲", "乙"))
    request = ChangeRequest("departure", product_code=LATER_TRAIN)
    quote = store.quote_change(ticket, request, local_time(day(0), 7, 59))
    assert (quote.allowed, quote.fee_fen, quote.difference_fen) == (True, 0, 2 * 5000)
    assert quote.rule == "train.change.0"

    result = store.change(ticket, request, quote, "later-train", at=local_time(day(0), 7, 59))

    assert (result.booking.product.code, result.booking.start_date) == (LATER_TRAIN, day(0))
    assert result.booking.total_fen == 2 * 60300
    assert reserved_days(store, TRAIN, 2) == [0, 0]
    assert reserved_days(store, LATER_TRAIN, 2) == [2, 0]


def test_a_departed_train_cannot_be_changed(store, guest):
    ticket = _book(store, guest, TRAIN, day(0))
    request = ChangeRequest("dates", start=day(1))
    departed = local_time(day(0), 8, 1)
    quote = store.quote_change(ticket, request, departed)
    assert (quote.allowed, quote.rule) == (False, "train.change.not_allowed")
    before = _state(store, ticket)

    with pytest.raises(BookingError):
        store.change(ticket, request, quote, "too-late", at=departed)
    assert _state(store, ticket) == before


@pytest.mark.parametrize("code, dates", [(ROOM, (day(0), day(2))), (TOUR, day(0))],
                         ids=["hotel", "tour"])
def test_hotel_guests_and_tour_travellers_can_be_renamed(store, guest, code, dates):
    booking = _book(store, guest, code, dates, names=("张三", "李四"))
    request = ChangeRequest("traveller", traveller_names=("张三", "王五"))
    quote = store.quote_change(booking, request, WEEK_BEFORE)
    assert (quote.allowed, quote.rule, quote.fee_fen, quote.difference_fen) == (
        True, "traveller.rename", 0, 0)

    result = store.change(booking, request, quote, "rename", at=WEEK_BEFORE)

    assert result.booking.travellers == ("张三", "王五")
    assert store.find(booking.reference, guest).travellers == ("张三", "王五")
    [change] = rows(store, BookingChange)
    assert (change.old_values["travellers"], change.new_values["travellers"]) == (
        ["张三", "李四"], ["张三", "王五"])


def test_transport_tickets_cannot_be_renamed(store, guest):
    ticket = _book(store, guest, TRAIN, day(0), names=("甲",))
    request = ChangeRequest("traveller", traveller_names=("乙",))
    quote = store.quote_change(ticket, request, WEEK_BEFORE)
    assert (quote.allowed, quote.rule) == (False, "transport.rename_not_allowed")
    before = _state(store, ticket)

    with pytest.raises(BookingError):
        store.change(ticket, request, quote, "rename", at=WEEK_BEFORE)
    assert _state(store, ticket) == before
    assert before["booking"].travellers == ("甲",)


# --- all or nothing ----------------------------------------------------------------------

@pytest.mark.parametrize("request_, full_night", [
    (ChangeRequest("dates", start=day(5)), day(5)),  # the first new night is full
    (ChangeRequest("dates", start=day(5)), day(6)),  # the second: the first must be let go
    (ChangeRequest("dates", start=day(1)), day(2)),  # overlapping the old stay
    (ChangeRequest("room", product_code=SUITE), day(1)),
], ids=["first-night", "second-night", "overlap", "room-type"])
def test_a_change_to_a_sold_out_day_changes_nothing(store, stay, request_, full_night):
    code = request_.product_code or ROOM
    crowd = store.customer_for("rest", "crowd")
    free = 3 - reserved_days(store, code)[(full_night - FIRST_DAY).days]
    _book(store, crowd, code, (full_night, full_night + timedelta(days=1)), paid=False,
          names=[f"客{n}" for n in range(2 * free)], key="fill")
    quote = store.quote_change(stay, request_, WEEK_BEFORE)
    before = _state(store, stay)

    with pytest.raises(SoldOut) as raised:
        store.change(stay, request_, quote, "to-a-full-day", at=WEEK_BEFORE)

    assert raised.value.day == full_night
    assert _state(store, stay) == before
    assert "changed" not in [e.action for e in store.history(stay)]


# --- idempotency and stale quotes ---------------------------------------------------------

def test_the_same_key_twice_changes_once_and_returns_the_same_result(store, stay):
    request = ChangeRequest("room", product_code=SUITE)
    quote = store.quote_change(stay, request, WEEK_BEFORE)
    first = store.change(stay, request, quote, "same-key", at=WEEK_BEFORE)
    second = store.change(stay, request, quote, "same-key", at=WEEK_BEFORE)

    assert second == first
    assert store.count(BookingChange) == 1
    assert reserved_days(store, SUITE)[:3] == [1, 1, 0] and reserved_days(store, ROOM)[:3] == [0, 0, 0]
    assert [p.status for p in store.payments_for(stay)] == ["succeeded", "pending"]
    assert [e.action for e in store.history(stay)].count("changed") == 1


def test_concurrent_retries_of_one_change_apply_it_once(store, stay):
    request = ChangeRequest("dates", start=day(5))
    quote = store.quote_change(stay, request, WEEK_BEFORE)
    results, errors, barrier = [], [], threading.Barrier(4)

    def retry():
        barrier.wait()
        try:
            results.append(store.change(stay, request, quote, "dup", at=WEEK_BEFORE))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=retry) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == 4 and all(result == results[0] for result in results)
    assert store.count(BookingChange) == 1
    assert reserved_days(store, ROOM) == [0, 0, 0, 0, 0, 1, 1, 0, 0, 0]


def test_a_retry_arriving_while_the_first_delivery_commits_returns_its_result(store, stay,
                                                                              monkeypatch):
    """The same interleaving as above, made deterministic: the retry looks its key up just
    before the first delivery commits, then finds the booking already moved."""
    request = ChangeRequest("dates", start=day(5))
    quote = store.quote_change(stay, request, WEEK_BEFORE)
    look_up, first = store._change_by_key, []

    def first_delivery_commits_meanwhile(key, booking):
        found = look_up(key, booking)
        if found is None and not first:
            first.append(None)
            first[0] = store.change(stay, request, quote, key, at=WEEK_BEFORE)
        return found

    monkeypatch.setattr(store, "_change_by_key", first_delivery_commits_meanwhile)
    retried = store.change(stay, request, quote, "dup", at=WEEK_BEFORE)

    assert retried == first[0]
    assert store.count(BookingChange) == 1
    assert reserved_days(store, ROOM) == [0, 0, 0, 0, 0, 1, 1, 0, 0, 0]


@pytest.mark.parametrize("shown_at, stale", [
    (WEEK_BEFORE, lambda quote: replace(quote, fee_fen=quote.fee_fen + 100)),
    (WEEK_BEFORE, lambda quote: replace(quote, difference_fen=quote.difference_fen - 1)),
    (WEEK_BEFORE, lambda quote: replace(quote, policy_version="2025.9")),
    (BEFORE_CUTOFF, lambda quote: quote),  # confirmed at 17:59, applied at 18:00
], ids=["other-fee", "other-difference", "other-policy", "cutoff-passed"])
def test_a_quote_that_no_longer_holds_is_quoted_again_and_changes_nothing(store, stay, shown_at,
                                                                          stale):
    request = ChangeRequest("room", product_code=SUITE)
    confirmed = stale(store.quote_change(stay, request, shown_at))
    now = AFTER_CUTOFF if shown_at == BEFORE_CUTOFF else shown_at
    before = _state(store, stay)

    with pytest.raises(QuoteChanged) as raised:
        store.change(stay, request, confirmed, "stale", at=now)

    assert raised.value.quote == store.quote_change(stay, request, now)
    assert raised.value.quote != confirmed
    assert _state(store, stay) == before


def test_crossing_the_cutoff_turns_a_free_change_into_a_first_night_fee(store, stay):
    request = ChangeRequest("dates", start=day(3))
    free = store.quote_change(stay, request, BEFORE_CUTOFF)
    charged = store.quote_change(stay, request, AFTER_CUTOFF)
    assert (free.fee_fen, free.rule) == (0, "hotel.change.free")
    assert (charged.fee_fen, charged.rule) == (NIGHT_FEN, "hotel.change.first_night")


@pytest.mark.parametrize("finish", ["cancelled", "completed"])
def test_a_cancelled_or_completed_booking_cannot_be_changed(store, guest, stay, finish):
    request = ChangeRequest("dates", start=day(5))
    shown = store.quote_change(stay, request, WEEK_BEFORE)
    if finish == "cancelled":
        store.cancel(stay, store.quote_cancellation(stay, WEEK_BEFORE), "cancel", at=WEEK_BEFORE)
    else:
        store.award_completed(guest, today=day(3))
    finished = store.find(stay.reference, guest)
    before = _state(store, stay)

    with pytest.raises(NotChangeable) as raised:
        store.quote_change(finished, request, WEEK_BEFORE)
    assert raised.value.status == finish
    with pytest.raises(NotChangeable):
        store.change(stay, request, shown, "after-the-end", at=WEEK_BEFORE)
    assert _state(store, stay) == before


# --- money -------------------------------------------------------------------------------

@pytest.mark.parametrize("at, fee", [(BEFORE_CUTOFF, 0), (AFTER_CUTOFF, NIGHT_FEN)],
                         ids=["free", "first-night-fee"])
def test_a_dearer_change_opens_a_payment_of_fee_plus_difference(store, stay, at, fee):
    difference = 2 * (80000 - 50000)
    result = _apply(store, stay, ChangeRequest("room", product_code=SUITE), at, key="upgrade")

    assert (result.fee_fen, result.difference_fen, result.payable_fen, result.refund_fen) == (
        fee, difference, fee + difference, 0)
    payments = rows(store, Payment)
    assert [(p.amount_fen, p.status) for p in payments] == [
        (stay.total_fen, "succeeded"), (fee + difference, "pending")]
    assert payments[-1].external_id == "chg-upgrade"
    assert store.count(Refund) == 0
    assert result.booking.paid_fen == stay.total_fen  # the difference is still owed


@pytest.mark.parametrize("at, fee", [(BEFORE_CUTOFF, 0), (AFTER_CUTOFF, NIGHT_FEN)],
                         ids=["free", "first-night-fee"])
def test_a_cheaper_change_on_a_paid_booking_refunds_the_difference_less_the_fee(store, stay, at,
                                                                                fee):
    difference = 2 * (10000 - 50000)
    result = _apply(store, stay, ChangeRequest("room", product_code=BUDGET), at, key="downgrade")

    assert (result.fee_fen, result.difference_fen, result.refund_fen) == (
        fee, difference, -difference - fee)
    [refund] = rows(store, Refund)
    assert (refund.amount_fen, refund.fee_fen, refund.rule, refund.status) == (
        -difference - fee, fee, "change.price_difference", "pending")
    assert refund.policy_version == store.policy.version
    assert refund.idempotency_key == "chg-refund:downgrade"
    assert [p.status for p in store.payments_for(stay)] == ["succeeded"]


def test_a_cheaper_change_on_an_unpaid_booking_only_lowers_the_price(store, guest):
    booking = _book(store, guest, ROOM, (day(0), day(2)), paid=False)
    result = _apply(store, booking, ChangeRequest("room", product_code=BUDGET), AFTER_CUTOFF)

    assert (result.fee_fen, result.payable_fen, result.refund_fen) == (0, 0, 0)
    assert store.find(booking.reference, guest).total_fen == 2 * 10000
    assert store.count(Refund) == 0 and store.payments_for(booking) == []


# --- what is recorded ----------------------------------------------------------------------

def test_the_change_records_the_policy_version_it_was_quoted_under(store, stay, database_url):
    revised = BookingStore(database_url, migrate=False,
                           policy=replace(store.policy, version="2099.1"))
    try:
        result = _apply(revised, stay, ChangeRequest("dates", start=day(5)), WEEK_BEFORE)
    finally:
        revised.close()

    [change] = rows(store, BookingChange)
    assert change.policy_version == result.policy_version == "2099.1"
    assert (change.kind, change.idempotency_key, change.fee_fen, change.difference_fen) == (
        "dates", "change", 0, 0)
    assert change.old_values == {"product": ROOM, "start": "2030-05-01", "end": "2030-05-03",
                                 "total_fen": 100000, "travellers": ["张三"]}
    assert change.new_values == {**change.old_values, "start": "2030-05-06", "end": "2030-05-08"}


def test_the_change_appears_in_history_with_its_conversation(store, stay):
    _apply(store, stay, ChangeRequest("room", product_code=SUITE), AFTER_CUTOFF,
           conversation_id="chat-42")

    changed = store.history(stay)[-1]
    assert (changed.action, changed.actor, changed.conversation_id) == (
        "changed", "customer", "chat-42")
    assert changed.details["kind"] == "room"
    assert (changed.details["fee_fen"], changed.details["difference_fen"]) == (NIGHT_FEN, 60000)
    assert (changed.details["old"]["product"], changed.details["new"]["product"]) == (ROOM, SUITE)
    assert changed.details["policy_version"] == store.policy.version
