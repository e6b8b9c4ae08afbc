"""WeChat Official Account channel: real WeChat XML through the real Sanic app and wechatpy.

Payloads are the official documentation's samples (tests/channels/wechat_samples/),
signed with wechatpy's signer and, in safe mode, encrypted with wechatpy's WeChatCrypto
using the AppID and EncodingAESKey of WeChat's encryption guide. The customer-service
API is the recording server on 127.0.0.1, so the tests see exactly what WeChat would
receive.

Tests without a model run the channel in a Sanic server, registered by Rasa's own
``register``, with a scripted bot in the agent's place (real domain, NLG and tracker
store). Tests marked ``model`` start the real Rasa server and action server twice: one
answers passively, the other (passive deadline 0) always goes through the API.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import stat
import time
import uuid
import warnings
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Optional, Tuple

import httpx
import pytest
import requests
import xmltodict
from rasa.core.channels.channel import UserMessage, register
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from sanic import Sanic
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from bot.privacy import mask_identifier
from bot.nlg import ScriptAwareNLG
from bot.text import normalize
from connectors.base import ZERO_WIDTH_SPACE, Secret, max_text_chars
from connectors.wechat import (
    MAX_BODY_BYTES,
    REPLIES,
    DeliveryError,
    OfferedButtons,
    RecentNonces,
    Rejected,
    SendAllowance,
    WeChatApi,
    WeChatConfig,
    WeChatConversations,
    WeChatInput,
    WeChatSender,
    check_query,
    render_answer,
    split_text,
)
from tests.channels.recording_server import RecordedRequest, RecordingServer
from tests.conftest import rasa_api
from tests.helpers import catalogue_hotel_names

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = Path(__file__).parent / "wechat_samples"
TOKEN = "tripdesk-test-token"
APPID = "wx5823bf96d3bd56c7"  # AppID and EncodingAESKey of WeChat's encryption guide
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
APP_SECRET = "test-app-secret"
ACCOUNT = "gh_7f083739789a"
TOKEN_PATH = "/cgi-bin/token"
SEND_PATH = "/cgi-bin/message/custom/send"
ACCESS_TOKEN = "ACCESS_TOKEN_1"
_msg_ids = itertools.count(int(time.time()) * 1000)


# --- WeChat's side: samples, signatures, encryption --------------------------------------

def new_openid() -> str:
    return "oTD" + uuid.uuid4().hex[:25]  # 28 characters, like a real openid


def sample(name: str, openid: str, **values: Any) -> str:
    """An official-format push with fresh CreateTime and MsgId."""
    fields = {"to": ACCOUNT, "openid": openid, "time": int(time.time()),
              "msg_id": next(_msg_ids), "content": "", "key": "", **values}
    return (SAMPLES / f"{name}.xml").read_text(encoding="utf-8").format(**fields)


def signature(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def signed_query(timestamp: Optional[int] = None, token: str = TOKEN) -> Dict[str, str]:
    stamp, nonce = str(timestamp if timestamp is not None else int(time.time())), uuid.uuid4().hex[:10]
    return {"signature": signature(token, stamp, nonce), "timestamp": stamp, "nonce": nonce,
            "openid": "ignored-by-the-channel"}


def encrypted(xml: str, app_id: str = APPID) -> Tuple[str, Dict[str, str]]:
    """The safe-mode envelope WeChat posts and its query (msg_signature over the ciphertext)."""
    query = signed_query()
    wrapped = WeChatCrypto(TOKEN, AES_KEY, app_id).encrypt_message(xml, query["nonce"], query["timestamp"])
    fields = xmltodict.parse(wrapped)["xml"]
    envelope = (f"<xml>\n<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>\n"
                f"<Encrypt><![CDATA[{fields['Encrypt']}]]></Encrypt>\n</xml>")
    return envelope, {**query, "encrypt_type": "aes", "msg_signature": fields["MsgSignature"]}


def passive_text(body: str, openid: str) -> str:
    """The text of a passive reply, read with wechatpy's parser; checks who it is from and to."""
    reply = parse_message(body)
    assert reply.type == "text"
    assert (reply.source, reply.target) == (ACCOUNT, openid)
    return reply.content


def decrypted_reply(body: str) -> str:
    fields = xmltodict.parse(body)["xml"]
    return WeChatCrypto(TOKEN, AES_KEY, APPID).decrypt_message(
        body, fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"])


def sent_to(api: RecordingServer, openid: str) -> List[Dict[str, Any]]:
    """Customer-service sends to ``openid``, as the JSON WeChat received."""
    bodies = [json.loads(r.body.decode("utf-8")) for r in api.requests_to(SEND_PATH)]
    return [b for b in bodies if b.get("touser") == openid]


def domain_answer(domain: Domain, kind: str) -> str:
    """What the channel should say for one of its own replies, from the real domain."""
    name = next(n for n in REPLIES[kind] if n in domain.responses)
    return render_answer([domain.responses[name][0]])[0]


# --- the channel in a Sanic server with a scripted bot ---------------------------------------

class ScriptedBot:
    """In the agent's place: the real domain, NLG and tracker store; answers from a script."""

    def __init__(self, domain: Domain) -> None:
        self.domain = domain
        self.nlg = ScriptAwareNLG(domain=domain)
        self.tracker_store = InMemoryTrackerStore(domain)
        self.received: List[UserMessage] = []
        self.answers: Dict[str, List[Dict[str, Any]]] = {}
        self.delay = 0.0

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        await asyncio.sleep(self.delay)
        for reply in self.answers.get(message.text or "", [{"text": f"收到：{message.text}"}]):
            await message.output_channel.send_response(message.sender_id, dict(reply))

    def texts(self, openid: str) -> List[str]:
        return [m.text or "" for m in self.received if m.sender_id == openid]

    def intents(self, openid: str) -> List[Optional[str]]:
        """The intent Rasa takes from each message's "/intent{...}" (None: the NLU model reads it).

        As the NLU pipeline does: our normaliser first, then Rasa's own command reader
        against the domain (what RegexMessageHandler runs).
        """
        return [command_intent(m.text or "", self.domain) for m in self.received if m.sender_id == openid]


def command_intent(text: str, domain: Domain) -> Optional[str]:
    with warnings.catch_warnings():  # an unknown intent warns and comes back unparsed
        warnings.simplefilter("ignore")
        read = YAMLStoryReader.unpack_regex_message(Message({TEXT: normalize(text).text}), domain=domain)
    return (read.get(INTENT) or {}).get("name")


class Harness:
    def __init__(self, url: str, bot: ScriptedBot, channel: WeChatInput, api: RecordingServer,
                 conversations: WeChatConversations, seen: List[Tuple[str, str]]) -> None:
        self.url, self.bot, self.channel, self.api = url, bot, channel, api
        self.conversations, self.seen = conversations, seen
        self.client = httpx.AsyncClient(timeout=30)
        self.server: Any = None

    async def post(self, body: Any, query: Optional[Dict[str, str]] = None) -> httpx.Response:
        return await self.client.post(f"{self.url}/webhooks/wechat/webhook",
                                      params=signed_query() if query is None else query,
                                      content=body.encode("utf-8") if isinstance(body, str) else body)

    async def say(self, openid: str, text: str) -> str:
        answer = await self.post(sample("text", openid, content=text))
        assert answer.status_code == 200
        return passive_text(answer.text, openid)

    async def drain(self) -> None:
        assert self.channel.webhook is not None
        await self.channel.webhook.drain()


Start = Callable[..., Awaitable[Harness]]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def api() -> Any:
    with RecordingServer() as server:
        server.respond(TOKEN_PATH, (200, {"access_token": ACCESS_TOKEN, "expires_in": 7200}))
        server.respond(SEND_PATH, (200, {"errcode": 0, "errmsg": "ok"}))
        yield server


def environment(api: RecordingServer, tmp_path: Path, **extra: str) -> Dict[str, str]:
    """Plaintext mode; safe mode with TRIPDESK_WECHAT_AES_KEY=AES_KEY (then plaintext is refused)."""
    return {"TRIPDESK_WECHAT_TOKEN": TOKEN, "TRIPDESK_WECHAT_APPID": APPID,
            "TRIPDESK_WECHAT_SECRET": APP_SECRET,
            "TRIPDESK_WECHAT_API_BASE": f"{api.url}/cgi-bin",
            "TRIPDESK_WECHAT_UNDELIVERED_FILE": str(tmp_path / "undelivered.jsonl"), **extra}


@pytest.fixture
async def start(domain: Domain, api: RecordingServer, tmp_path: Path,
                unused_tcp_port_factory: Callable[[], int]) -> AsyncIterator[Start]:
    """Start the channel; keyword arguments become environment variables (config read once)."""
    running: List[Tuple[Harness, Any]] = []

    async def _start(passive: str = "1.0", **env: str) -> Harness:
        config = WeChatConfig.from_environment(
            environment(api, tmp_path, TRIPDESK_WECHAT_PASSIVE_SECONDS=passive, **env))
        conversations = WeChatConversations(config.undelivered_file if config else None)
        seen: List[Tuple[str, str]] = []
        channel = WeChatInput(config, conversations,
                              WeChatApi.from_config(config) if config and config.can_send else None,
                              record=lambda channel_name, openid: seen.append((channel_name, openid)))
        Sanic.test_mode = True  # lets Sanic 21.12 start more than one app in a process
        app = Sanic(f"wechat_test_{uuid.uuid4().hex[:8]}")
        bot = ScriptedBot(domain)
        app.ctx.agent = bot
        register([channel], app, "/webhooks/")
        port = unused_tcp_port_factory()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True,
                                         access_log=False)
        await server.startup()
        await server.before_start()
        await server.start_serving()
        await server.after_start()
        harness = Harness(f"http://127.0.0.1:{port}", bot, channel, api, conversations, seen)
        harness.server = server
        running.append((harness, server))
        return harness

    yield _start
    for harness, server in running:
        if harness.channel.webhook is not None:
            await harness.drain()
        await harness.client.aclose()
        await server.before_stop()  # drains in-flight turns, as on SIGTERM
        server.close()
        await server.wait_closed()
        await server.after_stop()


@pytest.fixture
async def wechat(start: Start) -> Harness:
    return await start()


@pytest.fixture
async def safe_mode(start: Start) -> Harness:
    return await start(TRIPDESK_WECHAT_AES_KEY=AES_KEY)


# --- signatures and replays ----------------------------------------------------------------

def test_fixed_signature_vector_passes_only_inside_the_time_window() -> None:
    # sha1 of "1700000000" + "1923456789" + "tripdesk-test-token" (the three strings sorted)
    query = {"signature": "a1441486f7b0e11e49572572ba9df5a097598db6", "timestamp": "1700000000",
             "nonce": "1923456789"}
    assert query["signature"] == signature(TOKEN, "1700000000", "1923456789")
    check_query(Secret(TOKEN), query, now=1_700_000_000 + 299)
    with pytest.raises(Rejected) as stale:
        check_query(Secret(TOKEN), query, now=1_700_000_000 + 301)
    assert stale.value.status == 403
    with pytest.raises(Rejected):
        check_query(Secret("another-token"), query, now=1_700_000_000)


async def test_url_verification_echoes_echostr_only_when_signed(wechat: Harness) -> None:
    url = f"{wechat.url}/webhooks/wechat/webhook"
    good = await wechat.client.get(url, params={**signed_query(), "echostr": "5924384071270426577"})
    assert (good.status_code, good.text) == (200, "5924384071270426577")
    bad = await wechat.client.get(url, params={**signed_query(token="guess"), "echostr": "123"})
    assert bad.status_code == 403 and "123" not in bad.text


def _unsigned(query: Dict[str, str], drop: str) -> Dict[str, str]:
    return {k: v for k, v in query.items() if k != drop}


@pytest.mark.parametrize("make_query", [
    lambda: signed_query(token="not-our-token"),
    lambda: {**signed_query(), "signature": "0" * 40},
    lambda: _unsigned(signed_query(), "signature"),
    lambda: _unsigned(signed_query(), "timestamp"),
    lambda: _unsigned(signed_query(), "nonce"),
    lambda: signed_query(timestamp=int(time.time()) - 301),  # a captured request replayed later
    lambda: signed_query(timestamp=int(time.time()) + 330),  # beyond the window even on a slow run
    lambda: {**signed_query(), "timestamp": "yesterday"},
], ids=["wrong-token", "wrong-signature", "no-signature", "no-timestamp", "no-nonce", "stale",
        "future", "not-a-number"])
async def test_unsigned_or_replayed_posts_get_403_and_nothing_is_processed(
        wechat: Harness, make_query: Callable[[], Dict[str, str]]) -> None:
    openid = new_openid()
    refused = await wechat.post(sample("text", openid, content="你好"), make_query())
    assert refused.status_code == 403
    await wechat.drain()
    assert wechat.bot.received == [] and wechat.seen == []
    assert await wechat.say(openid, "你好") == "收到：你好"  # the server keeps serving


async def test_safe_mode_message_is_decrypted_and_answered_encrypted(safe_mode: Harness) -> None:
    openid = new_openid()
    envelope, query = encrypted(sample("text", openid, content="明天上海的酒店"))
    answer = await safe_mode.post(envelope, query)
    assert answer.status_code == 200
    assert passive_text(decrypted_reply(answer.text), openid) == "收到：明天上海的酒店"
    assert "明天上海" not in answer.text  # the reply travels encrypted


@pytest.mark.parametrize("tamper", ["msg_signature", "app_id"])
async def test_safe_mode_message_with_wrong_msg_signature_or_appid_gets_403(
        safe_mode: Harness, tamper: str) -> None:
    openid = new_openid()
    envelope, query = encrypted(sample("text", openid, content="你好"),
                                app_id="wx0000000000000000" if tamper == "app_id" else APPID)
    if tamper == "msg_signature":
        query["msg_signature"] = signature(TOKEN, query["timestamp"], query["nonce"], "other")
    assert (await safe_mode.post(envelope, query)).status_code == 403
    await safe_mode.drain()
    assert safe_mode.bot.received == []


@pytest.mark.parametrize("key", [AES_KEY, "a-key-that-is-not-43-characters"], ids=["key", "wrong-key"])
async def test_with_an_aes_key_configured_a_signed_plaintext_message_gets_403(
        start: Start, key: str) -> None:
    safe = await start(TRIPDESK_WECHAT_AES_KEY=key)
    openid = new_openid()
    refused = await safe.post(sample("text", openid, content="帮我取消订单 TD5NX7RB3C"))
    assert refused.status_code == 403
    await safe.drain()
    assert safe.bot.received == [] and safe.seen == []


async def test_a_replayed_query_string_with_another_body_gets_403_and_is_not_processed(
        wechat: Harness) -> None:
    openid, attacker_target = new_openid(), new_openid()
    query = signed_query()
    first = await wechat.post(sample("text", openid, content="你好"), query)
    assert passive_text(first.text, openid) == "收到：你好"
    replay = await wechat.post(sample("text", attacker_target, content="取消我的订单"), query)
    assert replay.status_code == 403
    retry = await wechat.post(sample("text", openid, content="换一句话"), query)
    assert retry.status_code == 403
    await wechat.drain()
    assert [m.text for m in wechat.bot.received] == ["你好"]


async def test_a_replayed_safe_mode_query_with_another_envelope_gets_403(safe_mode: Harness) -> None:
    openid = new_openid()
    envelope, query = encrypted(sample("text", openid, content="你好"))
    assert (await safe_mode.post(envelope, query)).status_code == 200
    # The attacker encrypts another message with the captured timestamp and nonce
    # (possible only with the key, but the query string alone must never be reusable).
    other = WeChatCrypto(TOKEN, AES_KEY, APPID).encrypt_message(
        sample("text", openid, content="取消我的订单"), query["nonce"], query["timestamp"])
    fields = xmltodict.parse(other)["xml"]
    replay = await safe_mode.post(other, {**query, "msg_signature": fields["MsgSignature"]})
    assert replay.status_code == 403
    await safe_mode.drain()
    assert [m.text for m in safe_mode.bot.received] == ["你好"]


def test_recent_nonces_forget_pairs_after_the_window_and_stay_bounded() -> None:
    nonces = RecentNonces(max_entries=2)
    assert nonces.first_use("1700000000", "n1", "body-a", now=1_700_000_000)
    assert nonces.first_use("1700000000", "n1", "body-a", now=1_700_000_001)  # WeChat's retry
    assert not nonces.first_use("1700000000", "n1", "body-b", now=1_700_000_002)
    assert nonces.first_use("1700000000", "n1", "body-b", now=1_700_000_000 + 601)  # expired
    for nonce in ("n2", "n3", "n4"):
        nonces.first_use("1700000700", nonce, "x", now=1_700_000_700)
    assert len(nonces._seen) == 2


# --- message types ----------------------------------------------------------------------------

async def test_text_reaches_rasa_as_the_openid_on_the_wechat_channel(wechat: Harness) -> None:
    openid = new_openid()
    assert await wechat.say(openid, "你好") == "收到：你好"
    message = wechat.bot.received[0]
    assert (message.sender_id, message.input_channel, message.text) == (openid, "wechat", "你好")
    assert wechat.seen == [("wechat", openid)]  # outbound knows the traveller is on WeChat
    assert wechat.api.requests == []  # answered passively: no API call


async def test_recognised_voice_is_handled_as_text(wechat: Harness) -> None:
    openid = new_openid()
    answer = await wechat.post(sample("voice_recognition", openid, content="后天北京到西安的高铁"))
    assert passive_text(answer.text, openid) == "收到：后天北京到西安的高铁"


@pytest.mark.parametrize("name,kind", [
    ("voice", "voice"), ("image", "unsupported"), ("location", "unsupported"),
    ("link", "unsupported"), ("video", "unsupported"), ("unknown", "unsupported"),
])
async def test_messages_the_bot_cannot_read_get_a_polite_reply(
        wechat: Harness, domain: Domain, name: str, kind: str) -> None:
    openid = new_openid()
    answer = await wechat.post(sample(name, openid))
    assert answer.status_code == 200
    assert passive_text(answer.text, openid) == domain_answer(domain, kind)
    await wechat.drain()
    assert wechat.bot.received == []


async def test_follow_is_greeted_with_the_numbered_main_menu(wechat: Harness, domain: Domain) -> None:
    openid = new_openid()
    wechat.bot.answers["/greet"] = [{"text": "您好！我是小达"}]
    answer = passive_text((await wechat.post(sample("subscribe", openid))).text, openid)
    menu = domain_answer(domain, "menu")
    assert answer == "您好！我是小达\n\n" + menu and "回复 1：" in menu
    assert wechat.bot.texts(openid) == ["/greet"] and wechat.bot.intents(openid) == ["greet"]
    await wechat.say(openid, "1")
    first = next(n for n in REPLIES["menu"] if n in domain.responses)
    assert wechat.bot.texts(openid)[-1] == domain.responses[first][0]["buttons"][0]["payload"]


async def test_unfollow_is_recorded_and_not_answered(wechat: Harness, caplog: Any) -> None:
    openid = new_openid()
    with caplog.at_level(logging.INFO, logger="connectors.wechat"):
        answer = await wechat.post(sample("unsubscribe", openid))
    assert (answer.status_code, answer.text) == (200, "success")
    records = [r for r in caplog.records if hasattr(r, "wechat_unsubscribe")]
    assert [r.wechat_unsubscribe["openid"] for r in records] == [mask_identifier(openid)]  # logs mask it
    await wechat.drain()
    assert wechat.bot.received == []


async def test_menu_click_becomes_its_intent_and_an_unknown_key_shows_the_menu(
        wechat: Harness, domain: Domain) -> None:
    openid = new_openid()
    await wechat.post(sample("click", openid, key="SEARCH_HOTEL"))
    assert wechat.bot.texts(openid) == ["/search_hotel"]
    assert wechat.bot.intents(openid) == ["search_hotel"]  # read as the intent, not left to NLU
    unknown = await wechat.post(sample("click", openid, key="V1001_OLD_MENU"))
    assert passive_text(unknown.text, openid) == domain_answer(domain, "menu")
    assert wechat.bot.texts(openid) == ["/search_hotel"]


# --- buttons and typed commands ---------------------------------------------------------------

SEARCH_TYPE = [{"text": "请问您想查询哪一类？", "buttons": [
    {"title": "酒店", "payload": "查酒店"}, {"title": "跟团游", "payload": "/search_tour"}]}]


async def test_buttons_become_numbered_options_and_a_number_picks_one(wechat: Harness) -> None:
    openid = new_openid()
    wechat.bot.answers["帮我查"] = SEARCH_TYPE
    assert await wechat.say(openid, "帮我查") == "请问您想查询哪一类？\n回复 1：酒店\n回复 2：跟团游"
    await wechat.say(openid, "２")  # full-width digits count too
    assert wechat.bot.texts(openid)[-1] == "/search_tour"  # an offered payload goes as it is
    assert wechat.bot.intents(openid)[-1] == "search_tour"
    await wechat.say(openid, "1")  # the last answer offered nothing: 1 is just a number
    assert wechat.bot.texts(openid)[-1] == "1" and wechat.bot.intents(openid)[-1] is None


async def test_only_offered_buttons_make_payloads(wechat: Harness) -> None:
    openid, other = new_openid(), new_openid()
    wechat.bot.answers["帮我查"] = SEARCH_TYPE
    await wechat.say(openid, "帮我查")
    await wechat.say(other, "2")  # offered to someone else
    await wechat.say(openid, "3")  # not offered
    await wechat.say(openid, '/inform{"booking_ref": "TD2X7K9QPM"}')
    assert wechat.bot.texts(other) == ["2"]
    assert wechat.bot.texts(openid)[1:] == ["3", ZERO_WIDTH_SPACE + '/inform{"booking_ref": "TD2X7K9QPM"}']
    assert wechat.bot.intents(openid) == [None, None, None]  # all three left to NLU


# --- retries, the 5-second window and the customer-service API -------------------------------------

async def test_a_retried_msgid_gets_the_same_passive_reply_and_is_processed_once(wechat: Harness) -> None:
    openid = new_openid()
    push = sample("text", openid, content="你好")
    first, retry = await asyncio.gather(wechat.post(push), wechat.post(push))
    late_retry = await wechat.post(push)
    texts = {passive_text(r.text, openid) for r in (first, retry, late_retry)}
    assert texts == {"收到：你好"}
    assert wechat.bot.texts(openid) == ["你好"]


async def test_slow_answer_is_acknowledged_and_sent_once_through_the_api(start: Start) -> None:
    wechat = await start(passive="0.2")
    wechat.bot.delay = 0.8
    openid = new_openid()
    push = sample("text", openid, content="明天杭州的酒店")
    began = time.monotonic()
    first = await wechat.post(push)
    assert (first.status_code, first.text) == (200, "success")
    assert time.monotonic() - began < 0.7  # WeChat got its answer before the bot finished
    assert (await wechat.post(push)).text == "success"  # WeChat's retry while the bot works
    await wechat.drain()
    assert (await wechat.post(push)).text == "success"  # and one after the answer went out
    await wechat.drain()
    sends = wechat.api.requests_to(SEND_PATH)
    assert len(sends) == 1 and sends[0].method == "POST"
    assert sends[0].query["access_token"] == [ACCESS_TOKEN]
    assert json.loads(sends[0].body) == {"touser": openid, "msgtype": "text",
                                         "text": {"content": "收到：明天杭州的酒店"}}
    token_calls = wechat.api.requests_to(TOKEN_PATH)
    assert len(token_calls) == 1 and token_calls[0].method == "GET"
    assert token_calls[0].query == {"grant_type": ["client_credential"], "appid": [APPID],
                                    "secret": [APP_SECRET]}
    assert wechat.bot.texts(openid) == ["明天杭州的酒店"]


async def test_an_acknowledged_message_is_answered_before_the_server_stops(start: Start) -> None:
    wechat = await start(passive="0.1")
    wechat.bot.delay = 1.5
    openid = new_openid()
    assert (await wechat.post(sample("text", openid, content="明天杭州的酒店"))).text == "success"
    assert sent_to(wechat.api, openid) == []  # WeChat has its answer; the turn goes on
    await wechat.server.before_stop()  # what Sanic runs on SIGTERM, before closing the loop
    assert [b["text"]["content"] for b in sent_to(wechat.api, openid)] == ["收到：明天杭州的酒店"]


async def test_turns_of_one_traveller_run_in_order(start: Start) -> None:
    wechat = await start(passive="0.1")
    wechat.bot.delay = 0.3
    openid = new_openid()
    for text in ("第一句", "第二句", "第三句"):
        assert (await wechat.post(sample("text", openid, content=text))).text == "success"
    await wechat.drain()
    assert [b["text"]["content"] for b in sent_to(wechat.api, openid)] == [
        "收到：第一句", "收到：第二句", "收到：第三句"]


async def test_a_multi_bubble_answer_is_merged_into_one_reply(wechat: Harness) -> None:
    openid = new_openid()
    wechat.bot.answers["两个人"] = [{"text": "为您找到 3 家酒店：\n\n1. 外滩酒店 ¥680"},
                                   {"text": "需要我帮您预订吗？"}]
    assert await wechat.say(openid, "两个人") == "为您找到 3 家酒店：\n\n1. 外滩酒店 ¥680\n\n需要我帮您预订吗？"


async def test_an_answer_longer_than_one_reply_goes_out_in_parts_of_2048_bytes(wechat: Harness) -> None:
    openid = new_openid()
    lines = [f"第{i}家：上海外滩悦榕酒店，高级大床房，含双早，每晚 ¥1280，可免费取消。" for i in range(60)]
    wechat.bot.answers["全部酒店"] = [{"text": "\n".join(lines)}]
    answer = await wechat.post(sample("text", openid, content="全部酒店"))
    assert answer.text == "success"  # one passive reply cannot carry it
    await wechat.drain()
    parts = [b["text"]["content"] for b in sent_to(wechat.api, openid)]
    assert 1 < len(parts) <= 5
    assert all(len(p.encode("utf-8")) <= 2048 for p in parts)
    assert "\n".join(parts) == "\n".join(lines)  # cut between lines, nothing lost


async def test_an_answer_beyond_the_quota_is_sent_up_to_it_and_the_rest_recorded(wechat: Harness) -> None:
    openid = new_openid()
    wechat.bot.answers["全部"] = [{"text": "\n".join(["很长的一行行程说明。" * 20] * 40)}]
    await wechat.post(sample("text", openid, content="全部"))
    await wechat.drain()
    assert len(sent_to(wechat.api, openid)) == 5  # WeChat's quota per traveller message
    [missed] = wechat.conversations.undelivered.entries
    assert missed.openid == openid and "quota" in missed.reason and missed.text


async def test_an_expired_access_token_is_refreshed_once_and_the_send_repeated(start: Start) -> None:
    wechat = await start(passive="0")
    wechat.api.respond(SEND_PATH, (200, {"errcode": 42001, "errmsg": "access_token expired"}),
                       (200, {"errcode": 0, "errmsg": "ok"}))
    openid = new_openid()
    await wechat.post(sample("text", openid, content="你好"))
    await wechat.drain()
    assert len(wechat.api.requests_to(TOKEN_PATH)) == 2
    assert len(sent_to(wechat.api, openid)) == 2
    assert wechat.conversations.undelivered.entries == []


async def test_an_answer_wechat_refuses_is_recorded_not_dropped(start: Start, tmp_path: Path,
                                                                 caplog: Any) -> None:
    wechat = await start(passive="0")
    wechat.api.respond(SEND_PATH, (200, {"errcode": 45015, "errmsg": "response out of time limit"}))
    openid = new_openid()
    with caplog.at_level(logging.WARNING, logger="connectors.wechat"):
        await wechat.post(sample("text", openid, content="你好"))
        await wechat.drain()
    [missed] = wechat.conversations.undelivered.entries
    assert (missed.openid, missed.text, missed.retryable) == (openid, "收到：你好", False)
    assert "48-hour" in missed.reason
    on_disk = [json.loads(line) for line in (tmp_path / "undelivered.jsonl").read_text().splitlines()]
    assert on_disk[0]["openid"] == mask_identifier(openid) and on_disk[0]["text"] == "收到：你好"
    assert stat.S_IMODE((tmp_path / "undelivered.jsonl").stat().st_mode) == 0o600
    assert any(getattr(r, "wechat_undelivered", None) for r in caplog.records)


async def test_without_appid_and_secret_a_slow_answer_is_recorded(start: Start) -> None:
    wechat = await start(passive="0", TRIPDESK_WECHAT_APPID="", TRIPDESK_WECHAT_SECRET="")
    openid = new_openid()
    assert (await wechat.post(sample("text", openid, content="你好"))).text == "success"
    await wechat.drain()
    [missed] = wechat.conversations.undelivered.entries
    assert "TRIPDESK_WECHAT_APPID" in missed.reason and missed.text == "收到：你好"
    assert wechat.api.requests == []


# --- bad input --------------------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE xml [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>
<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>&lol3;</Content>
<MsgId>1</MsgId></xml>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh_7f083739789a</ToUserName><FromUserName>{openid}</FromUserName>
<CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>&secret;</Content><MsgId>2</MsgId></xml>"""


def _without(xml: str, element: str) -> str:
    start, end = xml.index(f"<{element}>"), xml.index(f"</{element}>") + len(element) + 3
    return xml[:start] + xml[end:]


@pytest.mark.parametrize("make_body,status", [
    (lambda o: "<xml><ToUserName>gh_1</ToUserName><FromUserName>", 400),
    (lambda o: "not xml at all", 400),
    (lambda o: "", 400),
    (lambda o: b"\xff\xfe<xml></xml>", 400),
    (lambda o: _without(sample("text", o, content="你好"), "FromUserName"), 400),
    (lambda o: _without(sample("text", o, content="你好"), "MsgType"), 400),
    (lambda o: _without(sample("text", o, content="你好"), "CreateTime"), 400),
    (lambda o: sample("text", o, content="你好").replace("<Content>", "<Content><b>x</b>"), 400),
    (lambda o: sample("text", "../../etc", content="你好"), 400),
    (lambda o: sample("text", o, content="A\x01B"), 400),  # not allowed in XML 1.0
    (lambda o: BILLION_LAUGHS.replace("{openid}", o), 400),
    (lambda o: EXTERNAL_ENTITY.replace("{openid}", o), 400),
    (lambda o: sample("text", o, content="长" * (MAX_BODY_BYTES // 3 + 1)), 413),
], ids=["truncated", "not-xml", "empty", "not-utf8", "no-sender", "no-msgtype", "no-createtime",
        "nested-content", "bad-openid", "control-character", "billion-laughs", "external-entity",
        "oversize"])
async def test_bad_input_is_refused_and_the_server_keeps_serving(
        wechat: Harness, make_body: Callable[[str], Any], status: int) -> None:
    openid = new_openid()
    refused = await wechat.post(make_body(openid))
    assert refused.status_code == status
    await wechat.drain()
    assert wechat.bot.received == []
    assert await wechat.say(openid, "你好") == "收到：你好"


async def test_unknown_encrypt_type_is_refused(wechat: Harness) -> None:
    openid = new_openid()
    answer = await wechat.post(sample("text", openid, content="你好"),
                               {**signed_query(), "encrypt_type": "rot13"})
    assert answer.status_code == 400


async def test_empty_text_gets_a_polite_reply(wechat: Harness, domain: Domain) -> None:
    openid = new_openid()
    answer = await wechat.post(sample("text", openid, content="  "))
    assert passive_text(answer.text, openid) == domain_answer(domain, "empty")
    assert wechat.bot.received == []


async def test_a_10000_character_message_is_refused_politely_never_cut(
        wechat: Harness, domain: Domain) -> None:
    openid = new_openid()
    answer = await wechat.post(sample("text", openid, content="订" * 10_000))
    assert answer.status_code == 200
    limit = max_text_chars("wechat")
    told = passive_text(answer.text, openid)
    assert told == domain_answer(domain, "too_long").format(max_chars=limit) and str(limit) in told
    assert wechat.bot.texts(openid) == []
    assert (await wechat.post(sample("text", openid, content="订" * limit))).status_code == 200
    await wechat.drain()  # at the limit: passed on whole
    assert wechat.bot.texts(openid) == ["订" * limit]


async def test_a_traveller_over_the_rate_is_told_once_then_the_flood_gets_no_answer(
        start: Start, domain: Domain, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPDESK_RATE_PER_SENDER", "2/60")
    wechat = await start()
    openid, other = new_openid(), new_openid()
    first = [await wechat.say(openid, f"第{i}句") for i in range(2)]
    told = await wechat.post(sample("text", openid, content="第3句"))
    flood = await wechat.post(sample("text", openid, content="第4句"))
    assert first == ["收到：第0句", "收到：第1句"]
    assert passive_text(told.text, openid) == domain_answer(domain, "too_many")
    assert (flood.status_code, flood.text) == (200, "success")
    assert await wechat.say(other, "你好") == "收到：你好"
    assert wechat.bot.texts(openid) == ["第0句", "第1句"]


async def test_emoji_pass_and_control_characters_are_removed(wechat: Harness) -> None:
    openid = new_openid()
    await wechat.post(sample("text", openid, content="明天\t上海🏨👨‍👩‍👧酒店\x7f\x85"))
    assert wechat.bot.texts(openid) == ["明天\t上海🏨👨‍👩‍👧酒店"]  # tab and newline are kept


async def test_a_reply_with_xml_breaking_text_stays_well_formed(wechat: Harness) -> None:
    openid = new_openid()
    wechat.bot.answers["特殊"] = [{"text": "价格 <¥680> & 含早]]>请确认\x0b"}]
    assert await wechat.say(openid, "特殊") == "价格 <¥680> & 含早]]>请确认"


async def test_without_the_token_the_channel_answers_503_and_names_the_setting(
        start: Start, caplog: Any) -> None:
    wechat = await start(TRIPDESK_WECHAT_TOKEN="")
    with caplog.at_level(logging.WARNING, logger="connectors.wechat"):
        answer = await wechat.post(sample("text", new_openid(), content="你好"))
    assert answer.status_code == 503 and "TRIPDESK_WECHAT_TOKEN" in answer.text
    assert any("TRIPDESK_WECHAT_TOKEN" in r.getMessage() for r in caplog.records)
    health = await wechat.client.get(f"{wechat.url}/webhooks/wechat/")
    assert health.status_code == 503


# --- outbound sender --------------------------------------------------------------------------

def sender_for(api: RecordingServer, tmp_path: Path, clock: Callable[[], float] = time.time,
               **env: str) -> WeChatSender:
    config = WeChatConfig.from_environment(environment(api, tmp_path, **env))
    assert config is not None
    return WeChatSender(WeChatApi.from_config(config), WeChatConversations(None, clock))


async def test_sender_sends_text_and_numbered_buttons_in_one_message(api: RecordingServer,
                                                                    tmp_path: Path) -> None:
    sender = sender_for(api, tmp_path)
    openid = new_openid()
    await sender.send(openid, "您的退款已到账，请问还需要什么帮助？",
                      [{"title": "查订单", "payload": "/check_booking"}, {"title": "转人工", "payload": "转人工"}])
    [sent] = sent_to(api, openid)
    assert sent["text"]["content"] == "您的退款已到账，请问还需要什么帮助？\n回复 1：查订单\n回复 2：转人工"
    assert sender.conversations.offers.payload_for(openid, "1") == "/check_booking"
    assert sender.channel == "wechat"


@pytest.mark.parametrize("errcode,retryable", [(45015, False), (45047, False), (43004, False),
                                               (45009, True), (-1, True), (40164, False)])
async def test_sender_failures_say_whether_a_retry_may_help(
        api: RecordingServer, tmp_path: Path, errcode: int, retryable: bool) -> None:
    api.respond(SEND_PATH, (200, {"errcode": errcode, "errmsg": "refused"}))
    with pytest.raises(DeliveryError) as failure:
        await sender_for(api, tmp_path).send(new_openid(), "您好", [])
    assert failure.value.retryable is retryable and str(errcode) in failure.value.reason


async def test_sender_reports_an_unreachable_api_as_retryable(tmp_path: Path) -> None:
    with RecordingServer() as closed:
        url = closed.url
    config = WeChatConfig.from_environment({"TRIPDESK_WECHAT_TOKEN": TOKEN, "TRIPDESK_WECHAT_APPID": APPID,
                                            "TRIPDESK_WECHAT_SECRET": APP_SECRET,
                                            "TRIPDESK_WECHAT_API_BASE": f"{url}/cgi-bin/"})
    assert config is not None
    sender = WeChatSender(WeChatApi.from_config(config), WeChatConversations())
    with pytest.raises(DeliveryError) as failure:
        await sender.send(new_openid(), "您好", [])
    assert failure.value.retryable


async def test_sender_respects_the_48_hour_window_without_calling_wechat(api: RecordingServer,
                                                                         tmp_path: Path) -> None:
    now = [1_700_000_000.0]
    sender = sender_for(api, tmp_path, clock=lambda: now[0])
    openid = new_openid()
    sender.conversations.allowance.grant(openid, "message")
    now[0] += 48 * 3600 + 1
    with pytest.raises(DeliveryError) as failure:
        await sender.send(openid, "您的行程明天出发，请带好证件。", [])
    assert not failure.value.retryable and "48-hour" in failure.value.reason
    assert api.requests == []


@pytest.mark.services
async def test_access_token_cached_in_redis_is_shared_by_processes(api: RecordingServer,
                                                                   tmp_path: Path) -> None:
    import redis

    url = os.environ.get("TRIPDESK_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    app_id = f"wx{uuid.uuid4().hex[:16]}"
    first = sender_for(api, tmp_path, TRIPDESK_REDIS_URL=url, TRIPDESK_WECHAT_APPID=app_id)
    second = sender_for(api, tmp_path, TRIPDESK_REDIS_URL=url, TRIPDESK_WECHAT_APPID=app_id)
    try:
        await first.send(new_openid(), "您好", [])
        await second.send(new_openid(), "您好", [])  # another process: the token comes from Redis
        assert len(api.requests_to(TOKEN_PATH)) == 1
        assert [r.query["access_token"] for r in api.requests_to(SEND_PATH)] == [[ACCESS_TOKEN]] * 2
    finally:
        redis.Redis.from_url(url).delete(f"tripdesk:wechat:{app_id}_access_token")


def test_config_from_environment_masks_secrets_and_rejects_a_wrong_aes_key(caplog: Any) -> None:
    config = WeChatConfig.from_environment({
        "TRIPDESK_WECHAT_TOKEN": TOKEN, "TRIPDESK_WECHAT_APPID": APPID,
        "TRIPDESK_WECHAT_SECRET": APP_SECRET, "TRIPDESK_WECHAT_AES_KEY": "too-short",
        "TRIPDESK_REDIS_URL": "redis://:hunter2@localhost:6379/0"})
    assert config is not None
    shown = repr(config)
    assert TOKEN not in shown and APP_SECRET not in shown and "hunter2" not in shown
    assert config.crypto() is None and any("TRIPDESK_WECHAT_AES_KEY" in r.getMessage()
                                           for r in caplog.records)
    assert WeChatConfig.from_environment({}) is None


# --- text shaping (direct calls) ------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "短消息",
    "行" * 700,  # 2100 bytes, no break at all: a hard cut between characters
    ("第一段说明。" * 60 + "\n") * 4,
    "👨‍👩‍👧" * 200 + "a" * 10,  # ZWJ family emoji must not be split
    "a" * 2047 + "é" + "b",  # a two-byte character straddling the limit
])
def test_split_text_keeps_every_part_within_2048_bytes_and_loses_nothing(text: str) -> None:
    parts = split_text(text)
    assert all(0 < len(part.encode("utf-8")) <= 2048 for part in parts)
    assert "".join("".join(p.split()) for p in parts) == "".join(text.split())


def test_split_text_prefers_a_newline_then_a_sentence_end() -> None:
    first, second = "甲" * 500, "乙" * 300
    assert split_text(first + "\n" + second) == [first, second]
    sentence = "这是一句完整的话。" * 80
    parts = split_text(sentence)
    assert all(part.endswith("。") for part in parts)


def test_split_text_never_cuts_inside_a_zwj_sequence() -> None:
    family = "👨‍👩‍👧"
    for part in split_text(family * 200):
        assert part.replace(family, "") == ""


def test_render_answer_numbers_buttons_across_messages_and_skips_incomplete_ones() -> None:
    text, offered = render_answer([
        {"text": "请选择", "buttons": [{"title": "酒店", "payload": "查酒店"}, {"title": "无效"}]},
        {"image": "https://example.com/map.png"},
        {"text": "或者", "buttons": [{"title": "转人工", "payload": "转人工"}]},
    ])
    assert text == "请选择\n回复 1：酒店\n\nhttps://example.com/map.png\n\n或者\n回复 2：转人工"
    assert [b["payload"] for b in offered] == ["查酒店", "转人工"]


def test_offered_buttons_expire_and_stay_bounded() -> None:
    now = [0.0]
    offers = OfferedButtons(max_travellers=2, ttl=60, clock=lambda: now[0])
    for openid in ("a", "b", "c"):
        offers.remember(openid, [{"title": "酒店", "payload": f"查酒店-{openid}"}])
    assert offers.payload_for("a", "1") is None  # the oldest traveller was forgotten
    assert offers.payload_for("c", " 1。") == "查酒店-c"
    now[0] = 61
    assert offers.payload_for("c", "1") is None


def test_a_title_typed_off_the_list_is_that_button() -> None:
    offers = OfferedButtons()
    offers.remember("a", [{"title": "支付问题", "payload": "/payment_issue"}, {"title": "转人工", "payload": "/request_human"}])
    assert offers.payload_for("a", "支付问题") == "/payment_issue"
    assert offers.payload_for("a", " 支付问题。") == "/payment_issue"
    assert offers.payload_for("a", "支付问题怎么办") is None  # a sentence is a sentence


def test_allowance_follows_wechat_quota_rules() -> None:
    now = [0.0]
    allowance = SendAllowance(clock=lambda: now[0])
    assert allowance.refusal("unknown") is None  # left to WeChat
    allowance.grant("o", "menu")
    for _ in range(3):
        assert allowance.refusal("o") is None
        allowance.spend("o")
    assert "quota" in (allowance.refusal("o") or "")
    allowance.grant("o", "message")
    assert allowance.available("o") == 5
    now[0] = 48 * 3600 + 1
    assert "48-hour" in (allowance.refusal("o") or "")


# --- the real Rasa server and action server (trained model) ------------------------------------

def _seeded_database(url: str) -> None:
    from bot.booking.seed import seed
    from bot.booking.store import BookingStore

    store = BookingStore(url)
    try:
        seed(store, demo=True)
    finally:
        store.close()


SAFE_MODE_PORTS: set = set()  # real servers configured with the EncodingAESKey


@pytest.fixture(scope="module")
def real(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Two Rasa servers with the WeChat channel: passive replies (4.5 s, safe mode) and
    API-only (0 s, plaintext mode)."""
    from bot.cli import start_services, stop_services
    from tests.conftest import free_port, wait_until_ready

    log_dir = tmp_path_factory.mktemp("wechat-servers")
    recording = RecordingServer().__enter__()
    recording.respond(TOKEN_PATH, (200, {"access_token": ACCESS_TOKEN, "expires_in": 7200}))
    recording.respond(SEND_PATH, (200, {"errcode": 0, "errmsg": "ok"}))
    env = {**environment(recording, log_dir), "DATABASE_URL": f"sqlite:///{log_dir / 'tripdesk.db'}"}
    saved = {key: os.environ.get(key) for key in
             [*env, "TRIPDESK_WECHAT_PASSIVE_SECONDS", "TRIPDESK_TRACKER_DB", "TRIPDESK_WECHAT_AES_KEY"]}
    os.environ.update(env)
    _seeded_database(env["DATABASE_URL"])
    servers: Dict[str, Dict[str, Any]] = {}
    try:
        for name, passive in (("passive", "4.5"), ("slow", "0")):
            (log_dir / name).mkdir()
            os.environ["TRIPDESK_WECHAT_PASSIVE_SECONDS"] = passive
            os.environ["TRIPDESK_WECHAT_AES_KEY"] = AES_KEY if name == "passive" else ""
            os.environ["TRIPDESK_TRACKER_DB"] = str(log_dir / name / "tracker.db")
            port, action_port = free_port(), free_port()
            if name == "passive":
                SAFE_MODE_PORTS.add(port)
            servers[name] = {"port": port, "action_port": action_port, "log_dir": log_dir / name,
                             "processes": start_services(port=port, action_port=action_port,
                                                         log_dir=log_dir / name)}
        for server in servers.values():
            wait_until_ready(server["port"], server["action_port"], server["processes"], server["log_dir"],
                             timeout=600)  # two servers start at once on a loaded machine
        yield {"api": recording, "database_url": env["DATABASE_URL"],
               **{name: s["port"] for name, s in servers.items()}}
    finally:
        for server in servers.values():
            stop_services(server["processes"])
        recording.__exit__()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def post_real(port: int, body: str, query: Optional[Dict[str, str]] = None) -> requests.Response:
    """A signed push; encrypted as WeChat does when the server runs in safe mode."""
    if query is None and port in SAFE_MODE_PORTS:
        body, query = encrypted(body)
    return requests.post(f"http://127.0.0.1:{port}/webhooks/wechat/webhook",
                         params=signed_query() if query is None else query,
                         data=body.encode("utf-8"), timeout=30)


def reply_text(answer: requests.Response, openid: str) -> str:
    """The passive reply's text, decrypted when it came in safe mode."""
    body = decrypted_reply(answer.text) if "<Encrypt>" in answer.text else answer.text
    return passive_text(body, openid)


def say_real(port: int, openid: str, text: str) -> str:
    answer = post_real(port, sample("text", openid, content=text))
    assert answer.status_code == 200, answer.text
    return reply_text(answer, openid)


def tracker(port: int, openid: str) -> Dict[str, Any]:
    return rasa_api(port, f"/conversations/{openid}/tracker")


def user_texts(port: int, openid: str) -> List[str]:
    return [e.get("text") or "" for e in tracker(port, openid)["events"] if e["event"] == "user"]


@pytest.mark.model
def test_real_bot_answers_greeting_and_hotel_search_passively(real: Dict[str, Any]) -> None:

    openid = new_openid()
    assert "途达" in say_real(real["passive"], openid, "你好")
    results = say_real(real["passive"], openid, "明天上海有什么酒店")  # browsing asks no party size
    shanghai = catalogue_hotel_names(real["database_url"], "上海")
    assert sum(name in results for name in shanghai) == 3
    assert sent_to(real["api"], openid) == []
    assert tracker(real["passive"], openid)["sender_id"] == openid


@pytest.mark.model
def test_real_bot_greets_a_follower_and_a_number_picks_the_menu_option(
        real: Dict[str, Any], domain: Domain) -> None:
    openid = new_openid()
    welcome = reply_text(post_real(real["passive"], sample("subscribe", openid)), openid)
    assert "途达" in welcome and welcome.endswith(domain_answer(domain, "menu"))
    assert say_real(real["passive"], openid, "1")
    menu = next(n for n in REPLIES["menu"] if n in domain.responses)
    assert user_texts(real["passive"], openid)[-1] == domain.responses[menu][0]["buttons"][0]["payload"]


@pytest.mark.model
def test_real_bot_menu_click_starts_a_hotel_search(real: Dict[str, Any]) -> None:
    openid = new_openid()
    answer = post_real(real["passive"], sample("click", openid, key="SEARCH_HOTEL"))
    assert reply_text(answer, openid)
    assert tracker(real["passive"], openid)["latest_message"]["intent"]["name"] == "search_hotel"


@pytest.mark.model
def test_real_bot_treats_typed_commands_as_text(real: Dict[str, Any]) -> None:
    openid = new_openid()
    say_real(real["passive"], openid, "明天杭州的酒店")
    say_real(real["passive"], openid, '/inform{"city": "北京"}')
    say_real(real["passive"], openid, "/restart")
    state = tracker(real["passive"], openid)
    assert not any(e["event"] == "restart" for e in state["events"])
    assert state["slots"].get("search_city") == "杭州"


@pytest.mark.model
def test_real_bot_answers_a_safe_mode_message_encrypted(real: Dict[str, Any]) -> None:
    openid = new_openid()
    envelope, query = encrypted(sample("text", openid, content="你好"))
    answer = post_real(real["passive"], envelope, query)
    assert answer.status_code == 200
    assert "途达" in passive_text(decrypted_reply(answer.text), openid)
    plaintext = post_real(real["passive"], sample("text", openid, content="你好"), signed_query())
    assert plaintext.status_code == 403  # the key is configured: safe mode only


@pytest.mark.model
def test_real_bot_refuses_an_entity_bomb_and_keeps_serving(real: Dict[str, Any]) -> None:
    openid = new_openid()
    assert post_real(real["passive"], BILLION_LAUGHS.replace("{openid}", openid)).status_code == 400
    assert post_real(real["passive"], sample("text", openid, content="你好"),
                     signed_query(token="wrong")).status_code == 403
    assert "途达" in say_real(real["passive"], openid, "你好")


@pytest.mark.model
def test_real_slow_answer_goes_once_through_the_customer_service_api(real: Dict[str, Any]) -> None:
    openid = new_openid()
    push = sample("text", openid, content="你好")
    assert post_real(real["slow"], push).text == "success"
    assert post_real(real["slow"], push).text == "success"  # WeChat's retry of the same MsgId
    real["api"].wait_for(lambda rs: len([r for r in rs if _to(r, openid)]) >= 1, timeout=60)
    time.sleep(2)  # a duplicate would have arrived by now
    [sent] = sent_to(real["api"], openid)
    assert sent["msgtype"] == "text" and "途达" in sent["text"]["content"]
    [request] = [r for r in real["api"].requests_to(SEND_PATH) if _to(r, openid)]
    assert request.method == "POST" and request.query["access_token"] == [ACCESS_TOKEN]
    assert user_texts(real["slow"], openid) == ["你好"]


def _to(request: RecordedRequest, openid: str) -> bool:
    return request.path == SEND_PATH and json.loads(request.body or b"{}").get("touser") == openid
