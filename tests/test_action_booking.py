"""The booking actions against the real knowledge base and a real, seeded SQLite store:
the exact responses, the slots they set and what ends up stored."""
from __future__ import annotations

import dataclasses
import time
from datetime import timedelta
from typing import Any, Dict, Iterator, List, Tuple

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions import store_access
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
from tests.helpers import fresh_store_url, make_tracker, rendered, slots_after

OWNER = "rest:demo-zhang"  # REST identity of the demo customer 张伟 (bot/booking/seed.py)


@pytest.fixture
def store(tmp_path, monkeypatch) -> BookingStore:
    store = BookingStore(fresh_store_url(tmp_path))
    seed(store, demo=True)
    monkeypatch.setattr(store_access, "_store", store)
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
    from actions.change_booking import ValidateChangeBookingForm

    built = tracker("8001", "inform", sender="stranger", order_ref="TD2H8KQ4MZ", order_verified=False,
                    requested_slot="verify_last4")
    _, slots, _ = await run(ValidateChangeBookingForm(), built, domain_dict)
    assert slots["order_verified"] is True and slots["requested_slot"] == "change_kind"
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


# Card F03: "如果12月7号我临时不去了，这张票退掉手续费要多少？" went straight to "确认取消吗？".
FEE_QUESTIONS = ["如果12月7号我临时不去了，这张票退掉手续费要多少？", "假如下周一退，要扣多少钱",
                 "退掉的话手续费怎么算，对吧？"]


@pytest.mark.parametrize("text", FEE_QUESTIONS)
async def test_a_question_about_the_fee_is_quoted_not_asked_to_confirm(text, store, domain_dict):
    built = tracker(text, "cancel_booking", order_ref="TD2H8KQ4MZ", order_verified=True)
    names, slots, texts = await run(ActionAskCancelConfirm(), built, domain_dict)
    assert names[0] == "utter_cancel_fee_quote" and "手续费" in texts[0] and "可退" in texts[0]
    assert "订单没有任何变动" in texts[0] and "确认取消吗" not in texts[0]
    assert slots["cancel_quote"]  # a later explicit yes binds to this quote
    assert status(store, "TD2H8KQ4MZ") == "confirmed"


@pytest.mark.parametrize("text", FEE_QUESTIONS)
async def test_a_question_about_the_fee_at_the_confirmation_is_not_a_yes(text, store, domain_dict):
    quote = await quoted(store, domain_dict)
    built = tracker(text, "affirm", order_ref="TD2H8KQ4MZ", order_verified=True, cancel_quote=quote,
                    requested_slot="cancel_confirm")
    dispatcher = CollectingDispatcher()
    assert await ValidateCancelBookingForm().extract_cancel_confirm(dispatcher, built, domain_dict) == {}


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
    """G7's first running day a week ahead, with its inventory row made (as a read does)."""
    day = store.first_sale_day("G7/二等座", business_now().date() + timedelta(days=7))
    store.available("G7/二等座", day)
    return day


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


@pytest.mark.parametrize("hotel_payment,method,label,done", [
    ("pay_at_property", "pay_at_property", "到店支付", "utter_book_done_pay_at_property"),
    ("online", "link", "网上支付", "utter_book_done"),
])
async def test_how_a_hotel_is_paid_follows_payments_yml_whatever_the_copy_says(
        store, domain_dict, monkeypatch, hotel_payment, method, label, done):
    """The method is the code in payments.yml; the label is copy an editor may reword."""
    from actions import book
    from bot.booking.payments import payment_settings

    configured = dataclasses.replace(payment_settings(), hotel_payment=hotel_payment)
    monkeypatch.setattr(book, "payment_settings", lambda: configured)
    reworded = {**domain_dict, "responses": {
        **domain_dict["responses"],
        "utter_payment_label_pay_at_property": [{"text": "到店支付"}],
        "utter_payment_label_online": [{"text": "网上支付"}]}}
    day = business_now().date() + timedelta(days=7)
    slots = {"book_product": "H-SH-001", "book_variant": "高级大床房", "book_date": day.isoformat(),
             "book_nights": 2.0, "book_people": 2.0, "guest_names": ["王芳", "李娜"],
             "contact_phone": "13700137003"}
    names, after, texts = await run(ActionAskBookConfirm(), tracker("", "inform", sender="new-traveller", **slots),
                                    reworded)
    assert names == ["utter_book_summary"] and f"（{label}）" in texts[0]
    assert "共2晚" in texts[0] and "数量：1间" in texts[0] and "2776元" in texts[0]
    built = tracker("确认", "affirm", sender="new-traveller", **slots, book_confirm=True,
                    book_quote=after["book_quote"])
    names, _, _ = await run(ActionBook(), built, reworded)
    assert names == [done]
    [booking] = store.bookings_for(store.customer_for("rest", "new-traveller"))
    assert [p.method for p in store.payments_for(booking)] == [method]


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
    ("乘客张伟，手机13912345678", ("张伟",)), ("乘客王芳和李强，联系电话13912345678", ("王芳", "李强")),
    ("13912345678", ()), ("王小宇（小孩）", ("王小宇",)), ("王大明、李芳、王小宇(儿童)", ("王大明", "李芳", "王小宇")),
    ("小孩王小宇", ("王小宇",)), ("王小宇 8岁", ("王小宇",)), ("王大明、王小宇 八岁", ("王大明", "王小宇")),
    ("张伟、小孩", ()),
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


# --- a slow store never produces a ghost booking (issue 8, item 7) ---------------------

class SlowBookingStore(BookingStore):
    """A real store whose bookings take ``delay`` seconds longer inside their transaction
    (holding the database's write lock meanwhile), like a database under load."""

    delay = 0.0

    @classmethod
    def _take(cls, session: Any, product: Any, day: Any, quantity: int) -> None:
        time.sleep(cls.delay)
        BookingStore._take(session, product, day, quantity)


@pytest.fixture
def slow_store(tmp_path, monkeypatch) -> Iterator[BookingStore]:
    store = SlowBookingStore(fresh_store_url(tmp_path))
    seed(store, demo=True)
    monkeypatch.setattr(store_access, "_store", store)
    yield store
    store.close()


def short_store_timeouts(monkeypatch, timeout: float, settle: float) -> None:
    monkeypatch.setattr(store_access, "settings", dataclasses.replace(
        store_access.settings, db_timeout_seconds=timeout, db_settle_seconds=settle))


def booking_rows(store: BookingStore, sender: str) -> List[str]:
    return [b.reference for b in store.bookings_for(store.customer_for("rest", sender))]


def seats_held(store: BookingStore, day) -> int:
    with store.transaction() as session:
        return session.execute(select(Inventory.reserved).join(Product).where(
            Product.code == "G7/二等座", Inventory.day == day)).scalar_one()


async def test_a_write_slower_than_the_timeout_is_answered_from_what_was_stored(
        slow_store, domain_dict, monkeypatch):
    store = slow_store
    day = departure_day(store)
    slots = book_slots(store, book_date=day.isoformat())
    quote = await summary(domain_dict, "patient", slots)
    short_store_timeouts(monkeypatch, timeout=0.3, settle=5)
    monkeypatch.setattr(SlowBookingStore, "delay", 1.0)
    built = tracker("确认", "affirm", sender="patient", **slots, book_confirm=True, book_quote=quote)
    names, _, texts = await run(ActionBook(), built, domain_dict)
    [reference] = booking_rows(store, "patient")
    assert names == ["utter_book_done"] and reference in texts[0]


async def test_a_retried_confirmation_after_a_timeout_books_once(slow_store, domain_dict, monkeypatch):
    """The store is so slow that the outcome is unknown when the action must answer: the
    traveller hears it is still being processed (never that it failed), confirms again
    through a fresh summary, and gets the one booking that was made."""
    store = slow_store
    day = departure_day(store)
    held_before = seats_held(store, day)
    slots = book_slots(store, book_date=day.isoformat())
    first_quote = await summary(domain_dict, "hurried", slots)
    short_store_timeouts(monkeypatch, timeout=0.3, settle=0.3)
    monkeypatch.setattr(SlowBookingStore, "delay", 2.0)
    built = tracker("确认", "affirm", sender="hurried", **slots, book_confirm=True, book_quote=first_quote)
    first, _, first_texts = await run(ActionBook(), built, domain_dict)
    assert first == ["utter_still_processing"]
    assert not any("没有生效" in t or "失败" in t for t in first_texts)
    short_store_timeouts(monkeypatch, timeout=5, settle=5)
    second_quote = await summary(domain_dict, "hurried", slots)
    built = tracker("确认", "affirm", sender="hurried", **slots, book_confirm=True, book_quote=second_quote)
    again, _, texts = await run(ActionBook(), built, domain_dict)
    [reference] = booking_rows(store, "hurried")
    assert again == ["utter_book_done"] and reference in texts[0]
    assert seats_held(store, day) == held_before + 1


# --- what a verified stranger may do (issue 8, item 9) ---------------------------------

def verified_stranger(store: BookingStore, reference: str = "TD2H8KQ4MZ", sender: str = "stranger") -> str:
    assert store.verify_contact(reference, "8001", sender).ok
    return sender


@pytest.mark.parametrize("sender", [OWNER, "stranger"])
async def test_the_booking_detail_never_shows_the_verification_digits(store, domain_dict, sender):
    if sender != OWNER:
        verified_stranger(store, sender=sender)
    built = tracker("查订单TD2H8KQ4MZ", "check_booking", sender=sender, order_ref="TD2H8KQ4MZ")
    names, _, texts = await run(ActionCheckBooking(), built, domain_dict)
    assert names[0] == "utter_booking_detail" and "TD2H8KQ4MZ" in texts[0]
    assert "8001" not in "".join(texts) and "138" in texts[0]


async def test_a_verified_stranger_cannot_cancel(store, domain_dict):
    sender = verified_stranger(store)
    built = tracker("取消订单TD2H8KQ4MZ", "cancel_booking", sender=sender)
    names, slots, texts = await run(ValidateCancelBookingForm(), built, domain_dict)
    assert names == ["utter_cancel_needs_owner"] and "400-820-6688" in texts[0]
    assert slots["requested_slot"] is None and slots.get("cancel_confirm") is None
    quote = await quoted(store, domain_dict)
    built = tracker("确认", "affirm", sender=sender, order_ref="TD2H8KQ4MZ", order_verified=True,
                    cancel_confirm=True, cancel_quote=quote)
    names, _, _ = await run(ActionCancelBooking(), built, domain_dict)
    assert names == ["utter_cancel_needs_owner"]
    assert status(store, "TD2H8KQ4MZ") == "confirmed" and refunds(store, "TD2H8KQ4MZ") == 0


async def renamed(store, domain_dict, sender: str) -> Tuple[List[str], List[str]]:
    """Renaming the hotel guests of TD2H8KQ4MZ, quoted as the owner, confirmed by ``sender``."""
    from actions.change_booking import ActionAskChangeConfirm, ActionChangeBooking

    slots = {"order_ref": "TD2H8KQ4MZ", "order_verified": True, "change_kind": "traveller",
             "change_value": ["李四", "王五"]}
    names, quoted_slots, _ = await run(ActionAskChangeConfirm(), tracker("", "inform", **slots), domain_dict)
    assert names == ["utter_change_quote"]
    confirmed = tracker("确认修改", "affirm", sender=sender, **slots, change_confirm=True,
                        change_quote=quoted_slots["change_quote"])
    names, _, texts = await run(ActionChangeBooking(), confirmed, domain_dict)
    return names, texts


async def test_a_verified_stranger_cannot_rename_the_travellers(store, domain_dict):
    from actions.change_booking import ValidateChangeBookingForm

    sender = verified_stranger(store)
    built = tracker("改入住人姓名", "change_booking", sender=sender, order_ref="TD2H8KQ4MZ",
                    order_verified=True, requested_slot="change_kind")
    names, slots, texts = await run(ValidateChangeBookingForm(), built, domain_dict)
    assert names == ["utter_rename_needs_owner"] and "400-820-6688" in texts[0]
    assert slots["change_kind"] is None
    names, _ = await renamed(store, domain_dict, sender)
    assert names == ["utter_rename_needs_owner"]
    assert store.find("TD2H8KQ4MZ", store.customer_for("rest", OWNER)).travellers == ("张伟", "刘芳")


async def test_the_owner_still_renames_and_a_verified_stranger_still_changes_dates(store, domain_dict):
    from actions.change_booking import ValidateChangeBookingForm

    names, _ = await renamed(store, domain_dict, OWNER)
    assert names == ["utter_change_done"]
    assert store.find("TD2H8KQ4MZ", store.customer_for("rest", OWNER)).travellers == ("李四", "王五")
    sender = verified_stranger(store)
    built = tracker("改日期", "change_booking", sender=sender, order_ref="TD2H8KQ4MZ",
                    order_verified=True, requested_slot="change_kind")
    names, slots, _ = await run(ValidateChangeBookingForm(), built, domain_dict)
    assert names == [] and slots["change_kind"] == "dates" and slots["requested_slot"] == "change_value"


async def test_other_conversations_are_served_while_a_booking_write_is_slow(slow_store, domain_dict, monkeypatch):
    import asyncio

    store = slow_store
    slots = book_slots(store, book_date=departure_day(store).isoformat())
    quote = await summary(domain_dict, "slow-writer", slots)
    monkeypatch.setattr(SlowBookingStore, "delay", 1.0)
    built = tracker("确认", "affirm", sender="slow-writer", **slots, book_confirm=True, book_quote=quote)
    booking = asyncio.ensure_future(run(ActionBook(), built, domain_dict))
    started, ticks = time.monotonic(), 0
    while not booking.done():
        await asyncio.sleep(0.05)
        ticks += 1
    names, _, _ = booking.result()
    assert names == ["utter_book_done"]
    assert ticks >= 0.5 * (time.monotonic() - started) / 0.05  # the loop kept turning


# --- a question answered wrongly again and again (issue 8, item 15) ---------------------

def asked_before(slot: str, *rejected: str) -> List[Dict[str, Any]]:
    """The events of earlier turns in which answers to ``slot`` were rejected."""
    events: List[Dict[str, Any]] = [{"event": "slot", "name": "requested_slot", "value": slot}]
    for answer in rejected:
        events += [{"event": "user", "text": answer, "parse_data": {"intent": {"name": "inform"}}},
                   {"event": "slot", "name": slot, "value": answer},
                   {"event": "slot", "name": slot, "value": None},
                   {"event": "slot", "name": "requested_slot", "value": slot}]
    return events


def phone_answer(text: str, *rejected: str):
    built = make_tracker(text, "inform", slots={**book_slots(None, contact_phone=None),
                                                "requested_slot": "contact_phone"},
                         events=asked_before("contact_phone", *rejected))
    built.sender_id = "clumsy"
    return built


async def test_a_repeated_wrong_phone_is_explained_with_an_example_and_a_person(store, domain_dict):
    names, slots, texts = await run(ValidateBookForm(), phone_answer("12345678", "1234567"), domain_dict)
    assert names == ["utter_help_contact_phone"] and slots["contact_phone"] is None
    assert "13812345678" in texts[0] and "400-820-6688" in texts[0]
    assert domain_dict["responses"]["utter_help_contact_phone"][0]["buttons"][0]["payload"] == "转人工"


async def test_how_many_wrong_answers_before_help_is_configured(store, domain_dict, monkeypatch):
    from actions import forms

    monkeypatch.setattr(forms, "settings", dataclasses.replace(forms.settings, form_bad_answers_before_help=3))
    names, _, _ = await run(ValidateBookForm(), phone_answer("12345678", "1234567"), domain_dict)
    assert names == ["utter_invalid_phone"]
    names, _, _ = await run(ValidateBookForm(), phone_answer("12345678", "1234567", "1111"), domain_dict)
    assert names == ["utter_help_contact_phone"]


async def test_a_question_without_its_own_help_offers_a_person(store, domain_dict):
    built = make_tracker("40晚", "inform", slots={**book_slots(None, book_product="H-SH-001", book_variant="高级大床房"),
                                                 "book_nights": None, "requested_slot": "book_nights"},
                         events=asked_before("book_nights", "35晚"))
    names, slots, texts = await run(ValidateBookForm(), built, domain_dict)
    assert names == ["utter_form_offer_person"] and slots["book_nights"] is None
    assert "400-820-6688" in texts[0]


async def test_a_change_that_outlives_the_timeout_is_never_reported_failed_and_applies_once(
        slow_store, domain_dict, monkeypatch):
    from actions.change_booking import ActionAskChangeConfirm, ActionChangeBooking
    from bot.booking.models import BookingChange

    store = slow_store
    booking = store.find("TD2H8KQ4MZ", store.customer_for("rest", OWNER))
    new_day = (booking.start_date + timedelta(days=1)).isoformat()
    slots = {"order_ref": "TD2H8KQ4MZ", "order_verified": True, "change_kind": "dates", "change_value": new_day}
    _, quoted_slots, _ = await run(ActionAskChangeConfirm(), tracker("", "inform", **slots), domain_dict)
    confirmed = tracker("确认修改", "affirm", **slots, change_confirm=True, change_quote=quoted_slots["change_quote"])
    short_store_timeouts(monkeypatch, timeout=0.3, settle=0.3)
    monkeypatch.setattr(SlowBookingStore, "delay", 1.0)  # per night moved
    first, _, _ = await run(ActionChangeBooking(), confirmed, domain_dict)
    assert first == ["utter_still_processing"]
    short_store_timeouts(monkeypatch, timeout=5, settle=5)
    again, _, _ = await run(ActionChangeBooking(), confirmed, domain_dict)
    assert again == ["utter_change_done"]
    with store.transaction() as session:
        assert session.execute(select(func.count()).select_from(BookingChange)).scalar_one() == 1
    assert store.find("TD2H8KQ4MZ", store.customer_for("rest", OWNER)).start_date.isoformat() == new_day


async def test_a_tour_booked_under_its_contact_takes_a_place_for_everyone_in_the_party(store, domain_dict):
    from bot.catalogue.queries import catalogue
    from bot.catalogue.items import TourQuery

    tour = catalogue().find_tours(TourQuery(destination="桂林"))[0]
    day = store.first_sale_day(tour.id, business_now().date() + timedelta(days=7))
    slots = book_slots(store, book_product=tour.id, book_variant="-", book_date=day.isoformat(),
                       book_people=2.0, guest_names=["孙悦"])
    quote = await summary(domain_dict, "new-traveller", slots)
    built = tracker("确认", "affirm", sender="new-traveller", **slots, book_confirm=True, book_quote=quote)
    names, _, _ = await run(ActionBook(), built, domain_dict)
    assert names == ["utter_book_done"]
    [booking] = store.bookings_for(store.customer_for("rest", "new-traveller"))
    assert booking.travellers == ("孙悦",) and booking.quantity == 2
    assert booking.total_fen == quote["total_fen"] == 2 * int(tour.price * 100)
