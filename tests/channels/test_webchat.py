"""The website widget's channel: signed sessions, bounded input, buttons, history, later sends.

Against real servers and the real python-socketio client: the model-marked tests talk
to the running Rasa server (the shared ``bot_server`` fixture, credentials.yml as in
production); the later-send tests run the channel in a real Sanic app with a real Rasa
Agent and tracker store, without a model, because the sender lives in the server's
process. Nothing of Rasa or socket.io is mocked.
"""
from __future__ import annotations

import asyncio
import os
import stat
import time
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Optional

import aiohttp
import pytest
import requests
import socketio
import yaml
from rasa.core.agent import Agent
from rasa.core.channels.channel import register
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from sanic import Sanic

from bot.contacts import hotline, hotline_values
from connectors.webchat import DeliveryError, WebchatInput, WebchatSender
from connectors.base import REFUSAL_RESPONSES
from connectors.webchat.messages import clean_text, domain_text, read_inbound
from connectors.webchat.sessions import SECRET_ENV, SessionSigner, WebchatSecret, load_secret
from tests.conftest import ROOT, free_port

SOCKET_PATH = "/webhooks/webchat/socket.io"
REPLY_TIMEOUT = 60.0

# python-engineio 4.15's asyncio websocket transport asks for aiohttp.ClientWSTimeout,
# which arrived in aiohttp 3.10; rasa 3.6 pins aiohttp 3.9, whose ws_connect takes the
# close timeout as a float. Give the test client that float (the browser test uses the
# real JavaScript client).
if not hasattr(aiohttp, "ClientWSTimeout"):
    aiohttp.ClientWSTimeout = lambda ws_close=None, ws_receive=None: ws_close or 10.0  # type: ignore


class Traveller:
    """A widget session as the browser holds it, over the real socket.io client."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.token = token
        self.session_id = token.split(".")[0]
        self.http = aiohttp.ClientSession()
        self.client = socketio.AsyncClient(reconnection=False, http_session=self.http)
        self.events: "asyncio.Queue[tuple]" = asyncio.Queue()
        self.refusal: Optional[Any] = None
        for name in ("session_confirm", "bot_uttered", "typing", "user_echo"):
            self.client.on(name, self._collector(name))
        self.client.on("connect_error", self._refused)

    def _collector(self, name: str):
        async def collect(data: Any = None) -> None:
            await self.events.put((name, data))
        return collect

    async def _refused(self, data: Any = None) -> None:
        self.refusal = data

    async def connect(self) -> List[Dict[str, Any]]:
        """Connect, ask for the session, and return the transcript it confirms."""
        await self.client.connect(self.base, socketio_path=SOCKET_PATH, transports=["websocket"],
                                  auth={"session_token": self.token})
        await self.client.emit("session_request", {})
        name, data = await self.next_event("session_confirm")
        return data["messages"]

    async def next_event(self, wanted: str) -> tuple:
        while True:
            name, data = await asyncio.wait_for(self.events.get(), REPLY_TIMEOUT)
            if name == wanted:
                return name, data

    async def send(self, data: Any) -> Dict[str, Any]:
        """One message; returns the ack and the bubbles shown until the bot stops typing."""
        ack = await self.client.call("user_uttered", data, timeout=REPLY_TIMEOUT)
        bubbles: List[Dict[str, Any]] = []
        typing_seen = False
        while True:
            name, event = await asyncio.wait_for(self.events.get(), REPLY_TIMEOUT)
            if name == "bot_uttered":
                bubbles.append(event)
                if not ack["accepted"]:
                    break
            elif name == "typing":
                typing_seen = typing_seen or event["on"]
                if not event["on"]:
                    break
        return {"ack": ack, "bubbles": bubbles, "typing_seen": typing_seen}

    async def say(self, text: str) -> str:
        result = await self.send({"message": text})
        return "\n".join(bubble.get("text", "") for bubble in result["bubbles"])

    async def close(self) -> None:
        await self.client.disconnect()
        await self.http.close()


def new_session(base: str, token: Optional[str] = None) -> Dict[str, Any]:
    response = requests.post(f"{base}/webhooks/webchat/session", json={"session_token": token}, timeout=10)
    response.raise_for_status()
    return response.json()


def history(base: str, token: str) -> requests.Response:
    return requests.get(f"{base}/webhooks/webchat/history", headers={"Authorization": f"Bearer {token}"},
                        timeout=10)


def tracker_events(base: str, session_id: str) -> List[Dict[str, Any]]:
    response = requests.get(f"{base}/conversations/{session_id}/tracker", timeout=30,
                            params={"token": os.environ["TRIPDESK_API_TOKEN"]})
    response.raise_for_status()
    return response.json()["events"]


def forged_tokens(real: str, other: str) -> Dict[str, str]:
    """Tokens an attacker could make: another session's id under a real signature, etc."""
    session_id, issued, signature = real.split(".")
    other_id = other.split(".")[0]
    foreign = SessionSigner(WebchatSecret("not-the-servers-secret-0123456789"), 86400).issue().token
    return {
        "other session's id, my signature": f"{other_id}.{issued}.{signature}",
        "bare session id": other_id,
        "signed by another secret": foreign,
        "signature flipped": f"{session_id}.{issued}.{signature[:-1]}{'0' if signature[-1] != '0' else '1'}",
        "issue time changed": f"{session_id}.{int(issued) - 1}.{signature}",
    }


# --- sessions, input and buttons without a server ---------------------------------------

def test_issued_session_verifies_and_renewal_keeps_the_conversation() -> None:
    signer = SessionSigner(WebchatSecret("a-test-secret-of-enough-length"), max_age_seconds=3600)
    issued = signer.issue()
    assert signer.verify(issued.token) == issued.session_id
    renewed = signer.renew(issued.token)
    assert renewed is not None and renewed.session_id == issued.session_id
    assert signer.issue().session_id != issued.session_id


@pytest.mark.parametrize("token", [None, 42, "", "a.b.c", "wc" + "0" * 32, "x" * 500])
def test_malformed_tokens_are_refused(token: Any) -> None:
    signer = SessionSigner(WebchatSecret("a-test-secret-of-enough-length"), max_age_seconds=3600)
    assert signer.verify(token) is None


def test_forged_and_expired_tokens_are_refused() -> None:
    secret = WebchatSecret("a-test-secret-of-enough-length")
    signer = SessionSigner(secret, max_age_seconds=3600)
    real, other = signer.issue().token, signer.issue().token
    for how, token in forged_tokens(real, other).items():
        assert signer.verify(token) is None, how
    old = int(time.time()) - 7200
    session_id = real.split(".")[0]
    expired = f"{session_id}.{old}.{secret.sign(f'webchat-session:{session_id}.{old}')}"
    assert signer.verify(expired) is None


def test_generated_secret_is_kept_private_and_survives_a_restart(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    first = SessionSigner(load_secret(tmp_path), 3600)
    token = first.issue().token
    path = tmp_path / "webchat.secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SessionSigner(load_secret(tmp_path), 3600).verify(token)  # as after a restart
    assert "*" in repr(load_secret(tmp_path)) and path.read_text() not in repr(load_secret(tmp_path))


def test_a_short_secret_names_the_setting_to_fix(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "short")
    with pytest.raises(ValueError, match=SECRET_ENV):
        load_secret(tmp_path)


@pytest.mark.parametrize("raw, cleaned", [
    ("你好\x00\x07\x1b", "你好"),
    ("第一行\r\n第二行\t!", "第一行\n第二行 !"),
    ("\u202e明天上海\u202c的酒店", "明天上海的酒店"),
    ("\ufeff/restart", "/restart"),
    ("  😀 表情也保留  ", "😀 表情也保留"),
])
def test_control_characters_are_removed_and_the_words_kept(raw: str, cleaned: str) -> None:
    assert clean_text(raw) == cleaned


@pytest.mark.parametrize("data, refusal", [
    ({"message": "字" * 2001}, "too_long"),
    ({"message": " \n\t\x00 "}, "empty"),
    ({"message": 5}, "unreadable"),
    ("just a string", "unreadable"),
    ({"payload": "查酒店"}, "unreadable"),
    ({"message": "字" * 2000}, None),
])
def test_browser_messages_are_bounded(data: Any, refusal: Optional[str]) -> None:
    assert read_inbound(data).refusal == refusal


# --- against the running Rasa server ------------------------------------------------------

@pytest.fixture
def base(bot_server: Dict[str, Any]) -> str:
    return f"http://127.0.0.1:{bot_server['port']}"


@pytest.fixture
async def traveller(base: str) -> AsyncIterator[Traveller]:
    person = Traveller(base, new_session(base)["session_token"])
    await person.connect()
    yield person
    await person.close()


@pytest.mark.model
def test_session_endpoint_issues_renews_and_replaces_sessions(base: str) -> None:
    first = new_session(base)
    assert first["resumed"] is False and first["session_token"].startswith(first["session_id"] + ".")
    again = new_session(base, first["session_token"])
    assert again["resumed"] is True and again["session_id"] == first["session_id"]
    other = new_session(base)
    for how, token in forged_tokens(first["session_token"], other["session_token"]).items():
        replaced = new_session(base, token)
        assert replaced["resumed"] is False, how
        assert replaced["session_id"] not in (first["session_id"], other["session_id"]), how


@pytest.mark.model
async def test_forged_session_cannot_connect_or_read_history(base: str, traveller: Traveller) -> None:
    await traveller.say("你好")
    stranger = new_session(base)["session_token"]
    assert history(base, traveller.token).json()["messages"]
    for how, token in forged_tokens(stranger, traveller.token).items():
        assert history(base, token).status_code == 403, how
        intruder = Traveller(base, token)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await intruder.connect()
        await intruder.close()
        assert intruder.refusal == {"message": "invalid_session"}, how
    assert history(base, "").status_code == 403


@pytest.mark.model
async def test_greeting_gets_a_chinese_reply_while_typing_is_shown(traveller: Traveller) -> None:
    result = await traveller.send({"message": "你好"})
    assert result["ack"] == {"accepted": True}
    assert result["typing_seen"]
    reply = "".join(bubble["text"] for bubble in result["bubbles"])
    assert "您好" in reply and "途达" in reply


@pytest.mark.model
async def test_history_returns_the_conversation_after_a_reload(base: str, traveller: Traveller) -> None:
    greeting = await traveller.say("你好")
    asked = await traveller.say("明天上海有什么酒店")
    answer = await traveller.say("两个人")
    assert "上海" in asked and "1. " in asked and answer  # hotels listed at once; the party size after
    messages = history(base, traveller.token).json()["messages"]
    assert [(m["sender"], m.get("text")) for m in messages] == [
        ("user", "你好"), ("bot", greeting), ("user", "明天上海有什么酒店"), ("bot", asked),
        ("user", "两个人"), ("bot", answer),
    ]
    await traveller.close()
    reloaded = Traveller(base, new_session(base, traveller.token)["session_token"])
    assert await reloaded.connect() == messages
    assert "上海" in await reloaded.say("还有便宜点的吗")
    await reloaded.close()


@pytest.mark.model
async def test_typed_commands_stay_text(base: str, traveller: Traveller) -> None:
    await traveller.say("明天杭州的酒店")
    await traveller.say("/restart")
    await traveller.say('/inform{"city": "北京"}')
    events = tracker_events(base, traveller.session_id)
    assert not any(event["event"] == "restart" for event in events)
    typed = [e for e in events if e["event"] == "user" and "/inform" in (e.get("text") or "")]
    assert typed and typed[0]["parse_data"]["intent"]["confidence"] < 1.0
    shown = [m["text"] for m in history(base, traveller.token).json()["messages"] if m["sender"] == "user"]
    assert "/restart" in shown  # the traveller sees what they typed


def offered(result: Dict[str, Any]) -> List[Dict[str, str]]:
    return [button for bubble in result["bubbles"] for button in bubble.get("buttons", [])]


@pytest.mark.model
async def test_only_a_button_the_bot_offered_sends_its_payload(base: str, traveller: Traveller) -> None:
    unoffered = await traveller.send({"payload": "/restart", "title": "你好"})
    assert "您好" in unoffered["bubbles"][0]["text"]  # read as the title the traveller saw
    await traveller.say("明天上海有什么酒店")
    assert "上海" in await traveller.say("两个人")
    rooms = offered(await traveller.send({"message": "订第一个"}))
    assert rooms, "booking a shown hotel offers its room types as buttons"
    assert "几晚" in "".join(b.get("text", "") for b in (await traveller.send(rooms[0]))["bubbles"])
    await traveller.say("住两晚")
    await traveller.say("张伟、刘芳")
    summary = await traveller.send({"message": "13800138001"})
    confirm = next(b for b in offered(summary) if b["payload"] == "/affirm")
    done = await traveller.send(confirm)
    assert "预订成功" in "".join(b.get("text", "") for b in done["bubbles"]), done
    users = [e for e in tracker_events(base, traveller.session_id) if e["event"] == "user"]
    assert "/restart" not in [e["text"] for e in users]
    assert users[-1]["text"] == "/affirm" and users[-1]["parse_data"]["intent"]["name"] == "affirm"
    shown = history(base, traveller.token).json()["messages"]
    assert [m["text"] for m in shown if m["sender"] == "user"][-1] == confirm["title"]


@pytest.mark.model
@pytest.mark.parametrize("data, polite", [
    ({"message": "长" * 10_000}, "太长"),
    ({"message": ""}, "空消息"),
    ({"message": "\x00\x01\x1b "}, "空消息"),
    ("not an object", "只能看懂文字"),
    ({"message": ["a", "list"]}, "只能看懂文字"),
])
async def test_bad_input_gets_a_polite_reply_and_the_channel_keeps_serving(
    traveller: Traveller, data: Any, polite: str
) -> None:
    refused = await traveller.send(data)
    assert refused["ack"]["accepted"] is False
    assert polite in refused["bubbles"][0]["text"]
    assert "您好" in await traveller.say("你好")


@pytest.mark.model
async def test_control_characters_are_stripped_before_the_bot_reads(base: str, traveller: Traveller) -> None:
    assert "您好" in await traveller.say("你\x00好\x1b[31m")
    users = [e for e in tracker_events(base, traveller.session_id) if e["event"] == "user"]
    assert users[-1]["text"] == "你好[31m"


# --- later sends (agent replies, surveys), in a real Sanic app without a model ---------------

async def serve(channel: WebchatInput) -> Any:
    """The channel registered as Rasa registers it, with a real Agent (no model), on a free port."""
    Sanic.test_mode = True  # lets Sanic 21.12 start more than one app in a process
    app = Sanic(f"webchat_test_{uuid.uuid4().hex[:8]}")
    app.ctx.agent = Agent(tracker_store=InMemoryTrackerStore(Domain.empty()), lock_store=InMemoryLockStore())
    register([channel], app, route="/webhooks/")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True,
                                     access_log=False)
    await server.startup()
    await server.before_start()
    await server.start_serving()
    await server.after_start()
    return server, f"http://127.0.0.1:{port}"


async def stop(server: Any) -> None:
    await server.before_stop()
    await server.close()
    await server.after_stop()


def make_channel(origins: Optional[List[str]] = None) -> WebchatInput:
    signer = SessionSigner(WebchatSecret("a-test-secret-of-enough-length"), 3600)
    return WebchatInput(signer, origins, record=lambda *_: None)


@pytest.fixture
async def channel_app() -> AsyncIterator[Dict[str, Any]]:
    channel = make_channel()
    server, base = await serve(channel)
    yield {"base": base, "channel": channel, "agent": channel.app.ctx.agent}
    await stop(server)


async def talked_before(channel_app: Dict[str, Any]) -> str:
    """A session with a conversation in the tracker store; returns its token."""
    issued = channel_app["channel"].signer.issue()
    store = channel_app["agent"].tracker_store
    tracker = await store.get_or_create_tracker(issued.session_id)
    tracker.update(UserUttered("你好"))
    await store.save(tracker)
    return issued.token


async def test_message_sent_later_reaches_an_open_widget(channel_app: Dict[str, Any]) -> None:
    token = await talked_before(channel_app)
    traveller = Traveller(channel_app["base"], token)
    await traveller.connect()
    sender = WebchatSender.from_environment()
    assert sender is not None and sender.channel == "webchat"
    buttons = [{"title": "满意", "payload": "/give_rating{\"rating\": 5}"}]
    await sender.send(traveller.session_id, "请为本次服务打分", buttons)
    _, shown = await traveller.next_event("bot_uttered")
    assert shown == {"text": "请为本次服务打分", "buttons": buttons}
    assert channel_app["channel"].offered.was_offered(traveller.session_id, buttons[0]["payload"])
    await traveller.close()


async def test_message_sent_while_away_is_shown_on_the_next_visit(channel_app: Dict[str, Any]) -> None:
    token = await talked_before(channel_app)
    session_id = token.split(".")[0]
    await WebchatSender(channel_app["channel"]).send(session_id, "客服回复：您的退款已到账")
    assert not channel_app["channel"].is_connected(session_id)
    traveller = Traveller(channel_app["base"], token)
    transcript = await traveller.connect()
    assert [(m["sender"], m["text"]) for m in transcript] == [("user", "你好"), ("bot", "客服回复：您的退款已到账")]
    await traveller.close()


async def test_a_traveller_is_told_when_the_bot_cannot_answer(channel_app: Dict[str, Any]) -> None:
    traveller = Traveller(channel_app["base"], await talked_before(channel_app))
    await traveller.connect()
    result = await traveller.send({"message": "你好"})  # this Agent has no model loaded
    assert result["ack"] == {"accepted": True}
    # The service-unavailable response of domain.yml, hotline filled in: no second copy.
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    expected = domain["utter_service_unavailable"][0]["text"].format(**hotline_values())
    assert result["bubbles"][0]["text"] == expected and hotline() in expected
    await traveller.close()


def test_every_reply_the_widget_answers_itself_is_a_domain_response(domain_dict) -> None:
    from connectors.webchat import REPLY_RESPONSES

    assert not (ROOT / "connectors" / "webchat" / "replies.yml").exists()
    for kind, names in REPLY_RESPONSES.items():
        assert any(name in domain_dict["responses"] for name in names), kind


@pytest.mark.parametrize("recipient, reason", [
    ("not-a-webchat-id", "not_a_webchat_session"),
    ("wc" + "0" * 32, "unknown_session"),
])
async def test_a_message_nobody_can_receive_is_a_delivery_error(
    channel_app: Dict[str, Any], recipient: str, reason: str
) -> None:
    with pytest.raises(DeliveryError) as failure:
        await WebchatSender(channel_app["channel"]).send(recipient, "您好")
    assert (failure.value.reason, failure.value.retryable) == (reason, False)


def test_no_sender_when_the_channel_is_not_running_here(monkeypatch) -> None:
    monkeypatch.setattr(WebchatInput, "_active", None)
    assert WebchatSender.from_environment() is None


async def test_only_allowed_sites_may_embed_the_widget_when_origins_are_set() -> None:
    channel = make_channel(["https://www.travel.example"])
    server, base = await serve(channel)
    try:
        url = f"{base}/webhooks/webchat/session"
        allowed = await asyncio.to_thread(
            requests.post, url, json={}, headers={"Origin": "https://www.travel.example"}, timeout=10)
        refused = await asyncio.to_thread(
            requests.post, url, json={}, headers={"Origin": "https://evil.example"}, timeout=10)
        assert allowed.status_code == 200 and refused.status_code == 403
        token = allowed.json()["session_token"]
        intruder = Traveller(base, token)
        intruder_connect = intruder.client.connect(
            base, socketio_path=SOCKET_PATH, transports=["websocket"],
            headers={"Origin": "https://evil.example"}, auth={"session_token": token})
        with pytest.raises(socketio.exceptions.ConnectionError):
            await intruder_connect
        await intruder.close()
        guest = Traveller(base, token)
        await guest.client.connect(base, socketio_path=SOCKET_PATH, transports=["websocket"],
                                   headers={"Origin": "https://www.travel.example"}, auth={"session_token": token})
        await guest.close()
    finally:
        await stop(server)


# --- the input policy (connectors/base.py): rates per session and per address -------------------

async def rate_limited_app(monkeypatch: pytest.MonkeyPatch, **env: str) -> Any:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    channel = make_channel()
    server, base = await serve(channel)
    return server, base, channel


async def test_a_session_over_the_rate_is_told_once_and_its_flood_is_not_passed_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    server, base, channel = await rate_limited_app(monkeypatch, TRIPDESK_RATE_PER_SENDER="2/60")
    traveller = Traveller(base, channel.signer.issue().token)
    await traveller.connect()
    passed = [(await traveller.send({"message": f"第{i}句"}))["ack"] for i in range(2)]
    told = await traveller.send({"message": "第3句"})
    flood = await traveller.client.call("user_uttered", {"message": "第4句"}, timeout=REPLY_TIMEOUT)
    assert passed == [{"accepted": True}, {"accepted": True}]
    assert told["ack"] == {"accepted": False, "reason": "too_many"}
    assert [b["text"] for b in told["bubbles"]] == [domain_text(REFUSAL_RESPONSES["too_many"])]
    assert flood == {"accepted": False, "reason": "too_many"}
    await traveller.close()
    await stop(server)


async def test_one_address_over_its_rate_is_refused_whichever_session_it_uses(
        monkeypatch: pytest.MonkeyPatch) -> None:
    server, base, channel = await rate_limited_app(monkeypatch, TRIPDESK_RATE_PER_ADDRESS="3/60")
    first, second = (Traveller(base, channel.signer.issue().token) for _ in range(2))
    await first.connect()
    await second.connect()
    acks = [(await first.send({"message": "你好"}))["ack"] for _ in range(2)]
    acks += [(await second.send({"message": "你好"}))["ack"] for _ in range(2)]
    assert [a["accepted"] for a in acks] == [True, True, True, False]
    await first.close()
    await second.close()
    await stop(server)
