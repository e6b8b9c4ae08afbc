"""Outbound messages: the channel used last, bounded retries, and a record of every send."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import timedelta
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from sqlalchemy import select

from bot.booking.models import Customer, OutboundMessage
from bot.booking.db import upgrade
from bot.booking.models import utcnow
import bot.outbound
from bot.outbound import (
    MAX_ATTEMPTS,
    Buttons,
    DeliveryError,
    Outbound,
    OutboundRecords,
    record_inbound,
    register_sender,
    senders_from_environment,
)
from connectors.telegram import ENV_API_BASE, ENV_SECRET, ENV_TOKEN, TelegramConfig, TelegramSender
from tests.booking.conftest import postgres_url  # noqa: F401 - a fixture used by ``url``
from tests.channels.recording_server import RecordingServer

TOKEN = "123456789:AAH-outbound-test-token"
SECRET = "outbound-test-secret"
SURVEY = [{"title": "非常满意", "payload": '/give_rating{"rating": 5}'},
          {"title": "不满意", "payload": '/give_rating{"rating": 1}'}]


class RecordingSender:
    """A channel sender that fails the first ``failures`` sends with the given error."""

    def __init__(self, channel: str, failures: int = 0,
                 error: Optional[Exception] = None) -> None:
        self.channel = channel
        self.failures = failures
        self.error = error or DeliveryError("platform busy", retryable=True)
        self.calls: List[Tuple[str, str, List[Dict[str, str]]]] = []

    async def send(self, recipient_id: str, text: str, buttons: Buttons = ()) -> None:
        self.calls.append((recipient_id, text, [dict(b) for b in buttons]))
        if len(self.calls) <= self.failures:
            raise self.error


class WeChatLikeError(Exception):
    """Another channel's own error type: only its ``retryable`` attribute matters."""

    def __init__(self, reason: str, retryable: bool) -> None:
        super().__init__(reason)
        self.reason, self.retryable = reason, retryable


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.services)])
def url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """Each test on an SQLite file and on a fresh PostgreSQL schema."""
    if request.param == "postgres":
        schema_url = str(request.getfixturevalue("postgres_url"))
        upgrade(schema_url)
        return schema_url
    return f"sqlite:///{tmp_path / 'outbound.db'}"


@pytest.fixture
def records(url: str) -> Iterator[OutboundRecords]:
    store = OutboundRecords(url)
    yield store
    store.close()


def rows(records: OutboundRecords) -> List[OutboundMessage]:
    with records.store.transaction() as session:
        return list(session.execute(select(OutboundMessage).order_by(OutboundMessage.id)).scalars())


def outbound(url: str, *senders: RecordingSender | TelegramSender) -> Outbound:
    return Outbound({s.channel: s for s in senders}, url=url, retry_delays=(0.0, 0.0))


async def test_sending_to_a_customer_records_the_message(url: str, records: OutboundRecords) -> None:
    customer = record_inbound("telegram", "42", url=url)
    telegram = RecordingSender("telegram")
    result = await outbound(url, telegram).send_to_customer(customer, "您对本次服务满意吗？", SURVEY)
    assert (result.status, result.channel, result.recipient_id, result.attempts) == ("sent", "telegram", "42", 1)
    assert telegram.calls == [("42", "您对本次服务满意吗？", SURVEY)]
    [row] = rows(records)
    assert (row.id, row.customer_id, row.channel, row.recipient_id) == (result.message_id, customer, "telegram", "42")
    assert (row.status, row.attempts, row.buttons, row.last_error) == ("sent", 1, SURVEY, None)
    assert row.sent_at is not None and row.sent_at >= row.created_at


@pytest.mark.parametrize(("error", "failures", "status", "attempts"), [
    (DeliveryError("platform busy", retryable=True), 1, "sent", 2),
    (DeliveryError("platform busy", retryable=True), 99, "pending", 3),  # resumed later
    (WeChatLikeError("platform busy", retryable=True), 99, "pending", 3),
    (DeliveryError("user blocked the bot", retryable=False), 99, "failed", 1),
    (RuntimeError("bug in a sender"), 99, "failed", 1),
])
async def test_retryable_failures_are_retried_a_bounded_number_of_times(
        url: str, records: OutboundRecords, error: Exception, failures: int, status: str,
        attempts: int) -> None:
    flaky = RecordingSender("telegram", failures=failures, error=error)
    result = await outbound(url, flaky).send("telegram", "42", "您的行程明天出发")
    assert (result.status, result.attempts, len(flaky.calls)) == (status, attempts, attempts)
    [row] = rows(records)
    assert (row.status, row.attempts) == (status, attempts)
    assert (row.last_error is None) == (status == "sent")
    if status != "sent":
        assert str(error) in row.last_error and row.sent_at is None


async def test_the_channel_used_last_is_picked(url: str, records: OutboundRecords) -> None:
    customer = record_inbound("wechat", "oWx-openid-1", url=url)
    records.store.link_identity(records.store.customer_for("wechat", "oWx-openid-1"), "telegram", "42")
    wechat, telegram = RecordingSender("wechat"), RecordingSender("telegram")
    sending = outbound(url, wechat, telegram)

    assert (await sending.send_to_customer(customer, "第一条")).channel == "wechat"  # telegram never seen
    record_inbound("telegram", "42", url=url)
    assert (await sending.send_to_customer(customer, "第二条")).channel == "telegram"
    record_inbound("wechat", "oWx-openid-1", url=url)
    assert (await sending.send_to_customer(customer, "第三条")).channel == "wechat"
    assert [c[1] for c in wechat.calls] == ["第一条", "第三条"] and [c[1] for c in telegram.calls] == ["第二条"]


async def test_a_channel_without_a_sender_is_skipped_or_recorded_undeliverable(
        url: str, records: OutboundRecords) -> None:
    customer = record_inbound("telegram", "42", url=url)
    records.store.link_identity(records.store.customer_for("telegram", "42"), "webchat", "session-1")
    record_inbound("webchat", "session-1", url=url)  # used last, but no widget sender here
    telegram = RecordingSender("telegram")
    assert (await outbound(url, telegram).send_to_customer(customer, "您好")).channel == "telegram"

    result = await outbound(url).send_to_customer(customer, "您好")
    assert (result.status, result.channel, result.attempts) == ("undeliverable", "webchat", 0)
    assert "no sender configured" in (result.error or "")
    assert [r.status for r in rows(records)] == ["sent", "undeliverable"]


async def test_unknown_customer_or_one_without_identity_gets_a_clear_result(
        url: str, records: OutboundRecords) -> None:
    with records.store.transaction() as session:
        lonely = Customer(display_name="电话客户")
        session.add(lonely)
        session.flush()
        lonely_id = lonely.id
    sending = outbound(url, RecordingSender("telegram"))
    unknown = await sending.send_to_customer(999_999, "您好")
    assert (unknown.status, unknown.error) == ("undeliverable", "unknown customer 999999")
    nowhere = await sending.send_to_customer(lonely_id, "您好")
    assert (nowhere.status, nowhere.error) == ("undeliverable", f"customer {lonely_id} has no channel identity")
    assert rows(records) == []


@pytest.mark.parametrize(("text", "buttons"), [("", ()), ("  ", ()), ("您好", [{"title": "好"}])])
async def test_messages_no_channel_can_send_are_refused(url: str, text: str, buttons: Any) -> None:
    with pytest.raises(ValueError):
        await outbound(url, RecordingSender("telegram")).send("telegram", "42", text, buttons)


def test_record_inbound_creates_the_customer_once_and_updates_last_seen(
        url: str, records: OutboundRecords) -> None:
    first = record_inbound("telegram", "77", url=url)
    [seen_first] = records.identities(first) or []
    assert record_inbound("telegram", "77", url=url) == first
    [seen_again] = records.identities(first) or []
    assert seen_first.last_seen_at and seen_again.last_seen_at
    assert seen_again.last_seen_at >= seen_first.last_seen_at
    assert records.identities(first + 1) is None


async def test_a_sender_registered_for_a_channel_is_used(
        url: str, records: OutboundRecords, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.outbound, "_factories", dict(bot.outbound._factories))  # undone after
    pigeon = RecordingSender("pigeon")
    register_sender("pigeon", lambda: pigeon)
    result = await Outbound(url=url, retry_delays=()).send("pigeon", "loft-7", "您的行程明天出发", SURVEY)
    assert (result.status, result.channel, result.attempts) == ("sent", "pigeon", 1)
    assert pigeon.calls == [("loft-7", "您的行程明天出发", SURVEY)]
    assert [(r.channel, r.status) for r in rows(records)] == [("pigeon", "sent")]


async def test_a_channel_no_connector_registers_is_undeliverable_and_named(
        url: str, records: OutboundRecords) -> None:
    result = await Outbound(url=url, retry_delays=()).send("fax", "+86 21 5555 0100", "您好")
    assert (result.status, result.channel, result.attempts) == ("undeliverable", "fax", 0)
    assert "no sender registered for channel 'fax'" in (result.error or "")
    assert "telegram" in (result.error or "")  # the channels that can send are listed
    [row] = rows(records)
    assert (row.channel, row.status, row.last_error) == ("fax", "undeliverable", result.error)


def test_a_process_that_never_imported_the_connectors_finds_their_senders() -> None:
    """The hold sweeper and the CLI import bot.outbound only: the channels register on demand."""
    script = ("import sys; from bot.outbound import senders_from_environment\n"
              "before = sorted(m for m in sys.modules if m.startswith('connectors'))\n"
              "print(before, sorted(senders_from_environment()))")
    env = {**os.environ, ENV_TOKEN: TOKEN, ENV_SECRET: SECRET, "TRIPDESK_WECHAT_TOKEN": "",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[] ['telegram']"


def test_senders_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_TOKEN, TOKEN)
    monkeypatch.setenv(ENV_SECRET, SECRET)
    assert isinstance(senders_from_environment().get("telegram"), TelegramSender)
    monkeypatch.delenv(ENV_TOKEN)
    assert "telegram" not in senders_from_environment()


# --- a real send through the Bot API client ------------------------------------------------

@pytest.fixture
def telegram_api() -> Iterator[RecordingServer]:
    with RecordingServer() as server:
        server.respond(f"/bot{TOKEN}/sendMessage", (200, {"ok": True, "result": {
            "message_id": 7, "date": 1763870400, "chat": {"id": 42, "type": "private"}, "text": "ok"}}))
        yield server


@pytest.fixture
async def telegram(telegram_api: RecordingServer) -> Any:
    config = TelegramConfig.from_environment({ENV_TOKEN: TOKEN, ENV_SECRET: SECRET,
                                              ENV_API_BASE: f"{telegram_api.url}/bot"})
    sender = TelegramSender.from_config(config, backoff=(0.01, 0.01))
    yield sender
    await sender.close()


async def test_survey_goes_out_through_the_telegram_bot_api(
        url: str, records: OutboundRecords, telegram_api: RecordingServer, telegram: TelegramSender) -> None:
    customer = record_inbound("telegram", "42", url=url)
    result = await outbound(url, telegram).send_to_customer(customer, "您对本次服务满意吗？", SURVEY)
    assert result.sent
    [call] = telegram_api.requests
    assert (call.method, call.path) == ("POST", f"/bot{TOKEN}/sendMessage")
    assert (call.param("chat_id"), call.param("text")) == ("42", "您对本次服务满意吗？")
    keyboard = json.loads(call.param("reply_markup"))["inline_keyboard"]
    assert [[b["text"] for b in row] for row in keyboard] == [["非常满意"], ["不满意"]]
    assert [telegram.offered.decode("42", row[0]["callback_data"]) for row in keyboard] == \
        [b["payload"] for b in SURVEY]
    assert rows(records)[0].status == "sent"


async def test_a_traveller_who_blocked_the_bot_is_recorded_failed_without_retries(
        url: str, records: OutboundRecords, telegram_api: RecordingServer, telegram: TelegramSender) -> None:
    telegram_api.respond(f"/bot{TOKEN}/sendMessage", (403, {
        "ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}))
    customer = record_inbound("telegram", "42", url=url)
    result = await outbound(url, telegram).send_to_customer(customer, "您的行程明天出发")
    assert (result.status, result.attempts) == ("failed", 1)
    assert len(telegram_api.requests) == 1
    assert "blocked" in (rows(records)[0].last_error or "")



# --- durable retries: pending sends resumed after a restart ----------------------------------

SEND_MESSAGE = f"/bot{TOKEN}/sendMessage"


async def test_a_send_the_platform_failed_is_kept_pending_and_delivered_after_a_restart(
        url: str, records: OutboundRecords, telegram_api: RecordingServer, telegram: TelegramSender) -> None:
    telegram_api.respond(SEND_MESSAGE, (500, {"ok": False, "error_code": 500,
                                              "description": "Internal Server Error"}))
    customer = record_inbound("telegram", "42", url=url)
    before_restart = outbound(url, telegram)
    failed = await before_restart.send_to_customer(customer, "客服回复：您的退款已到账", SURVEY)
    assert failed.status == "pending"
    [row] = rows(records)
    assert (row.status, row.attempts, row.sent_at) == ("pending", 3, None) and "Internal Server Error" in row.last_error
    before_restart.close()

    # A new process: a new sender and Outbound over the same database; Telegram is back.
    telegram_api.clear()
    telegram_api.respond(SEND_MESSAGE, (200, {"ok": True, "result": {
        "message_id": 8, "date": 1763870400, "chat": {"id": 42, "type": "private"}, "text": "ok"}}))
    config = TelegramConfig.from_environment({ENV_TOKEN: TOKEN, ENV_SECRET: SECRET,
                                              ENV_API_BASE: f"{telegram_api.url}/bot"})
    restarted_sender = TelegramSender.from_config(config, backoff=(0.01, 0.01))
    after_restart = outbound(url, restarted_sender)
    try:
        assert await after_restart.resume_pending(now=row.created_at + timedelta(seconds=1)) == []  # not due
        [resumed] = await after_restart.resume_pending(now=utcnow() + timedelta(hours=1))
    finally:
        await restarted_sender.close()
        after_restart.close()
    assert (resumed.status, resumed.message_id, resumed.attempts) == ("sent", row.id, 4)
    [call] = telegram_api.requests
    assert (call.param("chat_id"), call.param("text")) == ("42", "客服回复：您的退款已到账")
    assert len(json.loads(call.param("reply_markup"))["inline_keyboard"]) == len(SURVEY)
    [row] = rows(records)
    assert (row.status, row.attempts, row.sent_at is not None) == ("sent", 4, True)
    assert await outbound(url, RecordingSender("telegram")).resume_pending(
        now=utcnow() + timedelta(days=1)) == []  # sent once, never again


async def test_resumed_sends_back_off_and_stop_after_the_attempt_limit(
        url: str, records: OutboundRecords) -> None:
    down = RecordingSender("telegram", failures=999)
    sending = outbound(url, down)
    first = await sending.send("telegram", "42", "您的行程明天出发")
    assert first.status == "pending"
    created = rows(records)[0].created_at
    waits = []
    for hours in range(1, 48):
        results = await sending.resume_pending(now=created + timedelta(hours=hours))
        waits.extend(hours for _ in results)
        if rows(records)[0].status != "pending":
            break
    [row] = rows(records)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert len(down.calls) == MAX_ATTEMPTS
    assert waits == sorted(waits) and len(set(waits)) > 1  # later attempts wait longer


async def test_two_processes_resuming_at_once_send_a_pending_message_once(
        url: str, records: OutboundRecords) -> None:
    await outbound(url, RecordingSender("telegram", failures=3)).send("telegram", "42", "您好")
    first, second = RecordingSender("telegram"), RecordingSender("telegram")
    later = utcnow() + timedelta(hours=1)
    await asyncio.gather(outbound(url, first).resume_pending(now=later),
                         outbound(url, second).resume_pending(now=later))
    assert len(first.calls) + len(second.calls) == 1
    assert rows(records)[0].status == "sent"
