"""Telegram channel: Update JSON in the Bot API's format in, exactly what the Bot API receives out.

python-telegram-bot's real parser reads the updates and its real HTTP client sends to a
recording server on 127.0.0.1, so every assertion is about what Telegram would see.
The first part drives the connector directly (no model needed); the second part drives
the webhook of the real Rasa server with the trained model (``pytest.mark.model``).
"""
from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from functools import partial
from itertools import count
from typing import Any, Dict, Iterator, List, Optional, Sequence

import httpx
import pytest
import requests
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.outbound import DeliveryError, OutboundRecords, record_inbound
from connectors.base import ZERO_WIDTH_SPACE
from connectors.telegram import (
    ENV_API_BASE,
    ENV_SECRET,
    ENV_TOKEN,
    REPLIES,
    SECRET_HEADER,
    ConfigError,
    TelegramConfig,
    TelegramInput,
    TelegramSender,
    TelegramWebhook,
    main,
)
from tests.channels.recording_server import RecordedRequest, RecordingServer
from tests.conftest import rasa_api as rasa_http_api
from tests.helpers import catalogue_hotel_names

TOKEN = "123456789:AAH-test-token_0123456789abcdefghij"
SECRET = "tripdesk-test-secret_0123"
DATE = 1763870400  # 2025-11-23 04:00 UTC, as Telegram sends it (Unix time)
ids = count(1000)


# --- Bot API payloads -----------------------------------------------------------------------

def user(user_id: int) -> Dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "小明", "language_code": "zh-hans"}


def private_chat(user_id: int) -> Dict[str, Any]:
    return {"id": user_id, "first_name": "小明", "type": "private"}


def message(user_id: int, text: Optional[str] = None, **fields: Any) -> Dict[str, Any]:
    body = {"message_id": next(ids), "from": user(user_id), "chat": private_chat(user_id),
            "date": DATE, **fields}
    if text is not None:
        body["text"] = text
    return body


def text_update(user_id: int, text: str, update_id: Optional[int] = None) -> Dict[str, Any]:
    return {"update_id": update_id or next(ids), "message": message(user_id, text)}


def command_update(user_id: int, command: str) -> Dict[str, Any]:
    entity = {"offset": 0, "length": len(command.split()[0]), "type": "bot_command"}
    return {"update_id": next(ids), "message": message(user_id, command, entities=[entity])}


def callback_update(user_id: int, data: str) -> Dict[str, Any]:
    bot_message = {"message_id": next(ids), "date": DATE, "chat": private_chat(user_id),
                   "from": {"id": 123456789, "is_bot": True, "first_name": "途达旅行",
                            "username": "TripDeskBot"},
                   "text": "请问您想查询哪一类？"}
    return {"update_id": next(ids), "callback_query": {
        "id": str(4_000_000_000 + next(ids)), "from": user(user_id), "message": bot_message,
        "chat_instance": "-8794531123456789012", "data": data}}


PHOTO = {"photo": [{"file_id": "AgACAgUAAxkBAAIBZ2", "file_unique_id": "AQADr7ExG", "file_size": 1310,
                    "width": 90, "height": 67}], "caption": "这是哪里"}
STICKER = {"sticker": {"file_id": "CAACAgIAAxkBAAIBa", "file_unique_id": "AgADXwAD", "type": "regular",
                       "width": 512, "height": 512, "is_animated": False, "is_video": False,
                       "emoji": "😀"}}
LOCATION = {"location": {"latitude": 31.2304, "longitude": 121.4737}}


def edited_update(user_id: int, text: str) -> Dict[str, Any]:
    return {"update_id": next(ids), "edited_message": message(user_id, text, edit_date=DATE + 60)}


def group_update(user_id: int, text: str) -> Dict[str, Any]:
    group = {"id": -1001234567890, "title": "旅行群", "type": "supergroup"}
    return {"update_id": next(ids), "message": {**message(user_id, text), "chat": group}}


def ok(result: Any = True) -> tuple:
    return 200, {"ok": True, "result": result}


def sent_message(chat_id: int = 42) -> tuple:
    return ok({"message_id": next(ids), "date": DATE, "chat": private_chat(chat_id), "text": "ok"})


def path(method: str) -> str:
    return f"/bot{TOKEN}/{method}"


def sent_to(api: RecordingServer, chat_id: int) -> List[Dict[str, Any]]:
    """The sendMessage calls for one chat, as Telegram would read their parameters."""
    return [{"text": r.param("text"),
             "reply_markup": json.loads(r.param("reply_markup")) if r.param("reply_markup") else None}
            for r in api.requests_to(path("sendMessage")) if r.param("chat_id") == str(chat_id)]


# --- fixtures --------------------------------------------------------------------------------

@pytest.fixture
def api() -> Iterator[RecordingServer]:
    with RecordingServer() as server:
        server.respond(path("sendMessage"), sent_message())
        server.respond(path("answerCallbackQuery"), ok())
        server.respond(path("setWebhook"), ok())
        yield server


@pytest.fixture
def config(api: RecordingServer) -> TelegramConfig:
    return TelegramConfig.from_environment({ENV_TOKEN: TOKEN, ENV_SECRET: SECRET,
                                            ENV_API_BASE: f"{api.url}/bot"})


@pytest.fixture
async def sender(config: TelegramConfig) -> Any:
    telegram = TelegramSender.from_config(config, backoff=(0.01, 0.01))
    yield telegram
    await telegram.close()


class DomainReplies:
    """Renders responses straight from domain.yml (the agent does this in the server)."""

    def __init__(self, domain: Dict[str, Any]) -> None:
        self.responses = domain["responses"]

    async def render(self, names: Sequence[str], sender_id: str, **values: Any) -> List[Dict[str, Any]]:
        name = next(n for n in names if n in self.responses)
        reply = dict(self.responses[name][0])
        reply["text"] = reply["text"].format(**values) if values else reply["text"]
        return [reply]


@dataclass
class Harness:
    """The webhook with what reached Rasa's entry point recorded."""

    webhook: TelegramWebhook
    replies: DomainReplies
    received: List[UserMessage] = field(default_factory=list)

    async def deliver(self, update: Any, secret: Optional[str] = SECRET) -> tuple:
        body = update if isinstance(update, bytes) else json.dumps(update).encode()
        answer = await self.webhook.receive(secret, body, self.replies)
        await self.webhook.drain()
        return answer


@pytest.fixture
async def harness(config: TelegramConfig, sender: TelegramSender, domain_dict: Dict[str, Any]) -> Harness:
    received: List[UserMessage] = []

    async def on_new_message(user_message: UserMessage) -> None:
        received.append(user_message)

    webhook = TelegramWebhook(config, sender, on_new_message, record=lambda channel, user_id: None)
    return Harness(webhook, DomainReplies(domain_dict), received)


def domain_text(domain: Dict[str, Any], kind: str) -> str:
    name = next(n for n in REPLIES[kind] if n in domain["responses"])
    return domain["responses"][name][0]["text"]


# --- configuration and sending -------------------------------------------------------------

def test_settings_come_from_the_environment_with_secrets_masked(config: TelegramConfig) -> None:
    assert TOKEN not in repr(config) and SECRET not in repr(config)
    with pytest.raises(ConfigError, match=f"{ENV_TOKEN} and {ENV_SECRET}"):
        TelegramConfig.from_environment({})
    with pytest.raises(ConfigError, match=ENV_SECRET):
        TelegramConfig.from_environment({ENV_TOKEN: TOKEN, ENV_SECRET: "有空格 的密钥"})


async def test_buttons_become_an_inline_keyboard_with_short_callback_data(
        api: RecordingServer, sender: TelegramSender) -> None:
    long_payload = '/inform{"booking_ref": "TD23456789", "note": "' + "很长" * 20 + '"}'
    await sender.send("42", "请问您想查询哪一类？", [{"title": "酒店", "payload": "查酒店"},
                                              {"title": "改签", "payload": long_payload}])
    [call] = api.requests_to(path("sendMessage"))
    assert call.method == "POST"
    assert call.param("chat_id") == "42" and call.param("text") == "请问您想查询哪一类？"
    rows = json.loads(call.param("reply_markup"))["inline_keyboard"]
    assert [[button["text"] for button in row] for row in rows] == [["酒店"], ["改签"]]
    data = [row[0]["callback_data"] for row in rows]
    assert all(len(d.encode()) <= 64 for d in data)
    assert [sender.offered.decode("42", d) for d in data] == ["查酒店", long_payload]
    assert [sender.offered.decode("43", d) for d in data] == [None, None]  # offered to 42 only


async def test_long_text_is_split_at_4096_characters_with_buttons_on_the_last_part(
        api: RecordingServer, sender: TelegramSender) -> None:
    text = "酒店详情" * 2500  # 10 000 characters
    await sender.send("42", text, [{"title": "预订", "payload": "预订"}])
    parts = sent_to(api, 42)
    assert [len(p["text"]) for p in parts] == [4096, 4096, 1808]
    assert "".join(p["text"] for p in parts) == text
    assert [p["reply_markup"] is not None for p in parts] == [False, False, True]


async def test_flood_control_is_waited_out_then_the_message_goes(
        api: RecordingServer, sender: TelegramSender) -> None:
    api.respond(path("sendMessage"),
                (429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                       "parameters": {"retry_after": 1}}),
                sent_message())
    started = time.monotonic()
    await sender.send("42", "您好")
    assert len(api.requests_to(path("sendMessage"))) == 2
    assert time.monotonic() - started >= 1.0


@pytest.mark.parametrize(("answer", "calls", "retryable"), [
    ((502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}), 3, True),
    ((403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
     1, False),
    ((400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}), 1, False),
])
async def test_failures_are_retried_only_when_that_can_help(
        api: RecordingServer, sender: TelegramSender, answer: tuple, calls: int, retryable: bool) -> None:
    api.respond(path("sendMessage"), answer)
    with pytest.raises(DeliveryError) as failure:
        await sender.send("42", "您好")
    assert failure.value.retryable is retryable
    assert len(api.requests_to(path("sendMessage"))) == calls


# --- the webhook ------------------------------------------------------------------------------

@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET.upper()])
async def test_wrong_or_missing_secret_token_is_refused(
        harness: Harness, api: RecordingServer, secret: Optional[str]) -> None:
    status, _ = await harness.deliver(text_update(42, "你好"), secret=secret)
    assert status == 403
    assert harness.received == [] and api.requests == []


@pytest.mark.parametrize("body", [
    b"{not json", b"\xff\xfe\x00", b"[]", b'"update"', b'{"update_id": "7"}', b'{"message": {}}',
    json.dumps({"update_id": 7, "message": {"message_id": 1, "text": "缺少 chat 和 date"}}).encode(),
    json.dumps({"update_id": 8, "callback_query": {"id": "1"}}).encode(),
])
async def test_malformed_updates_are_rejected_with_400(
        harness: Harness, api: RecordingServer, body: bytes) -> None:
    status, answer = await harness.deliver(body)
    assert status == 400 and answer["error"]
    assert harness.received == [] and api.requests == []


async def test_oversized_body_is_refused(harness: Harness) -> None:
    status, _ = await harness.deliver(b" " * (1 << 20) + b"{}")
    assert status == 413


async def test_text_reaches_rasa_once_as_the_travellers_own_words(harness: Harness) -> None:
    update = text_update(42, "明天上海的酒店")
    assert await harness.deliver(update) == (200, {"status": "accepted"})
    assert (await harness.deliver(update))[0] == 200  # Telegram re-delivers after a timeout
    await asyncio.gather(*(harness.webhook.receive(SECRET, json.dumps(update).encode(), harness.replies)
                           for _ in range(3)))
    await harness.webhook.drain()
    [received] = harness.received
    assert (received.text, received.sender_id, received.input_channel) == ("明天上海的酒店", "42", "telegram")
    assert received.message_id == str(update["update_id"])


@pytest.mark.parametrize(("typed", "expected"), [
    ('/inform{"booking_ref": "TD23456789"}', ZERO_WIDTH_SPACE + '/inform{"booking_ref": "TD23456789"}'),
    ("/restart", ZERO_WIDTH_SPACE + "/restart"),
    ("你好\x00\x07😀", "你好😀"),
    ("好" * 4096, "好" * 4096),
], ids=["inform-payload", "restart", "control-characters", "4096-characters"])
async def test_typed_text_is_cleaned_and_never_a_command(harness: Harness, typed: str, expected: str) -> None:
    await harness.deliver(text_update(42, typed))
    assert [m.text for m in harness.received] == [expected]


async def test_messages_from_one_traveller_reach_rasa_in_order(
        config: TelegramConfig, sender: TelegramSender, domain_dict: Dict[str, Any]) -> None:
    order: List[str] = []

    async def slow_first(user_message: UserMessage) -> None:
        await asyncio.sleep(0.3 if user_message.text == "第一句" else 0)
        order.append(user_message.text or "")

    webhook = TelegramWebhook(config, sender, slow_first, record=lambda channel, user_id: None)
    for text in ("第一句", "第二句"):
        await webhook.receive(SECRET, json.dumps(text_update(42, text)).encode(), DomainReplies(domain_dict))
    await webhook.drain()
    assert order == ["第一句", "第二句"]


@pytest.mark.parametrize("update", [
    edited_update(42, "改过的消息"),
    group_update(42, "群里的消息"),
    {"update_id": 901, "channel_post": {"message_id": 1, "date": DATE, "text": "频道",
                                        "chat": {"id": -100987, "title": "频道", "type": "channel"}}},
    {"update_id": 902, "my_chat_member": {"chat": private_chat(42), "from": user(42), "date": DATE,
                                          "old_chat_member": {"status": "member", "user": user(1)},
                                          "new_chat_member": {"status": "kicked", "user": user(1),
                                                              "until_date": 0}}},
    {"update_id": 903, "some_future_update": {"anything": True}},
    {"update_id": 904, "poll": {"id": "5341", "question": "去哪玩？", "total_voter_count": 0}},
], ids=["edited_message", "group", "channel_post", "my_chat_member", "future_type", "poll"])
async def test_updates_we_do_not_serve_are_acknowledged_and_ignored(
        harness: Harness, api: RecordingServer, update: Dict[str, Any]) -> None:
    assert await harness.deliver(update) == (200, {"status": "ignored"})
    assert harness.received == [] and api.requests == []


async def test_text_over_4096_characters_is_refused_politely_never_cut(
        harness: Harness, api: RecordingServer, domain_dict: Dict[str, Any]) -> None:
    assert await harness.deliver(text_update(42, "好" * 4097)) == (200, {"status": "accepted"})
    assert harness.received == []
    [answer] = [p["text"] for p in sent_to(api, 42)]
    assert answer == domain_text(domain_dict, "too_long").format(max_chars=4096) and "4096" in answer


async def test_a_traveller_over_the_rate_is_told_once_and_the_flood_is_dropped(
        config: TelegramConfig, sender: TelegramSender, api: RecordingServer,
        domain_dict: Dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPDESK_RATE_PER_SENDER", "2/60")
    received: List[UserMessage] = []

    async def on_new_message(user_message: UserMessage) -> None:
        received.append(user_message)
        await user_message.output_channel.send_response(user_message.sender_id, {"text": "收到"})

    webhook = TelegramWebhook(config, sender, on_new_message, record=lambda channel, user_id: None)
    answers = [(await webhook.receive(SECRET, json.dumps(text_update(42, f"第{i}句")).encode(),
                                      DomainReplies(domain_dict)))[1]["status"] for i in range(5)]
    await webhook.receive(SECRET, json.dumps(text_update(43, "你好")).encode(), DomainReplies(domain_dict))
    await webhook.drain()
    assert answers == ["accepted", "accepted", "accepted", "refused", "refused"]
    assert sorted((m.sender_id, m.text or "") for m in received) == [("42", "第0句"), ("42", "第1句"),
                                                                     ("43", "你好")]
    assert sorted(p["text"] for p in sent_to(api, 42)) == sorted(["收到", "收到", domain_text(domain_dict, "too_many")])


@pytest.mark.parametrize("content", [PHOTO, STICKER, LOCATION])
async def test_photo_sticker_or_location_gets_a_polite_reply(
        harness: Harness, api: RecordingServer, domain_dict: Dict[str, Any], content: Dict[str, Any]) -> None:
    await harness.deliver({"update_id": next(ids), "message": message(42, **content)})
    assert harness.received == []
    assert [p["text"] for p in sent_to(api, 42)] == [domain_text(domain_dict, "unsupported")]


async def test_blank_text_gets_a_polite_reply(
        harness: Harness, api: RecordingServer, domain_dict: Dict[str, Any]) -> None:
    await harness.deliver(text_update(42, " \u3000\n\t "))
    assert harness.received == []
    assert [p["text"] for p in sent_to(api, 42)] == [domain_text(domain_dict, "empty")]


async def test_start_welcomes_and_shows_the_menu(
        harness: Harness, api: RecordingServer, domain_dict: Dict[str, Any]) -> None:
    await harness.deliver(command_update(42, "/start"))
    assert harness.received == []
    welcome, menu = sent_to(api, 42)
    assert welcome["text"] == domain_text(domain_dict, "welcome")
    assert menu["text"] == domain_text(domain_dict, "menu")
    offered = [b["title"] for b in domain_dict["responses"]["utter_main_menu"][0]["buttons"]]
    assert [row[0]["text"] for row in menu["reply_markup"]["inline_keyboard"]] == offered


async def test_help_explains_what_the_bot_does(
        harness: Harness, api: RecordingServer, domain_dict: Dict[str, Any]) -> None:
    await harness.deliver(command_update(42, "/help@TripDeskBot"))
    assert harness.received == []
    assert [p["text"] for p in sent_to(api, 42)] == [domain_text(domain_dict, "help"),
                                                     domain_text(domain_dict, "menu")]


async def test_offered_button_press_is_answered_and_its_payload_reaches_rasa(
        harness: Harness, api: RecordingServer, sender: TelegramSender) -> None:
    await sender.send("42", "请问您想查询哪一类？", [{"title": "酒店", "payload": "查酒店"}])
    data = sent_to(api, 42)[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    press = callback_update(42, data)
    await harness.deliver(press)
    await harness.deliver(press)  # re-delivered: processed once
    [answered] = api.requests_to(path("answerCallbackQuery"))
    assert answered.param("callback_query_id") == press["callback_query"]["id"]
    assert [(m.text, m.sender_id) for m in harness.received] == [("查酒店", "42")]


async def test_button_press_the_bot_did_not_offer_is_answered_but_ignored(
        harness: Harness, api: RecordingServer, sender: TelegramSender) -> None:
    offered_elsewhere = sender.offered.encode("43", "查酒店")
    genuine = sender.offered.encode("42", "查酒店")
    tampered = genuine[:12] + "=/restart"
    forged = ("/restart", '/inform{"booking_ref": "TD23456789"}', "查酒店", "查酒店查酒店查酒店查酒店查酒店",
              offered_elsewhere, tampered, "")
    for data in forged:
        assert (await harness.deliver(callback_update(42, data)))[0] == 200
    assert harness.received == []
    assert len(api.requests_to(path("answerCallbackQuery"))) == len(forged)


async def test_each_message_marks_the_traveller_as_seen_on_telegram(
        config: TelegramConfig, sender: TelegramSender, domain_dict: Dict[str, Any], tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"

    async def nothing(_: UserMessage) -> None:
        return None

    webhook = TelegramWebhook(config, sender, nothing, record=partial(record_inbound, url=url))
    await webhook.receive(SECRET, json.dumps(text_update(4242, "你好")).encode(), DomainReplies(domain_dict))
    await webhook.drain()
    assert_seen_on_telegram(url, 4242)


def assert_seen_on_telegram(url: str, user_id: int) -> None:
    records = OutboundRecords(url)
    try:
        customer = records.customer_of("telegram", str(user_id))
        assert customer is not None
        [identity] = records.identities(customer) or []
        assert identity.channel == "telegram" and identity.last_seen_at is not None
    finally:
        records.close()


async def test_without_settings_the_routes_answer_503_and_the_log_names_the_variables(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    for name in (ENV_TOKEN, ENV_SECRET):
        monkeypatch.delenv(name, raising=False)
    channel = TelegramInput.from_credentials(None)
    assert f"{ENV_TOKEN} and {ENV_SECRET}" in caplog.text
    Sanic.test_mode = True
    app = Sanic(f"telegram_{uuid.uuid4().hex[:8]}")

    async def on_new_message(_: UserMessage) -> None:
        raise AssertionError("nothing may reach Rasa")

    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/telegram")
    await app._startup()  # what Sanic's server (or ASGI lifespan) does before serving
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tripdesk") as client:
        hook = await client.post("/webhooks/telegram/webhook", json=text_update(42, "你好"),
                                 headers={SECRET_HEADER: SECRET})
        health = await client.get("/webhooks/telegram/")
    assert (hook.status_code, health.status_code) == (503, 503)
    assert ENV_TOKEN in hook.json()["error"]


# --- the set-webhook command ------------------------------------------------------------------

def test_set_webhook_command_registers_the_secret_token(
        api: RecordingServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    for name, value in {ENV_TOKEN: TOKEN, ENV_SECRET: SECRET, ENV_API_BASE: f"{api.url}/bot"}.items():
        monkeypatch.setenv(name, value)
    assert main(["set-webhook", "https://bot.example.com/"]) == 0
    [call] = api.requests_to(path("setWebhook"))
    assert call.param("url") == "https://bot.example.com/webhooks/telegram/webhook"
    assert call.param("secret_token") == SECRET
    assert json.loads(call.param("allowed_updates")) == ["message", "callback_query"]
    assert "https://bot.example.com/webhooks/telegram/webhook" in capsys.readouterr().out


@pytest.mark.parametrize(("environment", "argument", "named"), [
    ({}, "https://bot.example.com", ENV_TOKEN),
    ({ENV_TOKEN: TOKEN}, "https://bot.example.com", ENV_SECRET),
    ({ENV_TOKEN: TOKEN, ENV_SECRET: SECRET}, "http://bot.example.com", "HTTPS"),
])
def test_set_webhook_command_explains_what_is_missing(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture,
        environment: Dict[str, str], argument: str, named: str) -> None:
    for name in (ENV_TOKEN, ENV_SECRET, ENV_API_BASE):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert main(["set-webhook", argument]) == 2
    assert named in capsys.readouterr().err


def test_set_webhook_command_reports_telegrams_refusal(
        api: RecordingServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    for name, value in {ENV_TOKEN: TOKEN, ENV_SECRET: SECRET, ENV_API_BASE: f"{api.url}/bot"}.items():
        monkeypatch.setenv(name, value)
    api.respond(path("setWebhook"), (400, {"ok": False, "error_code": 400,
                                          "description": "Bad Request: bad webhook: HTTPS url must be provided"}))
    assert main(["set-webhook", "https://bot.example.com"]) == 1
    assert "https url must be provided" in capsys.readouterr().err.lower()


# --- through the real Rasa server with the trained model --------------------------------------

@pytest.fixture(scope="module")
def rasa_api() -> Iterator[RecordingServer]:
    with RecordingServer() as server:
        server.respond(path("sendMessage"), sent_message())
        server.respond(path("answerCallbackQuery"), ok())
        yield server


@pytest.fixture(scope="module")
def telegram_server(trained_model: Any, rasa_api: RecordingServer, tmp_path_factory: Any) -> Iterator[Dict]:
    from bot.cli import start_services, stop_services
    from tests.conftest import free_port, wait_until_ready

    log_dir = tmp_path_factory.mktemp("telegram")
    settings = {ENV_TOKEN: TOKEN, ENV_SECRET: SECRET, ENV_API_BASE: f"{rasa_api.url}/bot",
                "DATABASE_URL": f"sqlite:///{log_dir / 'store.db'}",
                "TRIPDESK_TRACKER_DB": str(log_dir / "tracker.db")}
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    from tests.channels.test_wechat import _seeded_database

    _seeded_database(settings["DATABASE_URL"])  # the catalogue the searches read
    port, action_port = free_port(), free_port()
    processes = start_services(port=port, action_port=action_port, log_dir=log_dir)
    try:
        wait_until_ready(port, action_port, processes, log_dir)
        yield {"port": port, "store": settings["DATABASE_URL"], "log_dir": log_dir}
    finally:
        stop_services(processes)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def post(server: Dict, update: Any, secret: Optional[str] = SECRET) -> requests.Response:
    body = update if isinstance(update, bytes) else json.dumps(update, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    return requests.post(f"http://127.0.0.1:{server['port']}/webhooks/telegram/webhook",
                         data=body, headers=headers, timeout=10)


def replies(api: RecordingServer, chat_id: int, at_least: int = 1, settle: float = 2.0,
            timeout: float = 60.0) -> List[Dict[str, Any]]:
    """The chat's sendMessage calls once at least ``at_least`` came and no more followed."""
    def mine(requests_: List[RecordedRequest]) -> int:
        return sum(r.path == path("sendMessage") and r.param("chat_id") == str(chat_id) for r in requests_)

    api.wait_for(lambda requests_: mine(requests_) >= at_least, timeout)
    seen = -1
    while seen != mine(api.requests):
        seen = mine(api.requests)
        time.sleep(settle)
    return sent_to(api, chat_id)


def tracker(server: Dict, user_id: int) -> Dict[str, Any]:
    return rasa_http_api(server["port"], f"/conversations/{user_id}/tracker")


def user_texts(server: Dict, user_id: int) -> List[str]:
    return [e.get("text") or "" for e in tracker(server, user_id)["events"] if e["event"] == "user"]


def new_user() -> int:
    return 500_000_000 + uuid.uuid4().int % 100_000_000


def still_serving(server: Dict) -> bool:
    return requests.get(f"http://127.0.0.1:{server['port']}/webhooks/telegram/", timeout=5).ok


@pytest.mark.model
def test_greeting_and_hotel_search_are_answered_on_telegram(
        telegram_server: Dict, rasa_api: RecordingServer) -> None:
    traveller = new_user()
    assert post(telegram_server, text_update(traveller, "你好")).status_code == 200
    assert "途达" in replies(rasa_api, traveller)[0]["text"]
    post(telegram_server, text_update(traveller, "明天上海的酒店，两个人"))
    answer = "\n".join(r["text"] for r in replies(rasa_api, traveller, at_least=2))
    shanghai = catalogue_hotel_names(telegram_server["store"], "上海")
    assert sum(name in answer for name in shanghai) >= 2, answer
    assert_seen_on_telegram(telegram_server["store"], traveller)


@pytest.mark.model
@pytest.mark.parametrize("secret", [None, "wrong-secret"])
def test_webhook_refuses_a_wrong_or_missing_secret(
        telegram_server: Dict, rasa_api: RecordingServer, secret: Optional[str]) -> None:
    traveller = new_user()
    assert post(telegram_server, text_update(traveller, "你好"), secret=secret).status_code == 403
    time.sleep(2)
    assert sent_to(rasa_api, traveller) == []
    assert user_texts(telegram_server, traveller) == []


@pytest.mark.model
@pytest.mark.parametrize("body", [
    b"{not json", b"[]",
    json.dumps({"update_id": 5, "message": {"message_id": 1, "text": "缺少字段"}}).encode(),
])
def test_webhook_rejects_malformed_updates_and_keeps_serving(telegram_server: Dict, body: bytes) -> None:
    answer = post(telegram_server, body)
    assert answer.status_code == 400 and answer.json()["error"]
    assert still_serving(telegram_server)


@pytest.mark.model
@pytest.mark.parametrize(("text", "reply_contains"), [
    ("好" * 10_000, "4096"),
    ("你好😀\x00\x07", "途达"),
    (" \u3000 ", "空消息"),
], ids=["10000-characters", "emoji-and-control-characters", "blank"])
def test_awkward_text_gets_an_answer(
        telegram_server: Dict, rasa_api: RecordingServer, text: str, reply_contains: str) -> None:
    traveller = new_user()
    assert post(telegram_server, text_update(traveller, text)).status_code == 200
    answer = replies(rasa_api, traveller)
    assert answer and reply_contains in answer[0]["text"]
    assert all(len(t) <= 4096 and "\x00" not in t for t in user_texts(telegram_server, traveller))
    if len(text) > 4096:  # refused politely, never cut and processed
        assert user_texts(telegram_server, traveller) == []
    assert still_serving(telegram_server)


@pytest.mark.model
def test_photo_gets_a_polite_reply_and_unknown_updates_are_ignored(
        telegram_server: Dict, rasa_api: RecordingServer) -> None:
    traveller = new_user()
    assert post(telegram_server, {"update_id": next(ids), "message": message(traveller, **PHOTO)}).ok
    assert "酒店" in replies(rasa_api, traveller)[0]["text"]
    poll = {"id": "5341", "question": "去哪玩？", "options": [{"text": "上海", "voter_count": 0}],
            "total_voter_count": 0, "is_closed": False, "is_anonymous": True, "type": "regular",
            "allows_multiple_answers": False}
    for update in (edited_update(traveller, "改过"), {"update_id": next(ids), "poll": poll}):
        answer = post(telegram_server, update)
        assert answer.status_code == 200 and answer.json() == {"status": "ignored"}
    time.sleep(2)
    assert len(sent_to(rasa_api, traveller)) == 1
    assert user_texts(telegram_server, traveller) == []


@pytest.mark.model
def test_start_menu_button_works_and_forged_presses_do_not(
        telegram_server: Dict, rasa_api: RecordingServer) -> None:
    traveller = new_user()
    post(telegram_server, command_update(traveller, "/start"))
    welcome, menu = replies(rasa_api, traveller, at_least=2)
    assert "途达" in welcome["text"]
    hotel_button = menu["reply_markup"]["inline_keyboard"][0][0]
    assert hotel_button["text"] == "查酒店"

    for forged in ("查酒店", '/inform{"city": "北京"}', hotel_button["callback_data"][:12] + "=/restart"):
        assert post(telegram_server, callback_update(traveller, forged)).status_code == 200
    rasa_api.wait_for(lambda r: len([x for x in r if x.path == path("answerCallbackQuery")]) >= 3)
    time.sleep(2)
    assert user_texts(telegram_server, traveller) == []

    press = callback_update(traveller, hotel_button["callback_data"])
    post(telegram_server, press)
    post(telegram_server, press)  # re-delivered
    answer = replies(rasa_api, traveller, at_least=3)
    assert "城市" in answer[2]["text"]
    assert user_texts(telegram_server, traveller) == ["/search_hotel"]  # the offered payload, as an intent
    answered = [r.param("callback_query_id") for r in rasa_api.requests_to(path("answerCallbackQuery"))]
    assert answered.count(press["callback_query"]["id"]) == 1


@pytest.mark.model
def test_redelivered_update_is_answered_once(telegram_server: Dict, rasa_api: RecordingServer) -> None:
    traveller = new_user()
    update = text_update(traveller, "你好")
    assert [post(telegram_server, update).status_code for _ in range(3)] == [200, 200, 200]
    assert len(replies(rasa_api, traveller)) == 1
    assert user_texts(telegram_server, traveller) == ["你好"]
