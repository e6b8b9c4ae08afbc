"""End to end over the real REST server: book → check → change → cancel → refund status,
asserting on what the traveller reads and on what the booking store holds.

The replies are checked for their facts (reference, amounts in yuan, dates, the figures
the store or the demo data give), not for words every reply of that kind contains."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from actions.wording import yuan
from bot.catalogue.items import HotelQuery
from bot.catalogue.queries import catalogue as catalogue_facade
from bot.booking.models import Booking, BookingChange, Inventory, Product, Payment, Refund
from bot.booking.payments import payment_settings
from bot.booking.store import ChangeRequest, CustomerRef
from bot.nlu.dates import business_now

pytestmark = pytest.mark.model
REFERENCE = re.compile(r"TD[2-9A-HJ-NP-Z]{8}")


def say(server, sender: str, text: str) -> str:
    url = f"http://127.0.0.1:{server['port']}/webhooks/rest/webhook"
    response = requests.post(url, json={"sender": sender, "message": text}, timeout=60)
    response.raise_for_status()
    return "\n".join(m.get("text", "") for m in response.json())


def stored(server, reference: str) -> Booking:
    with server["store"].transaction() as session:
        booking = session.execute(select(Booking).where(Booking.reference == reference)).scalar_one()
        session.expunge(booking)
        return booking


def reserved(server, code: str, day) -> int:
    with server["store"].transaction() as session:
        return session.execute(
            select(Inventory.reserved).join(Product).where(Product.code == code, Inventory.day == day)
        ).scalar_one_or_none() or 0  # a day nobody asked about has no row yet: nothing reserved


def day_text(day) -> str:
    """A day as every reply writes it (utter_day_short): 12月3日."""
    return f"{day.month}月{day.day}日"


def test_book_check_change_cancel_and_follow_the_refund(bot_server):
    sender = f"e2e-book-{uuid.uuid4().hex[:6]}"
    day = business_now().date() + timedelta(days=5)
    hotel = catalogue_facade().find_hotels(HotelQuery(city="上海"))[0]  # the first one shown
    room = hotel.rooms[0]

    results = say(bot_server, sender, f"帮我找下{day.month}月{day.day}日上海的酒店，两个人")
    assert hotel.name in results
    asked = say(bot_server, sender, "订第一个")
    assert room.type in asked  # the room types of that hotel are offered
    assert "几晚" in say(bot_server, sender, room.type)
    assert "姓名" in say(bot_server, sender, "住两晚")
    assert "手机" in say(bot_server, sender, "张伟、刘芳")
    summary = say(bot_server, sender, "13800138001")
    total = int(room.price) * 2
    assert f"{total}元" in summary and "张伟、刘芳" in summary and hotel.name in summary
    assert day_text(day) in summary and day_text(day + timedelta(days=2)) in summary
    done = say(bot_server, sender, "确认")
    reference = REFERENCE.search(done).group(0)
    assert payment_settings().link_for(reference) in done and f"{total}元" in done

    booking = stored(bot_server, reference)
    assert booking.status == "pending_payment" and booking.total_fen == total * 100
    assert (booking.start_date, booking.end_date) == (day, day + timedelta(days=2))
    code = f"{hotel.id}/{room.type}"
    assert reserved(bot_server, code, day) >= 1

    detail = say(bot_server, sender, f"查一下订单 {reference}")
    assert reference in detail and "待支付" in detail and "138********" in detail and "8001" not in detail
    assert hotel.name in detail and day_text(day) in detail and f"{total}元" in detail

    new_day = day + timedelta(days=1)
    store = bot_server["store"]
    owner = CustomerRef(booking.customer_id, "")
    expected = store.quote_change(store.find(reference, owner), ChangeRequest("dates", start=new_day))
    say(bot_server, sender, f"订单{reference}我想改期")
    quote = say(bot_server, sender, f"改到{new_day.month}月{new_day.day}日")
    assert reference in quote and day_text(new_day) in quote
    assert f"手续费 {yuan(expected.fee_fen)}" in quote and f"需支付 {yuan(expected.payable_fen)}" in quote
    changed = say(bot_server, sender, "确认")
    assert reference in changed and day_text(new_day) in changed
    assert day_text(new_day + timedelta(days=2)) in changed and "张伟、刘芳" in changed
    booking = stored(bot_server, reference)
    assert booking.start_date == new_day and booking.end_date == new_day + timedelta(days=2)
    with bot_server["store"].transaction() as session:
        assert session.execute(select(BookingChange).where(
            BookingChange.booking_id == booking.id)).scalar_one().kind == "dates"

    # The payment provider confirms the payment (what its callback would record).
    view = store.find(reference, owner)
    store.record_payment(view, view.total_fen, "wechat_pay", f"e2e-pay-{reference}")

    quote = say(bot_server, sender, f"帮我取消订单{reference}")
    assert reference in quote and f"可退 {total}元" in quote
    cancelled = say(bot_server, sender, "确认")
    arrival = payment_settings().arrival_for("wechat_pay")
    assert reference in cancelled and f"退款 {total}元" in cancelled and arrival in cancelled
    booking = stored(bot_server, reference)
    assert booking.status == "cancelled"
    assert reserved(bot_server, code, new_day) == reserved(bot_server, code, new_day + timedelta(days=10))
    with store.transaction() as session:
        refund = session.execute(select(Refund).where(Refund.booking_id == booking.id)).scalar_one()
        assert (refund.amount_fen, refund.status) == (total * 100, "pending")

    status = say(bot_server, sender, "我的退款到账了吗")
    assert reference in status and f"{total}元" in status and arrival in status

    again = say(bot_server, sender, f"取消订单{reference}")
    assert reference in again and "已经取消过了" in again
    with store.transaction() as session:
        assert len(session.execute(select(Refund).where(Refund.booking_id == booking.id)).all()) == 1


def test_a_stranger_must_verify_before_seeing_a_booking(bot_server):
    sender = f"e2e-stranger-{uuid.uuid4().hex[:6]}"
    asked = say(bot_server, sender, "帮我查下订单TD2H8KQ4MZ")
    assert "后4位" in asked and "张伟" not in asked
    wrong = say(bot_server, sender, "1234")
    assert "不匹配" in wrong and "张伟" not in wrong
    shown = say(bot_server, sender, "8001")
    assert "TD2H8KQ4MZ" in shown and "张伟" in shown


def test_charged_twice_opens_one_refund_for_the_duplicate(bot_server):
    reply = say(bot_server, "demo-zhang", "我付款的时候被扣了两次钱")
    again = say(bot_server, "demo-zhang", "怎么扣了两次款")
    assert "TD5NX7RB3C" in again
    with bot_server["store"].transaction() as session:
        refunds = session.execute(select(Refund).where(Refund.rule == "payment.duplicate")).scalars().all()
        assert len(refunds) == 1
        charged = session.execute(select(Payment.amount_fen).join(Booking).where(
            Booking.reference == "TD5NX7RB3C", Payment.external_id.like("seed-pay-%-again"))).scalar_one()
    # the reply names the booking and the amount charged twice, which is what goes back
    assert "TD5NX7RB3C" in reply and refunds[0].amount_fen == charged and yuan(charged) in reply


def test_membership_shows_points_from_completed_trips(bot_server):
    reply = say(bot_server, "demo-wang", "我有多少积分")
    store = bot_server["store"]
    member = store.membership(store.customer_for("rest", "rest:demo-wang"))
    assert member.points > 0  # the demo's finished trip has earned its points
    assert member.level in reply and f"积分 {member.points}" in reply
