"""The hold sweeper expires unpaid holds and tells each traveller once, on their channel,
through the outbound path (recorded in outbound_messages, sent through the real SDK)."""
from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from typing import Any, Iterator, List

import pytest
from sqlalchemy import select

from bot.booking import holds
from bot.booking.holds import HoldSweeper, deadline_text, response_text
from bot.booking.models import OutboundMessage
from bot.booking.policy import hold_time
from bot.outbound import Outbound, record_inbound
from connectors.telegram import ENV_API_BASE, ENV_SECRET, ENV_TOKEN, TelegramConfig, TelegramSender
from tests.booking.support import FIRST_DAY, reserved
from tests.channels.recording_server import RecordingServer
from tests.test_outbound import RecordingSender

HOTEL = "H-TEST/大床房"
STAY = (FIRST_DAY, FIRST_DAY + timedelta(days=2))
TOKEN = "123456789:AAH-hold-sweeper-token"


def held_booking(store: Any, url: str, chat_id: str = "42", key: str = "k1") -> Any:
    """A booking by a Telegram traveller, awaiting payment."""
    record_inbound("telegram", chat_id, url=url)
    customer = store.customer_for("telegram", chat_id)
    booking = store.hold_and_book(customer, HOTEL, STAY, ["张伟"], "13800138000", key)
    store.open_payment(booking, "link")
    return booking


def past_hold(store: Any, booking: Any) -> Any:
    return booking.created_at + hold_time(store.policy, "hotel_room") + timedelta(seconds=1)


def messages(store: Any) -> List[OutboundMessage]:
    with store.transaction() as session:
        return list(session.execute(select(OutboundMessage).order_by(OutboundMessage.id)).scalars())


async def test_an_expired_hold_is_told_to_the_traveller_once(store, database_url):
    booking = held_booking(store, database_url)
    telegram = RecordingSender("telegram")
    sweeper = HoldSweeper(store, Outbound({"telegram": telegram}, url=database_url, retry_delays=()))

    report = await sweeper.sweep(at=past_hold(store, booking))
    again = await sweeper.sweep(at=past_hold(store, booking) + timedelta(hours=1))

    assert (report.expired, report.notified) == (1, 1) and (again.expired, again.notified) == (0, 0)
    expected = response_text("utter_hold_expired", reference=booking.reference, product=HOTEL,
                             deadline=deadline_text(booking.hold_expires_at, store.policy.timezone))
    assert booking.reference in expected and "已自动取消" in expected
    assert telegram.calls == [("42", expected, [])]
    [row] = messages(store)
    assert (row.channel, row.recipient_id, row.text, row.status) == ("telegram", "42", expected, "sent")
    assert reserved(store, HOTEL, FIRST_DAY) == 0
    assert [e.action for e in store.history(booking)][-2:] == ["expired", "expiry_notified"]


async def test_a_notice_left_unsent_by_a_crash_is_sent_by_the_next_sweep(store, database_url):
    booking = held_booking(store, database_url)
    store.expire_holds(at=past_hold(store, booking))  # the process died before telling anyone
    telegram = RecordingSender("telegram")
    report = await HoldSweeper(store, Outbound({"telegram": telegram}, url=database_url)).sweep()
    assert (report.expired, report.notified) == (0, 1)
    assert [call[0] for call in telegram.calls] == ["42"] and booking.reference in telegram.calls[0][1]


async def test_two_sweepers_at_once_tell_each_traveller_once(store, database_url):
    bookings = [held_booking(store, database_url, chat_id=str(40 + n), key=f"k{n}") for n in range(3)]
    telegram = RecordingSender("telegram")
    at = past_hold(store, bookings[-1])
    sweepers = [HoldSweeper(store, Outbound({"telegram": telegram}, url=database_url)) for _ in range(2)]
    reports = await asyncio.gather(*(s.sweep(at=at) for s in sweepers))
    assert sum(r.expired for r in reports) == 3 and sum(r.notified for r in reports) == 3
    assert sorted(call[0] for call in telegram.calls) == ["40", "41", "42"]
    assert len(messages(store)) == 3


async def test_a_paid_booking_is_neither_expired_nor_told(store, database_url):
    booking = held_booking(store, database_url)
    store.record_payment(booking, booking.total_fen, "wechat_pay", "wx-1")
    telegram = RecordingSender("telegram")
    report = await HoldSweeper(store, Outbound({"telegram": telegram}, url=database_url)).sweep(
        at=past_hold(store, booking) + timedelta(days=1))
    assert (report.expired, report.notified) == (0, 0) and telegram.calls == []


# --- through the Telegram Bot API client, and in the background as `make run` starts it ------

@pytest.fixture
def telegram_api() -> Iterator[RecordingServer]:
    with RecordingServer() as server:
        server.respond(f"/bot{TOKEN}/sendMessage", (200, {"ok": True, "result": {
            "message_id": 7, "date": 1763870400, "chat": {"id": 42, "type": "private"}, "text": "ok"}}))
        yield server


@pytest.fixture
async def telegram(telegram_api: RecordingServer) -> Any:
    config = TelegramConfig.from_environment({ENV_TOKEN: TOKEN, ENV_SECRET: "hold-secret",
                                              ENV_API_BASE: f"{telegram_api.url}/bot"})
    sender = TelegramSender.from_config(config, backoff=(0.01, 0.01))
    yield sender
    await sender.close()


async def test_the_notice_reaches_the_telegram_bot_api(store, database_url, telegram_api, telegram):
    booking = held_booking(store, database_url)
    await HoldSweeper(store, Outbound({"telegram": telegram}, url=database_url)).sweep(
        at=past_hold(store, booking))
    [call] = telegram_api.requests
    assert (call.method, call.path, call.param("chat_id")) == ("POST", f"/bot{TOKEN}/sendMessage", "42")
    assert booking.reference in call.param("text") and HOTEL in call.param("text")


async def test_the_background_sweeper_expires_holds_on_its_interval(store, database_url, monkeypatch):
    """The thread ``make run`` starts: it sweeps at once and then every interval."""
    booking = held_booking(store, database_url)
    with store.transaction() as session:  # the hold ran out a minute ago
        from bot.booking.models import Booking

        row = session.execute(select(Booking).where(Booking.reference == booking.reference)).scalar_one()
        row.hold_expires_at = row.created_at - timedelta(minutes=1)
    sent = threading.Event()
    telegram = RecordingSender("telegram")
    original = telegram.send

    async def send_and_signal(*args: Any, **kwargs: Any) -> None:
        await original(*args, **kwargs)
        sent.set()

    telegram.send = send_and_signal  # type: ignore[method-assign]
    monkeypatch.setattr("bot.outbound.senders_from_environment", lambda: {"telegram": telegram})
    sweeper = holds.BackgroundSweeper(interval_s=0.2, url=database_url).start()
    try:
        assert await asyncio.to_thread(sent.wait, 30)
    finally:
        sweeper.stop()
    assert store.find(booking.reference, store.customer_for("telegram", "42")).status == "expired"
    assert reserved(store, HOTEL, FIRST_DAY) == 0


def test_the_sweep_interval_is_a_setting(monkeypatch):
    monkeypatch.setenv(holds.INTERVAL_ENV, "5")
    assert holds.sweep_interval() == 5.0
    monkeypatch.setenv(holds.INTERVAL_ENV, "soon")
    with pytest.raises(ValueError, match=holds.INTERVAL_ENV):
        holds.sweep_interval()


async def test_a_notice_owed_longer_than_a_day_is_not_sent_any_more(store, database_url):
    booking = held_booking(store, database_url)
    store.expire_holds(at=past_hold(store, booking))
    telegram = RecordingSender("telegram")
    late = booking.hold_expires_at + holds.NOTICE_WINDOW + timedelta(minutes=1)
    report = await HoldSweeper(store, Outbound({"telegram": telegram}, url=database_url)).sweep(at=late)
    assert (report.expired, report.notified) == (0, 0) and telegram.calls == []
