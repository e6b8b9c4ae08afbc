"""The booking actions against the real knowledge base and a real, seeded SQLite store:
the exact responses, the slots they set and what ends up stored."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, List, Tuple

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions import after_sales
from actions.book import ActionAskBookConfirm, ActionBook, ValidateBookForm
from actions.cancel_booking import ActionAskCancelConfirm, ActionCancelBooking, ValidateCancelBookingForm
from actions.check_booking import ActionCheckBooking
from actions.names import names_in
from actions.payment import problem_in
from bot.booking.holds import deadline_text
from bot.booking.models import Booking, Inventory, Product, Refund
from bot.booking.policy import hold_time
from bot.booking.seed import seed
from bot.booking.store import BookingStore
from bot.nlu.dates import business_now
from tests.helpers import make_tracker, rendered, slots_after

OWNER = "rest:demo-zhang"  # REST identity of the demo customer 张伟 (bot/booking/seed.py)


@pytest.fixture
def store(tmp_path, monkeypatch) -> BookingStore:
    store = BookingStore(f"sqlite:///{tmp_path / 'tripdesk.db'}")
    seed(store, demo=True)
    monkeypatch.setattr(after_sales, "_store", store)
    yield store
    store.close()


def tracker(text: str, intent: str, sender: str = OWNER, **slots: Any):
    built = make_tracker(text, intent, slots=slots)
    built.sender_id = sender
    return built


async def run(action, built, domain) -> Tuple[List[str], Dict[str, Any], List[str]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, built, domain)
    names = [m.get("response") for m in dispatcher.messages]
    return names, slots_after(events, built.slots), rendered(dispatcher, domain)


def refunds(store: BookingStore, reference: str) -> int:
    with store.transaction() as session:
        return session.execute(select(func.count()).select_from(Refund).join(Booking).where(
            Booking.reference == reference)).scalar_one()


def status(store: BookingStore, reference: str) -> str:
    with store.transaction() as session:
        return session.execute(select(Booking.status).where(Booking.reference == reference)).scalar_one()


# --- verification ----------------------------------------------------------------------

async def test_someone_elses_reference_asks_for_the_phone_digits_and_shows_nothing(store, domain_dict):
    built = tracker("取消订单TD2H8KQ4MZ", "cancel_booking", sender="stranger")
    names, slots, texts = await run(ValidateCancelBookingForm(), built, domain_dict)
    assert slots["order_ref"] == "TD2H8KQ4MZ" and slots["order_verified"] is False
    assert slots["requested_slot"] == "verify_last4"
    assert not any("张伟" in t for t in texts)


async def test_three_wrong_digit_answers_stop_the_form(store, domain_dict):
    slots: Dict[str, Any] = {"order_ref": "TD2H8KQ4MZ", "order_verified": False,
                             "requested_slot": "verify_last4"}
    for _attempt in range(3):
        built = tracker("1111", "inform", sender="stranger", **slots)
        names, slots, _ = await run(ValidateCancelBookingForm(), built, domain_dict)
    assert names == ["utter_verify_locked"]
    assert slots["order_ref"] is None and slots["requested_slot"] is None and slots["flow_stopped"]


async def test_right_digits_unlock_only_this_conversation(store, domain_dict):
    built = tracker("8001", "inform", sender="stranger", order_ref="TD2H8KQ4MZ", order_verified=False,
                    requested_slot="verify_last4")
    _, slots, _ = await run(ValidateCancelBookingForm(), built, domain_dict)
    assert slots["order_verified"] is True and slots["requested_slot"] == "cancel_confirm"
    other = tracker("查订单", "check_booking", sender="someone-else", order_ref="TD2H8KQ4MZ",
                    order_verified=True)
    names, _, texts = await run(ActionCheckBooking(), other, domain_dict)
    assert names == ["utter_need_verification"] and not any("张伟" in t for t in texts)


async def test_a_verified_flag_set_from_outside_grants_nothing(store, domain_dict):
    """order_verified is a dialogue hint; the action asks the store."""
    built = tracker("确认", "affirm", sender="intruder", order_ref="TD2H8KQ4MZ", order_verified=True,
                    cancel_confirm=True, cancel_quote={"id": "x", "reference": "TD2H8KQ4MZ"})
    names, _, _ = await run(ActionCancelBooking(), built, domain_dict)
    assert names == ["utter_need_verification"]
    assert status(store, "TD2H8KQ4MZ") == "confirmed"


# --- cancel ----------------------------------------------------------------------------

async def quoted(store, domain_dict, reference: str = "TD2H8KQ4MZ") -> Dict[str, Any]:
    built = tracker("取消", "cancel_booking", order_ref=reference, order_verified=True)
    names, slots, texts = await run(ActionAskCancelConfirm(), built, domain_dict)
    assert names == ["utter_cancel_quote"] and "可退" in texts[0]
    return slots["cancel_quote"]


async def test_cancel_needs_the_confirmation_in_the_action_itself(store, domain_dict):
    quote = await quoted(store, domain_dict)
    built = tracker("嗯", "affirm", order_ref="TD2H8KQ4MZ", cancel_confirm=None, cancel_quote=quote)
    names, _, _ = await run(ActionCancelBooking(), built, domain_dict)
    assert names == [] and status(store, "TD2H8KQ4MZ") == "confirmed"


async def test_confirmed_cancel_happens_once_even_if_the_message_is_delivered_twice(store, domain_dict):
    quote = await quoted(store, domain_dict)
    built = tracker("确认", "affirm", order_ref="TD2H8KQ4MZ", cancel_confirm=True, cancel_quote=quote)
    first, _, texts = await run(ActionCancelBooking(), built, domain_dict)
    again, _, _ = await run(ActionCancelBooking(), built, domain_dict)
    assert first == again == ["utter_cancel_done_refund"]
    assert status(store, "TD2H8KQ4MZ") == "cancelled" and refunds(store, "TD2H8KQ4MZ") == 1


async def test_a_quote_that_no_longer_holds_is_quoted_again(store, domain_dict):
    quote = {**await quoted(store, domain_dict), "refund_fen": 1}  # not what the policy gives now
    built = tracker("确认", "affirm", order_ref="TD2H8KQ4MZ", cancel_confirm=True, cancel_quote=quote)
    dispatcher = CollectingDispatcher()
    events = await ActionCancelBooking().run(dispatcher, built, domain_dict)
    assert [m["response"] for m in dispatcher.messages] == ["utter_quote_changed"]
    assert events[-1] == {"event": "followup", "name": "cancel_booking_form", "timestamp": None}
    assert status(store, "TD2H8KQ4MZ") == "confirmed" and refunds(store, "TD2H8KQ4MZ") == 0


async def test_an_already_cancelled_booking_says_so(store, domain_dict):
    quote = await quoted(store, domain_dict)
    await run(ActionCancelBooking(), tracker("确认", "affirm", order_ref="TD2H8KQ4MZ", cancel_confirm=True,
                                             cancel_quote=quote), domain_dict)
    names, slots, _ = await run(ValidateCancelBookingForm(), tracker("取消TD2H8KQ4MZ", "cancel_booking"),
                                domain_dict)
    assert names == ["utter_already_cancelled"] and slots["requested_slot"] is None


# --- book ------------------------------------------------------------------------------

def book_slots(store: BookingStore, **changes: Any) -> Dict[str, Any]:
    day = business_now().date() + timedelta(days=7)
    slots = {"book_product": "G7", "book_variant": "二等座", "book_date": day.isoformat(),
             "book_people": 1.0, "guest_names": ["王芳"], "contact_phone": "13700137003"}
    slots.update(changes)
    return slots


async def summary(domain_dict, sender: str, slots: Dict[str, Any]) -> Dict[str, Any]:
    names, after, texts = await run(ActionAskBookConfirm(), tracker("", "inform", sender=sender, **slots), domain_dict)
    assert names == ["utter_book_summary"] and "总价" in texts[0]
    return after["book_quote"]


def departure_day(store: BookingStore) -> Any:
    with store.transaction() as session:
        return session.execute(select(Inventory.day).join(Product).where(
            Product.code == "G7/二等座", Inventory.day >= business_now().date() + timedelta(days=7))
            .order_by(Inventory.day)).scalars().first()


async def test_a_confirmed_booking_is_made_once_with_a_pending_payment(store, domain_dict):
    slots = book_slots(store, book_date=departure_day(store).isoformat())
    quote = await summary(domain_dict, "new-traveller", slots)
    built = tracker("确认", "affirm", sender="new-traveller", **slots, book_confirm=True, book_quote=quote)
    names, _, texts = await run(ActionBook(), built, domain_dict)
    again, _, _ = await run(ActionBook(), built, domain_dict)
    assert names == again == ["utter_book_done"] and "pay.tripdesk.example" in texts[0]
    customer = store.customer_for("rest", "new-traveller")
    [booking] = store.bookings_for(customer)
    assert booking.status == "pending_payment" and booking.travellers == ("王芳",)
    assert [p.status for p in store.payments_for(booking)] == ["pending"]


async def test_the_confirmation_says_how_long_the_place_is_held(store, domain_dict):
    slots = book_slots(store, book_date=departure_day(store).isoformat())
    quote = await summary(domain_dict, "new-traveller", slots)
    built = tracker("确认", "affirm", sender="new-traveller", **slots, book_confirm=True, book_quote=quote)
    names, _, texts = await run(ActionBook(), built, domain_dict)
    [booking] = store.bookings_for(store.customer_for("rest", "new-traveller"))
    hold = hold_time(store.policy, "transport", "train")
    assert names == ["utter_book_done"] and booking.hold_expires_at == booking.created_at + hold
    assert f"{hold.seconds // 60} 分钟" in texts[0]
    assert deadline_text(booking.created_at + hold, store.policy.timezone) in texts[0]


async def test_a_booking_beyond_the_unpaid_cap_is_refused_with_what_to_do(store, domain_dict):
    customer = store.customer_for("rest", "scripted-sender")
    day = departure_day(store)
    held = [store.hold_and_book(customer, "G7/二等座", day, [f"客人{n}"], "13700137003", f"pre-{n}")
            for n in range(store.policy.max_unpaid_bookings)]
    slots = book_slots(store, book_date=day.isoformat())
    quote = await summary(domain_dict, "scripted-sender", slots)
    built = tracker("确认", "affirm", sender="scripted-sender", **slots, book_confirm=True, book_quote=quote)
    names, after, texts = await run(ActionBook(), built, domain_dict)
    assert names == ["utter_book_too_many_unpaid"] and after["book_quote"] is None
    assert all(b.reference in texts[0] for b in held) and "取消订单" in texts[0]
    assert len(store.bookings_for(customer)) == len(held)


async def test_an_expired_hold_is_shown_as_expired_without_a_payment_link(store, domain_dict):
    customer = store.customer_for("rest", "late-payer")
    booking = store.hold_and_book(customer, "G7/二等座", departure_day(store), ["王芳"], "13700137003", "late")
    store.expire_holds(at=booking.hold_expires_at)
    built = tracker("查订单", "check_booking", sender="late-payer", order_ref=booking.reference)
    names, _, texts = await run(ActionCheckBooking(), built, domain_dict)
    assert names == ["utter_booking_detail"] and "状态：已过期" in texts[0]


async def test_sold_out_at_the_summary_asks_for_another_date(store, domain_dict):
    day = departure_day(store)
    with store.transaction() as session:
        product_id = session.execute(select(Product.id).where(Product.code == "G7/二等座")).scalar_one()
        session.query(Inventory).filter(Inventory.product_id == product_id, Inventory.day == day).update(
            {Inventory.reserved: Inventory.capacity})
    built = tracker("", "inform", sender="late", **book_slots(store, book_date=day.isoformat()))
    names, slots, _ = await run(ActionAskBookConfirm(), built, domain_dict)
    assert names == ["utter_book_sold_out"] and slots["book_date"] is None
    assert slots["requested_slot"] == "book_date"


async def test_a_correction_invalidates_the_summary(store, domain_dict):
    day = business_now().date() + timedelta(days=3)
    built = tracker("不对，是后天", "inform", **book_slots(store), book_quote={"id": "q"}, book_confirm=None,
                    requested_slot="book_confirm")
    built.latest_message["entities"] = [{"entity": "date", "value": day.isoformat(), "start": 3, "end": 5}]
    _, slots, _ = await run(ValidateBookForm(), built, domain_dict)
    assert slots["book_date"] == day.isoformat() and slots["book_quote"] is None
    assert slots["requested_slot"] == "book_confirm"


async def test_more_people_asks_for_the_names_again(store, domain_dict):
    built = tracker("改成三个人", "inform", **book_slots(store), requested_slot="book_confirm")
    _, slots, _ = await run(ValidateBookForm(), built, domain_dict)
    assert slots["book_people"] == 3 and slots["guest_names"] is None
    assert slots["requested_slot"] == "guest_names"


@pytest.mark.parametrize("phone,ok", [("13800138000", True), ("12345678901", False), ("1380013800", False)])
async def test_only_a_chinese_mobile_is_accepted(store, domain_dict, phone, ok):
    built = tracker(phone, "inform", **book_slots(store, contact_phone=None), requested_slot="contact_phone")
    names, slots, _ = await run(ValidateBookForm(), built, domain_dict)
    assert (slots.get("contact_phone") == phone) is ok
    assert names == ([] if ok else ["utter_invalid_phone"])


# --- small parsers ---------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("张伟、刘芳", ("张伟", "刘芳")), ("入住人是张伟", ("张伟",)), ("Tom Lee, Anna Smith", ("Tom Lee", "Anna Smith")),
    ("王小明 李雷", ("王小明", "李雷")), ("张伟和我老婆", ()), ("好的", ()), ("明天下午三点", ()),
])
def test_names_are_all_or_nothing(text: str, expected: Tuple[str, ...]):
    assert names_in(text) == expected


@pytest.mark.parametrize("text,problem", [
    ("我被扣了两次钱", "duplicate"), ("重复扣款了", "duplicate"), ("付了两遍", "duplicate"),
    ("付款失败", "failed"), ("支付一直不成功", "failed"), ("能开发票吗", "invoice"), ("I was charged twice", "duplicate"),
])
def test_payment_problem_is_read_from_the_message(text: str, problem: str):
    assert problem_in(text) == problem




async def test_two_travellers_racing_for_the_last_seat_get_one_booking_and_one_sold_out(store, domain_dict):
    import asyncio

    day = departure_day(store)
    slots = book_slots(store, book_date=day.isoformat())
    quotes = [await summary(domain_dict, sender, slots) for sender in ("racer-a", "racer-b")]
    with store.transaction() as session:
        product_id = session.execute(select(Product.id).where(Product.code == "G7/二等座")).scalar_one()
        session.query(Inventory).filter(Inventory.product_id == product_id, Inventory.day == day).update(
            {Inventory.reserved: Inventory.capacity - 1})
    runs = [run(ActionBook(), tracker("确认", "affirm", sender=sender, **slots, book_confirm=True,
                                      book_quote=quote), domain_dict)
            for sender, quote in zip(("racer-a", "racer-b"), quotes, strict=True)]
    outcomes = sorted(names[0] for names, _, _ in await asyncio.gather(*runs))
    assert outcomes == ["utter_book_done", "utter_book_sold_out"]
    with store.transaction() as session:
        assert session.execute(select(Inventory.reserved - Inventory.capacity).where(
            Inventory.product_id == product_id, Inventory.day == day)).scalar_one() == 0


# --- change ----------------------------------------------------------------------------

async def test_a_confirmed_change_is_applied_once_even_if_the_message_is_delivered_twice(store, domain_dict):
    from actions.change_booking import ActionAskChangeConfirm, ActionChangeBooking
    from bot.booking.models import BookingChange

    booking = store.find("TD2H8KQ4MZ", store.customer_for("rest", OWNER))
    new_day = (booking.start_date + timedelta(days=1)).isoformat()
    slots = {"order_ref": "TD2H8KQ4MZ", "order_verified": True, "change_kind": "dates", "change_value": new_day}
    names, quoted, texts = await run(ActionAskChangeConfirm(), tracker("", "inform", **slots), domain_dict)
    assert names == ["utter_change_quote"] and "手续费" in texts[0]
    confirmed = tracker("确认修改", "affirm", **slots, change_confirm=True, change_quote=quoted["change_quote"])
    first, _, _ = await run(ActionChangeBooking(), confirmed, domain_dict)
    again, _, _ = await run(ActionChangeBooking(), confirmed, domain_dict)
    assert first == again == ["utter_change_done"]
    with store.transaction() as session:
        changes = session.execute(select(func.count()).select_from(BookingChange)).scalar_one()
    assert changes == 1
    assert store.find("TD2H8KQ4MZ", store.customer_for("rest", OWNER)).start_date.isoformat() == new_day


async def test_renaming_a_named_train_ticket_is_refused_with_the_reason(store, domain_dict):
    from actions.change_booking import ValidateChangeBookingForm

    built = tracker("王五", "inform", order_ref="TD5NX7RB3C", order_verified=True, change_kind="traveller",
                    requested_slot="change_value")
    names, slots, texts = await run(ValidateChangeBookingForm(), built, domain_dict)
    assert names == ["utter_change_not_allowed"] and "实名" in texts[0]
    assert slots["change_value"] is None and slots["change_kind"] is None
