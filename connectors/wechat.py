"""WeChat Official Account channel (公众号) on wechatpy: XML in, passive reply or customer-service API out.

The same shape as our other connectors: verify (``signature`` over token, timestamp and
nonce on every request, ``msg_signature`` too in AES safe mode, timestamps outside a
±5-minute window refused as replays), parse (bounded body, no DTD or entities, then
wechatpy's ``parse_message``), dedupe (``MsgId``, or ``FromUserName`` + ``CreateTime``
for events, as WeChat recommends), hand to Rasa (one turn at a time per openid), send.

WeChat waits 5 seconds for the HTTP answer and retries three times. The webhook waits
up to ``TRIPDESK_WECHAT_PASSIVE_SECONDS`` (4 s) for the bot: an answer ready by then goes
back as the passive XML reply; otherwise the webhook answers ``success`` at once and
the answer follows through the customer-service message API. A retried delivery gets
what the first processing produced and is never processed twice. The customer-service
API accepts texts of at most 2048 UTF-8 bytes (errcode 45002 beyond), only within 48
hours of the traveller's last message and only a few messages per traveller action
(5 per message, 3 per menu click or follow): answers are merged into as few parts as
the limit allows, counted against that quota, and what cannot go out is recorded
(WARNING log, :attr:`UndeliveredLog.entries`, a JSON-lines file) instead of dropped.

Buttons become numbered options ("回复 1：酒店"); a later "1" from the same traveller is
that button's payload. Typed "/intent{...}" text stays text. Menu clicks (CLICK events)
map to intents through :data:`MENU_PAYLOADS`.

Configuration comes from the environment, read once: ``TRIPDESK_WECHAT_TOKEN``
(required; without it the routes answer 503), ``TRIPDESK_WECHAT_APPID`` and
``TRIPDESK_WECHAT_SECRET`` (customer-service API; AES mode also needs the AppID),
``TRIPDESK_WECHAT_AES_KEY`` (EncodingAESKey, safe mode), ``TRIPDESK_WECHAT_API_BASE``
(default the real API), ``TRIPDESK_REDIS_URL`` (share the access token through Redis),
``TRIPDESK_WECHAT_PASSIVE_SECONDS`` and ``TRIPDESK_WECHAT_UNDELIVERED_FILE``.
Operator guide: docs/channels/wechat.md.

Docs: https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html ,
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html ,
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html ,
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html ,
https://developers.weixin.qq.com/doc/offiaccount/Customer_Service/Customer_Service_Messages.html
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
import time
import unicodedata
from collections import OrderedDict, deque
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import (
    Any,
    Callable,
    Deque,
    Dict,
    List,
    Mapping,
    Optional,
    Protocol,
    Sequence,
    Text,
    Tuple,
)
from xml.parsers.expat import ExpatError

import requests
import xmltodict
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy import WeChatClient, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.events import BaseEvent
from wechatpy.exceptions import (
    InvalidAppIdException,
    InvalidSignatureException,
    WeChatClientException,
)
from wechatpy.messages import BaseMessage
from wechatpy.replies import TextReply
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.utils import WeChatSigner

from bot.outbound import Buttons, DeliveryError, record_inbound
from bot.privacy import mask_details, mask_identifier, open_private
from bot.settings import PROJECT_ROOT
from connectors.base import (
    REFUSAL_RESPONSES,
    AgentReplies,
    BackgroundWork,
    InputPolicy,
    OnNewMessage,
    RecentDeliveries,
    Replies,
    Secret,
    SenderTurns,
    as_plain_text,
    finish_on_shutdown,
    record_seen,
    run_turn,
)

log = logging.getLogger(__name__)

CHANNEL = "wechat"
ENV_TOKEN = "TRIPDESK_WECHAT_TOKEN"  # noqa: S105 - names, not secrets
ENV_APPID = "TRIPDESK_WECHAT_APPID"
ENV_SECRET = "TRIPDESK_WECHAT_SECRET"  # noqa: S105
ENV_AES_KEY = "TRIPDESK_WECHAT_AES_KEY"
ENV_API_BASE = "TRIPDESK_WECHAT_API_BASE"
ENV_REDIS_URL = "TRIPDESK_REDIS_URL"
ENV_PASSIVE_SECONDS = "TRIPDESK_WECHAT_PASSIVE_SECONDS"
ENV_UNDELIVERED_FILE = "TRIPDESK_WECHAT_UNDELIVERED_FILE"
DEFAULT_API_BASE = "https://api.weixin.qq.com/cgi-bin/"
DEFAULT_UNDELIVERED_FILE = PROJECT_ROOT / "var" / "wechat-undelivered.jsonl"

MAX_BODY_BYTES = 64 * 1024
TEXT_LIMIT_BYTES = 2048  # passive Content and customer-service text (errcode 45002 beyond)
TIMESTAMP_WINDOW_S = 300
DEFAULT_PASSIVE_S = 4.0  # WeChat gives up after 5 s
MAX_PASSIVE_S = 4.5
ROUTE_GRACE_S = 5.0  # how long a finished turn waits for the webhook to pick the route
HTTP_TIMEOUT_S = 10.0
PASSIVE, SERVICE = "passive", "service"

TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid credential / token, token expired
CREDENTIAL_ERRORS = frozenset({40001, 40013, 40125, 40164, 41002, 41004})
PERMANENT_ERRORS = {
    40003: "not an openid of this account",
    43004: "the traveller does not follow the account",
    45002: "text longer than WeChat accepts",
    45015: "outside WeChat's 48-hour customer-service window, or the traveller unfollowed",
    45047: "WeChat's customer-service quota for this traveller is used up",
    48001: "the account lacks the customer-service API permission",
}
RETRYABLE_ERRORS = {-1: "WeChat is busy", 45009: "WeChat API call limit reached"}

# WeChat's customer-service quota per traveller action: (messages, seconds).
QUOTAS = {"message": (5, 48 * 3600), "menu": (3, 60), "subscribe": (3, 60)}

# Menu CLICK events: EventKey → the payload Rasa gets. Create the menu with these keys
# (docs/channels/wechat.md); an unknown key is answered with the main menu.
MENU_PAYLOADS: Dict[str, str] = {
    "SEARCH_HOTEL": "/search_hotel",
    "SEARCH_TICKET": "/search_ticket",
    "SEARCH_TOUR": "/search_tour",
    "CHECK_BOOKING": "/check_booking",
    "REFUND_STATUS": "/refund_status",
    "MEMBERSHIP": "/membership",
    "HUMAN": "/request_human",
}
SUBSCRIBE_PAYLOAD = "/greet"  # a new follower is greeted, then shown the main menu

# What the channel answers itself: chains of domain response names, rendered by
# connectors.base.AgentReplies (the first name the domain has wins).
REPLIES: Dict[str, Tuple[str, ...]] = {
    "menu": ("utter_main_menu", "utter_ask_search_type"),
    "unsupported": ("utter_unsupported_message", "utter_out_of_scope"),
    "voice": ("utter_voice_not_recognised", "utter_unsupported_message", "utter_out_of_scope"),
    "empty": ("utter_empty_message", "utter_ask_rephrase"),
    **REFUSAL_RESPONSES,  # too_long, too_many: the input policy's answers
}
OPTION_LINE = "回复 {number}：{title}"  # one numbered button under the reply text

OPENID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# C0/C1 control characters except tab and newline (PostgreSQL cannot store NUL either).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Characters XML 1.0 cannot carry; removed from replies so the XML stays well formed.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SOFT_BREAKS = ("\n", "。！？!?；;", "，,、 ")


# --- configuration -------------------------------------------------------------------

def _optional_secret(env: Mapping[str, str], name: str) -> Optional[Secret]:
    value = env.get(name, "").strip()
    return Secret(value) if value else None


def _passive_seconds(env: Mapping[str, str]) -> float:
    raw = env.get(ENV_PASSIVE_SECONDS, "").strip()
    try:
        seconds = float(raw) if raw else DEFAULT_PASSIVE_S
    except ValueError:
        log.warning("%s=%r is not a number of seconds; using %.1f", ENV_PASSIVE_SECONDS, raw,
                    DEFAULT_PASSIVE_S)
        return DEFAULT_PASSIVE_S
    return min(max(seconds, 0.0), MAX_PASSIVE_S)


def _aes_key(env: Mapping[str, str], token: str, app_id: Optional[str]) -> Optional[Secret]:
    """The EncodingAESKey if it is usable; a wrong one is reported, not fatal."""
    key = _optional_secret(env, ENV_AES_KEY)
    if key is None:
        return None
    if not app_id:
        log.error("%s is set but %s is not: AES (safe mode) messages answer 503 until both are set",
                  ENV_AES_KEY, ENV_APPID)
        return None
    try:
        WeChatCrypto(token, key.reveal(), app_id)
    except Exception:  # the SDK asserts on length and fails on base64: same message either way
        log.error("%s must be the 43-character EncodingAESKey from the WeChat admin console; "
                  "AES (safe mode) messages answer 503 until it is fixed", ENV_AES_KEY)
        return None
    return key


@dataclass(frozen=True)
class WeChatConfig:
    """The WeChat settings, read once from the environment."""

    token: Secret
    app_id: Optional[str] = None
    app_secret: Optional[Secret] = None
    aes_key: Optional[Secret] = None
    api_base: str = DEFAULT_API_BASE
    redis_url: Optional[Secret] = None  # may carry a password
    passive_seconds: float = DEFAULT_PASSIVE_S
    undelivered_file: Optional[Path] = DEFAULT_UNDELIVERED_FILE
    aes_required: bool = False  # a key is configured (even a wrong one): plaintext is refused

    @classmethod
    def from_environment(cls, environ: Optional[Mapping[str, str]] = None) -> Optional["WeChatConfig"]:
        """The settings, or None when the token is not set (the channel is off)."""
        env = os.environ if environ is None else environ
        token = env.get(ENV_TOKEN, "").strip()
        if not token:
            return None
        app_id = env.get(ENV_APPID, "").strip() or None
        api_base = env.get(ENV_API_BASE, "").strip() or DEFAULT_API_BASE
        undelivered = env.get(ENV_UNDELIVERED_FILE, "").strip()
        return cls(
            token=Secret(token), app_id=app_id, app_secret=_optional_secret(env, ENV_SECRET),
            aes_key=_aes_key(env, token, app_id), api_base=api_base.rstrip("/") + "/",
            redis_url=_optional_secret(env, ENV_REDIS_URL), passive_seconds=_passive_seconds(env),
            undelivered_file=Path(undelivered) if undelivered else DEFAULT_UNDELIVERED_FILE,
            aes_required=bool(env.get(ENV_AES_KEY, "").strip()),
        )

    @property
    def can_send(self) -> bool:
        """Whether the customer-service API can be called (it needs AppID and AppSecret)."""
        return bool(self.app_id and self.app_secret)

    def crypto(self) -> Optional[WeChatCrypto]:
        if self.aes_key is None or not self.app_id:
            return None
        return WeChatCrypto(self.token.reveal(), self.aes_key.reveal(), self.app_id)


@lru_cache(maxsize=1)
def load_config() -> Optional[WeChatConfig]:
    """The process's settings, read from the environment once."""
    return WeChatConfig.from_environment()


def _quiet_libraries() -> None:
    """urllib3 logs request URLs at DEBUG, and the token URL carries the AppSecret."""
    logging.getLogger("urllib3.connectionpool").setLevel(logging.WARNING)


_masked = mask_identifier  # an openid as logs show it (bot/privacy.py)


# --- text ------------------------------------------------------------------------------

def clean_text(text: str) -> str:
    """Typed text as Rasa should see it: no control characters (length: the input policy)."""
    return CONTROL_CHARACTERS.sub("", text).strip()


def _chars_within(text: str, limit: int) -> int:
    """How many leading characters of ``text`` fit in ``limit`` UTF-8 bytes."""
    used = 0
    for index, char in enumerate(text):
        used += len(char.encode("utf-8"))
        if used > limit:
            return index
    return len(text)


def _joins_next(text: str, index: int) -> bool:
    """Whether a cut before ``text[index]`` would split a character sequence (emoji, accent)."""
    char, before = text[index], text[index - 1]
    return (bool(unicodedata.combining(char)) or char in "\u200d\ufe0f" or before == "\u200d"
            or 0x1F3FB <= ord(char) <= 0x1F3FF)


def _cut_index(text: str, limit: int) -> int:
    """Where to end the next part: after a newline, else a sentence or clause end, else a character."""
    fit = max(1, _chars_within(text, limit))
    window = text[:fit]
    for marks in SOFT_BREAKS:
        best = max(window.rfind(mark) for mark in marks)
        if best >= fit // 2:
            return best + 1
    cut = fit
    while cut > 1 and _joins_next(text, cut):
        cut -= 1
    return cut


def split_text(text: str, limit: int = TEXT_LIMIT_BYTES) -> List[str]:
    """Parts of at most ``limit`` UTF-8 bytes, cut at a newline or sentence end when one is near.

    WeChat refuses longer texts (45002) and shows a too-long passive reply as a service
    error, so the cut happens here, on a character boundary.
    """
    parts: List[str] = []
    rest = text.strip()
    while rest:
        if len(rest.encode("utf-8")) <= limit:
            parts.append(rest)
            break
        cut = _cut_index(rest, limit)
        part = rest[:cut].rstrip()
        if part:
            parts.append(part)
        rest = rest[cut:].lstrip()
    return parts


def render_answer(messages: Sequence[Mapping[str, Any]]) -> Tuple[str, List[Dict[str, str]]]:
    """One text for a turn's bot messages, buttons as numbered options, and the buttons offered.

    The customer-service API allows a handful of messages per traveller message, so the
    bubbles of one answer are merged; numbering runs across the whole answer.
    """
    blocks: List[str] = []
    offered: List[Dict[str, str]] = []
    for message in messages:
        lines = [str(message[key]).strip() for key in ("text", "image", "attachment")
                 if message.get(key)]
        for button in message.get("buttons") or []:
            title, payload = str(button.get("title") or ""), str(button.get("payload") or "")
            if not title or not payload:
                continue
            offered.append({"title": title, "payload": payload})
            lines.append(OPTION_LINE.format(number=len(offered), title=title))
        if message.get("custom"):
            log.warning("custom JSON replies are not supported on WeChat; skipped")
        if any(lines):
            blocks.append("\n".join(line for line in lines if line))
    return "\n\n".join(blocks), offered


def _xml_safe(text: str) -> str:
    """Reply text that cannot break the XML: no invalid characters, CDATA end split."""
    return NOT_XML.sub("", text).replace("]]>", "]]]]><![CDATA[>")


# --- what each traveller was offered and may still be sent ------------------------------

class OfferedButtons:
    """The buttons last offered to each openid, so that a reply of "1" means the first one.

    Only the latest answer counts: an answer without buttons clears them, so "1" after
    "几位？" stays the number one. Bounded in travellers and in time.
    """

    def __init__(self, max_travellers: int = 20_000, ttl: float = 24 * 3600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_travellers = max_travellers
        self.ttl = ttl
        self.clock = clock
        self._offers: "OrderedDict[str, Tuple[float, List[Dict[str, str]]]]" = OrderedDict()

    def remember(self, openid: str, buttons: Sequence[Mapping[str, str]]) -> None:
        self._offers.pop(openid, None)
        if buttons:
            self._offers[openid] = (self.clock(), [dict(b) for b in buttons])
            while len(self._offers) > self.max_travellers:
                self._offers.popitem(last=False)

    def payload_for(self, openid: str, text: str) -> Optional[str]:
        """The payload of the offered button whose number the traveller typed, else None."""
        offer = self._offers.get(openid)
        if offer is None or self.clock() - offer[0] > self.ttl:
            return None
        choice = unicodedata.normalize("NFKC", text).strip().rstrip("。.")
        if not (choice.isascii() and choice.isdigit()):
            return None
        number = int(choice)
        buttons = offer[1]
        return buttons[number - 1]["payload"] if 1 <= number <= len(buttons) else None

    def forget(self, openid: str) -> None:
        self._offers.pop(openid, None)


@dataclass
class _Quota:
    scene: str
    remaining: int
    expires_at: float


class SendAllowance:
    """How many customer-service messages WeChat still accepts for each openid.

    WeChat grants a quota per traveller action (5 within 48 h after a message, 3 within
    a minute after a menu click or a follow) and refuses beyond it (45015, 45047).
    Counting here means an answer that cannot go out is recorded at once. An openid this
    process has not seen is left to WeChat to judge.
    """

    def __init__(self, clock: Callable[[], float] = time.time, max_travellers: int = 50_000) -> None:
        self.clock = clock
        self.max_travellers = max_travellers
        self._quotas: "OrderedDict[str, List[_Quota]]" = OrderedDict()

    def grant(self, openid: str, scene: str) -> None:
        count, seconds = QUOTAS[scene]
        now = self.clock()
        kept = [q for q in self._quotas.pop(openid, []) if q.expires_at > now
                and not (scene == "message" and q.scene == "message")]
        kept.append(_Quota(scene, count, now + seconds))
        self._quotas[openid] = kept[-4:]
        while len(self._quotas) > self.max_travellers:
            self._quotas.popitem(last=False)

    def _live(self, openid: str) -> Optional[List[_Quota]]:
        quotas = self._quotas.get(openid)
        if quotas is None:
            return None
        now = self.clock()
        return [q for q in quotas if q.expires_at > now]

    def available(self, openid: str) -> Optional[int]:
        """Messages still allowed, or None when this process does not know the traveller."""
        live = self._live(openid)
        return None if live is None else sum(q.remaining for q in live)

    def refusal(self, openid: str) -> Optional[str]:
        """Why WeChat would refuse one more message now, or None."""
        live = self._live(openid)
        if live is None or any(q.remaining > 0 for q in live):
            return None
        if not live:
            return "outside WeChat's 48-hour customer-service window (last message too old)"
        return "WeChat's customer-service quota for the traveller's last message is used up"

    def spend(self, openid: str) -> None:
        live = sorted((q for q in self._live(openid) or [] if q.remaining > 0),
                      key=lambda q: q.expires_at)
        if live:
            live[0].remaining -= 1

    def forget(self, openid: str) -> None:
        self._quotas.pop(openid, None)


@dataclass(frozen=True)
class Undelivered:
    """A bot answer that did not reach the traveller, with the reason."""

    at: str
    openid: str
    text: str
    reason: str
    retryable: bool


class UndeliveredLog:
    """What could not be delivered: a WARNING, the latest entries in memory, a JSON-lines file.

    The file (``TRIPDESK_WECHAT_UNDELIVERED_FILE``, default var/wechat-undelivered.jsonl)
    is for the outbound layer or an operator in another process; one JSON object a line,
    with the openid and any personal data in the text masked, created 0600.
    """

    def __init__(self, path: Optional[Path] = None, keep: int = 1000) -> None:
        self.path = path
        self._entries: Deque[Undelivered] = deque(maxlen=keep)

    @property
    def entries(self) -> List[Undelivered]:
        return list(self._entries)

    async def record(self, openid: str, parts: Sequence[str], reason: str, retryable: bool) -> Undelivered:
        entry = Undelivered(datetime.now(timezone.utc).isoformat(), openid, "\n\n".join(parts),
                            reason, retryable)
        self._entries.append(entry)
        log.warning("WeChat answer to %s not delivered (%d characters): %s", _masked(openid),
                    len(entry.text), reason, extra={"wechat_undelivered": mask_details(asdict(entry))})
        if self.path is not None:
            try:
                await asyncio.to_thread(self._append, entry)
            except OSError:
                log.exception("could not write the undelivered WeChat answer to %s", self.path)
        return entry

    def _append(self, entry: Undelivered) -> None:
        assert self.path is not None  # masked and 0600: the file outlives the conversation
        with open_private(self.path) as out:
            out.write(json.dumps(mask_details(asdict(entry)), ensure_ascii=False) + "\n")


class WeChatConversations:
    """Per-traveller state the input channel and the outbound sender share in one process."""

    def __init__(self, undelivered_file: Optional[Path] = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.offers = OfferedButtons()
        self.allowance = SendAllowance(clock)
        self.undelivered = UndeliveredLog(undelivered_file)


@lru_cache(maxsize=None)
def shared_conversations(undelivered_file: Optional[Path]) -> WeChatConversations:
    return WeChatConversations(undelivered_file)


# --- the customer-service API ---------------------------------------------------------------

class _TimeoutSession(requests.Session):
    """wechatpy fetches the access token without a timeout; every request gets one here."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)


class _ApiClient(WeChatClient):
    """wechatpy's client against a configurable API base (the tests' recording server)."""

    def __init__(self, config: WeChatConfig, storage: SessionStorage) -> None:
        assert config.app_id and config.app_secret
        super().__init__(config.app_id, config.app_secret.reveal(), session=storage,
                         timeout=HTTP_TIMEOUT_S, auto_retry=False)  # we refresh once, below
        self.API_BASE_URL = config.api_base
        self._http = _TimeoutSession(HTTP_TIMEOUT_S)

    def fetch_access_token(self) -> Dict[str, Any]:
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


def _token_storage(config: WeChatConfig) -> SessionStorage:
    """Where the access token is cached: Redis when configured (shared by processes), else memory."""
    if config.redis_url is None:
        return MemoryStorage()
    import redis
    from wechatpy.session.redisstorage import RedisStorage

    client = redis.Redis.from_url(config.redis_url.reveal(), socket_timeout=5,
                                  socket_connect_timeout=5)
    return RedisStorage(client, prefix="tripdesk:wechat")


def _delivery_error(error: WeChatClientException) -> DeliveryError:
    code = error.errcode
    if code is None:  # an HTTP error status
        status = getattr(error.response, "status_code", None)
        return DeliveryError(f"WeChat API answered HTTP {status}", retryable=True)
    if code in CREDENTIAL_ERRORS:
        return DeliveryError(f"WeChat refused the credentials (errcode {code}): check {ENV_APPID}, "
                             f"{ENV_SECRET} and the account's IP whitelist", retryable=False)
    if code in PERMANENT_ERRORS:
        return DeliveryError(f"{PERMANENT_ERRORS[code]} (errcode {code})", retryable=False)
    if code in RETRYABLE_ERRORS:
        return DeliveryError(f"{RETRYABLE_ERRORS[code]} (errcode {code})", retryable=True)
    return DeliveryError(f"WeChat error {code}: {error.errmsg}", retryable=False)


class WeChatApi:
    """The customer-service text API; blocking SDK calls run in a worker thread with timeouts."""

    def __init__(self, client: WeChatClient) -> None:
        self.client = client

    @classmethod
    def from_config(cls, config: WeChatConfig) -> "WeChatApi":
        _quiet_libraries()
        return cls(_ApiClient(config, _token_storage(config)))

    async def send_text(self, openid: str, content: str) -> None:
        """Send one text; raises DeliveryError saying whether a later retry may help."""
        await asyncio.to_thread(self._send_blocking, openid, content)

    def _send_blocking(self, openid: str, content: str) -> None:
        try:
            self._send_refreshing_once(openid, content)
        except WeChatClientException as error:
            raise _delivery_error(error) from error
        except requests.RequestException as error:
            raise DeliveryError(f"WeChat API unreachable: {type(error).__name__}",
                                retryable=True) from error
        except Exception as error:  # e.g. Redis down while reading the token: record, don't lose
            log.exception("unexpected failure sending a WeChat message")
            raise DeliveryError(f"unexpected failure: {type(error).__name__}", retryable=True) from error

    def _send_refreshing_once(self, openid: str, content: str) -> None:
        """An expired or revoked token is refreshed once and the call repeated once."""
        try:
            self.client.message.send_text(openid, content)
        except WeChatClientException as error:
            if error.errcode not in TOKEN_ERRORS:
                raise
            log.info("WeChat access token refused (errcode %s); fetching a new one", error.errcode)
            self.client.fetch_access_token()
            self.client.message.send_text(openid, content)


@lru_cache(maxsize=None)
def shared_api(config: WeChatConfig) -> WeChatApi:
    """One client per process, so the cached access token is shared by channel and sender."""
    return WeChatApi.from_config(config)


async def send_parts(api: WeChatApi, allowance: SendAllowance, openid: str,
                     parts: Sequence[str]) -> Tuple[int, Optional[DeliveryError]]:
    """Send parts in order within the traveller's quota; (parts sent, the failure if any)."""
    for index, part in enumerate(parts):
        refusal = allowance.refusal(openid)
        if refusal:
            return index, DeliveryError(refusal, retryable=False)
        try:
            await api.send_text(openid, part)
        except DeliveryError as failure:
            return index, failure
        allowance.spend(openid)
    return len(parts), None


class WeChatSender:
    """Sends text and numbered buttons to a follower later (agent replies, surveys, reminders).

    Raises :class:`bot.outbound.DeliveryError` (also importable from here) when WeChat
    will not take the message; the caller records it. Nothing is sent when the known
    quota cannot carry every part, and a failure after some parts went out is final, so
    a retry never repeats what the traveller already read.
    """

    channel = CHANNEL

    def __init__(self, api: WeChatApi, conversations: WeChatConversations) -> None:
        self.api = api
        self.conversations = conversations

    @classmethod
    def from_environment(cls) -> Optional["WeChatSender"]:
        """The sender, or None when the customer-service API is not configured (for bot.outbound)."""
        config = load_config()
        if config is None or not config.can_send:
            log.info("WeChat customer-service API not configured (%s, %s, %s); no outbound WeChat "
                     "messages", ENV_TOKEN, ENV_APPID, ENV_SECRET)
            return None
        return cls(shared_api(config), shared_conversations(config.undelivered_file))

    async def send(self, recipient_id: str, text: str, buttons: Buttons = ()) -> None:
        body, offered = render_answer([{"text": text, "buttons": list(buttons)}])
        parts = split_text(body)
        if not parts:
            raise DeliveryError("nothing to send: empty text", retryable=False)
        allowance = self.conversations.allowance
        available = allowance.available(recipient_id)
        if available is not None and available < len(parts):
            reason = allowance.refusal(recipient_id) or (
                f"{len(parts)} parts but WeChat's quota allows {available} more")
            raise DeliveryError(reason, retryable=False)
        sent, failure = await send_parts(self.api, allowance, recipient_id, parts)
        if failure is not None:
            if sent == 0:
                raise failure
            raise DeliveryError(f"{failure.reason} (after {sent} of {len(parts)} parts were "
                                "delivered)", retryable=False) from failure
        self.conversations.offers.remember(recipient_id, offered)


# --- reading requests ----------------------------------------------------------------------

class Rejected(Exception):
    """A request refused before any processing: the HTTP status and why (for the operator log)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _signature_of(*parts: Optional[str]) -> str:
    """WeChat's sha1 over the sorted parts (wechatpy's signer)."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return str(signer.signature)


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison: the time taken never tells how much of a signature was right."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def check_query(token: Secret, args: Mapping[str, Optional[str]], now: float) -> None:
    """Refuse (403) a request not signed with our token or signed outside the time window.

    WeChat signs sha1(sorted(token, timestamp, nonce)); a captured request replayed later
    than ``TIMESTAMP_WINDOW_S`` seconds is refused even with its valid signature (within
    the window, :class:`RecentNonces` refuses it).
    """
    signature, timestamp, nonce = (args.get(k) for k in ("signature", "timestamp", "nonce"))
    if not (signature and timestamp and nonce):
        raise Rejected(403, "missing signature, timestamp or nonce")
    try:
        age = now - int(timestamp)
    except ValueError:
        raise Rejected(403, "timestamp is not a number") from None
    if abs(age) > TIMESTAMP_WINDOW_S:
        raise Rejected(403, f"timestamp {age:+.0f} s away from now (replay or clock skew)")
    if not _same(_signature_of(token.reveal(), timestamp, nonce), signature):
        raise Rejected(403, "wrong signature")


class NonceStore(Protocol):
    """Remembers the signed (timestamp, nonce) pairs seen within the signature window.

    Behind this interface so that several server processes can share one store later
    (a Redis ``SET NX EX`` implements it); :class:`RecentNonces` is the in-process one.
    """

    def first_use(self, timestamp: str, nonce: str, body_digest: str, now: float) -> bool:
        """False when the pair was already used with another body (a replay)."""
        ...


class RecentNonces:
    """In-process :class:`NonceStore`: the pairs of the last ``2 × TIMESTAMP_WINDOW_S`` seconds.

    A signed query string does not cover a plaintext body, so a captured query could
    carry any body while its timestamp is fresh. The same pair with the same body is
    WeChat retrying one delivery (answered once by the MsgId dedupe); with another
    body it is a replay. Only verified requests are remembered, so the memory grows
    with WeChat's own traffic; ``max_entries`` bounds it anyway (oldest forgotten).
    """

    def __init__(self, max_entries: int = 200_000) -> None:
        self.max_entries = max_entries
        self._seen: "OrderedDict[Tuple[str, str], Tuple[float, str]]" = OrderedDict()

    def first_use(self, timestamp: str, nonce: str, body_digest: str, now: float) -> bool:
        self._expire(now)
        key = (timestamp, nonce)
        seen = self._seen.get(key)
        if seen is not None:
            return hmac.compare_digest(seen[1], body_digest)
        self._seen[key] = (now, body_digest)
        while len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)
        return True

    def _expire(self, now: float) -> None:
        # A timestamp is accepted up to TIMESTAMP_WINDOW_S either side of the clock.
        cutoff = now - 2 * TIMESTAMP_WINDOW_S
        while self._seen:
            seen_at = next(iter(self._seen.values()))[0]
            if seen_at >= cutoff:
                break
            self._seen.popitem(last=False)


def check_nonce(nonces: NonceStore, args: Mapping[str, Optional[str]], body: bytes, now: float) -> None:
    """Refuse (403) a verified query string used before with another body."""
    digest = hashlib.sha256(body).hexdigest()
    if not nonces.first_use(args.get("timestamp") or "", args.get("nonce") or "", digest, now):
        raise Rejected(403, "nonce already used with another body (replayed query string)")


def reject_declarations(xml: bytes) -> None:
    """Refuse (400) XML with a DTD: entity expansion (billion laughs, external entities) needs one.

    A DOCTYPE, and so any ENTITY, can only come before the root element.
    """
    root = xml.find(b"<xml")
    if root < 0:
        raise Rejected(400, "not a WeChat message: no <xml> root element")
    if b"<!" in xml[:root]:
        raise Rejected(400, "DOCTYPE/ENTITY declarations are not accepted")


def _check_msg_signature(crypto: WeChatCrypto, body: bytes, args: Mapping[str, Optional[str]]) -> None:
    """msg_signature is sha1(sorted(token, timestamp, nonce, Encrypt)), compared in constant time.

    wechatpy compares it with ``!=``; checked here first, its own check then always passes.
    """
    msg_signature = args.get("msg_signature")
    if not msg_signature:
        raise Rejected(403, "missing msg_signature")
    try:
        envelope = xmltodict.parse(body.decode("utf-8"))["xml"]
        encrypt = envelope["Encrypt"]
    except (ExpatError, KeyError, TypeError, UnicodeDecodeError, ValueError):
        raise Rejected(400, "not a WeChat safe-mode envelope (no Encrypt element)") from None
    if not isinstance(encrypt, str):
        raise Rejected(400, "malformed Encrypt element")
    expected = _signature_of(crypto.token, args.get("timestamp"), args.get("nonce"), encrypt)
    if not _same(expected, msg_signature):
        raise Rejected(403, "wrong msg_signature")


def _decrypt(crypto: Optional[WeChatCrypto], body: bytes, args: Mapping[str, Optional[str]]) -> bytes:
    """The inner XML of an AES (safe mode) message, after checking msg_signature and AppID."""
    if crypto is None:
        raise Rejected(503, f"AES (safe mode) message but {ENV_AES_KEY} and {ENV_APPID} are not "
                            "both set correctly")
    _check_msg_signature(crypto, body, args)
    try:
        inner = crypto.decrypt_message(body, args.get("msg_signature"), args.get("timestamp"),
                                       args.get("nonce"))
    except (InvalidSignatureException, InvalidAppIdException):
        raise Rejected(403, "wrong msg_signature or AppID") from None
    except Exception as error:  # malformed base64, padding, envelope: the body is not ours
        raise Rejected(400, f"cannot decrypt the message: {type(error).__name__}") from None
    inner_bytes = inner.encode("utf-8")
    reject_declarations(inner_bytes)
    return inner_bytes


def message_xml(crypto: Optional[WeChatCrypto], body: bytes, args: Mapping[str, Optional[str]],
                aes_required: bool = False) -> str:
    """The plaintext message XML of a verified request, bounded and without a DTD.

    With an EncodingAESKey configured only safe mode is accepted: a plaintext body is
    covered by no signature, so accepting it would let a captured query carry any text.
    """
    if len(body) > MAX_BODY_BYTES:
        raise Rejected(413, f"body larger than {MAX_BODY_BYTES} bytes")
    reject_declarations(body)
    mode = args.get("encrypt_type") or "raw"
    if mode == "aes":
        body = _decrypt(crypto, body, args)
    elif mode != "raw":
        raise Rejected(400, f"unknown encrypt_type {mode!r}")
    elif aes_required:
        raise Rejected(403, f"plaintext message refused: {ENV_AES_KEY} is set, so only safe mode "
                            "(encrypt_type=aes) is accepted")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(400, "body is not UTF-8") from None


@dataclass(frozen=True)
class Inbound:
    """What a traveller did, in the terms the channel acts on.

    ``kind`` is one of: text (typed or recognised speech), payload (a menu click or a
    follow, trusted), reply (answered by the channel with ``REPLIES[text]``), silent
    (recorded, not answered: unfollow, link clicks, location reports...).
    """

    openid: str
    account: str  # our account's id (ToUserName): the passive reply comes from it
    key: str
    kind: str
    text: str = ""
    label: str = ""  # message type or event, for logs
    with_menu: bool = False
    scene: Optional[str] = None  # the customer-service quota this action grants


def _string(value: Any, name: str) -> str:
    """A text field; an element with children or repeated is malformed."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Rejected(400, f"malformed {name}")
    return value


def _event_inbound(base: Dict[str, Any], message: BaseEvent) -> Inbound:
    event = message.event
    if event in ("subscribe", "subscribe_scan"):
        return Inbound(**base, kind="payload", text=SUBSCRIBE_PAYLOAD, with_menu=True,
                       scene="subscribe")
    if event == "click":
        payload = MENU_PAYLOADS.get(_string(message.key, "EventKey"))
        if payload is None:
            return Inbound(**base, kind="reply", text="menu", scene="menu")
        return Inbound(**base, kind="payload", text=payload, scene="menu")
    return Inbound(**base, kind="silent")


def _message_inbound(base: Dict[str, Any], message: BaseMessage) -> Inbound:
    if message.type == "text":
        text = clean_text(_string(message.content, "Content"))
        if not text:
            return Inbound(**base, kind="reply", text="empty", scene="message")
        return Inbound(**base, kind="text", text=text, scene="message")
    if message.type == "voice":
        heard = clean_text(_string(message.recognition, "Recognition"))
        if heard:
            return Inbound(**base, kind="text", text=heard, scene="message")
        return Inbound(**base, kind="reply", text="voice", scene="message")
    return Inbound(**base, kind="reply", text="unsupported", scene="message")


def _dedupe_key(message: BaseMessage, openid: str, event: str) -> str:
    """MsgId when the message has one; FromUserName + CreateTime for events (WeChat's advice).

    The event and its key are added, so two menu clicks in one second are two actions.
    """
    msg_id = message.id
    if msg_id:
        return f"msg:{msg_id}"
    key = getattr(message, "key", None)
    return f"event:{openid}:{message.time}:{event}:{key if isinstance(key, str) else ''}"


def interpret(message: Optional[BaseMessage]) -> Inbound:
    """The traveller's action in a parsed message; Rejected (400) when fields are missing."""
    if message is None:
        raise Rejected(400, "empty message")
    openid = _string(message.source, "FromUserName")
    account = _string(message.target, "ToUserName")
    if not OPENID.fullmatch(openid) or not account:
        raise Rejected(400, "missing or malformed FromUserName/ToUserName")
    if not message.time:
        raise Rejected(400, "missing CreateTime")
    event = message.event if isinstance(message, BaseEvent) else ""
    raw_type = str(getattr(message, "_data", {}).get("MsgType", message.type)).lower()
    label = f"event:{event}" if isinstance(message, BaseEvent) else raw_type
    base = {"openid": openid, "account": account, "key": _dedupe_key(message, openid, event),
            "label": label}
    if isinstance(message, BaseEvent):
        return _event_inbound(base, message)
    if raw_type == "event":  # an event wechatpy does not know: nothing to answer
        return Inbound(**base, kind="silent")
    return _message_inbound(base, message)


def read_inbound(xml: str) -> Inbound:
    """Parse with wechatpy (xmltodict on expat, entities refused) and interpret."""
    try:
        return interpret(parse_message(xml))
    except Rejected:
        raise
    except (ExpatError, KeyError, TypeError, ValueError, AttributeError) as error:
        raise Rejected(400, f"malformed WeChat XML: {type(error).__name__}") from None


# --- the webhook -----------------------------------------------------------------------------

class _PendingReply:
    """The answer to one delivery, shared by WeChat's retries of it, and how it goes out."""

    def __init__(self) -> None:
        self.parts: "asyncio.Future[List[str]]" = asyncio.get_running_loop().create_future()
        self.route: Optional[str] = None
        self._decided = asyncio.Event()

    def decide(self, route: str) -> str:
        """The first decision wins: a retry cannot send an answer a second way."""
        if self.route is None:
            self.route = route
            self._decided.set()
        return self.route

    async def wait_for_route(self, timeout: float) -> str:
        try:
            await asyncio.wait_for(self._decided.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        return self.decide(SERVICE)


class WeChatWebhook:
    """Verify, parse, dedupe; answer passively within the deadline, else through the API later."""

    def __init__(self, config: WeChatConfig, on_new_message: OnNewMessage,
                 conversations: Optional[WeChatConversations] = None,
                 api: Optional[WeChatApi] = None,
                 record: Callable[[str, str], Any] = record_inbound,
                 nonces: Optional[NonceStore] = None) -> None:
        self.config = config
        self.crypto = config.crypto()
        self.on_new_message = on_new_message
        self.conversations = conversations or shared_conversations(config.undelivered_file)
        self.api = api if api is not None else (shared_api(config) if config.can_send else None)
        self.record = record
        self.nonces: NonceStore = nonces if nonces is not None else RecentNonces()
        self.deliveries = RecentDeliveries()
        self.turns = SenderTurns()
        self.background = BackgroundWork()
        self.policy = InputPolicy.for_channel(CHANNEL)

    def verify_url(self, args: Mapping[str, Optional[str]]) -> Tuple[int, str]:
        """The GET WeChat sends when the URL is entered in the admin console: echo ``echostr``."""
        try:
            check_query(self.config.token, args, time.time())
        except Rejected as refused:
            log.warning("WeChat URL verification refused: %s", refused.reason)
            return refused.status, "forbidden"
        return 200, args.get("echostr") or ""

    async def receive(self, args: Mapping[str, Optional[str]], body: bytes,
                      replies: Replies) -> Tuple[int, str, str]:
        """(status, body, content type) for one POST; processing may continue after it."""
        deadline = asyncio.get_running_loop().time() + self.config.passive_seconds
        try:
            now = time.time()
            check_query(self.config.token, args, now)
            xml = message_xml(self.crypto, body, args, self.config.aes_required)
            check_nonce(self.nonces, args, body, now)
            inbound = read_inbound(xml)
        except Rejected as refused:
            log.warning("WeChat request refused (%s): %s", refused.status, refused.reason)
            return refused.status, refused.reason if refused.status != 403 else "forbidden", "text/plain"
        if inbound.kind == "silent":
            await self.deliveries.once(inbound.key, lambda: self._note_silent(inbound))
            return 200, "success", "text/plain"
        pending, _ = await self.deliveries.once(inbound.key, lambda: self._start(inbound, replies))
        route = await self._route(pending, deadline)
        parts = pending.parts.result() if pending.parts.done() else []
        if route == PASSIVE and parts:
            return 200, self._passive_xml(inbound, parts[0], args), "application/xml"
        return 200, "success", "text/plain"

    async def drain(self) -> None:
        """Wait for turns in progress (tests, orderly shutdown)."""
        await self.background.drain()

    async def _note_silent(self, inbound: Inbound) -> None:
        if inbound.label == "event:unsubscribe":
            log.info("WeChat follower %s unfollowed the account", _masked(inbound.openid),
                     extra={"wechat_unsubscribe": {"openid": inbound.openid, "at": time.time()}})
            self.conversations.offers.forget(inbound.openid)
            self.conversations.allowance.forget(inbound.openid)
        else:
            log.debug("WeChat %s from %s needs no answer", inbound.label, _masked(inbound.openid))

    async def _start(self, inbound: Inbound, replies: Replies) -> _PendingReply:
        """First delivery only: grant the quota and start the turn in the background."""
        if inbound.scene:
            self.conversations.allowance.grant(inbound.openid, inbound.scene)
        pending = _PendingReply()
        allowed = self._within_policy(inbound)
        if allowed is None:  # the rest of a flood: its first message was answered
            pending.parts.set_result([])
            return pending
        self.background.start(self._run_turn(allowed, pending, replies))
        return pending

    def _within_policy(self, inbound: Inbound) -> Optional[Inbound]:
        """The message, its polite refusal instead (too long, too many), or None for a flood told."""
        refusal = self.policy.check(inbound.openid, inbound.text if inbound.kind == "text" else None)
        if refusal is None:
            return inbound
        return replace(inbound, kind="reply", text=refusal.reason) if refusal.tell else None

    async def _route(self, pending: _PendingReply, deadline: float) -> str:
        """Passive when the answer is ready by the deadline and fits one reply; else the API."""
        if pending.route is not None:
            return pending.route
        remaining = max(0.0, deadline - asyncio.get_running_loop().time())
        try:
            await asyncio.wait_for(asyncio.shield(pending.parts), remaining)
        except asyncio.TimeoutError:
            pass
        except asyncio.CancelledError:  # WeChat hung up: the answer must still go out
            pending.decide(SERVICE)
            raise
        ready = pending.parts.done()
        fits = ready and (len(pending.parts.result()) <= 1 or self.api is None)
        return pending.decide(PASSIVE if fits else SERVICE)

    def _passive_xml(self, inbound: Inbound, content: str, args: Mapping[str, Optional[str]]) -> str:
        reply = TextReply(source=inbound.account, target=inbound.openid,
                          content=_xml_safe(content), time=int(time.time()))
        xml = reply.render()
        if args.get("encrypt_type") == "aes" and self.crypto is not None:
            xml = self.crypto.encrypt_message(xml, args.get("nonce"))
        return xml

    async def _run_turn(self, inbound: Inbound, pending: _PendingReply, replies: Replies) -> None:
        try:
            async with self.turns.turn(inbound.openid):
                self.background.start(record_seen(self.record, CHANNEL, inbound.openid,
                                                  _masked(inbound.openid)))
                parts = await self._answer(inbound, replies)
                pending.parts.set_result(parts)
                route = await pending.wait_for_route(self.config.passive_seconds + ROUTE_GRACE_S)
                await self._after_route(inbound.openid, route, parts)
        except Exception:
            log.exception("WeChat message %s could not be processed", inbound.key)
        finally:
            if not pending.parts.done():
                pending.parts.set_result([])

    async def _answer(self, inbound: Inbound, replies: Replies) -> List[str]:
        """The turn's answer as reply parts; remembers the buttons it offers."""
        messages = await self._bot_messages(inbound, replies)
        if inbound.with_menu:
            messages += await replies.render(REPLIES["menu"], inbound.openid)
        text, offered = render_answer(messages)
        if offered or inbound.kind != "reply":  # a polite reply to a photo keeps earlier offers
            self.conversations.offers.remember(inbound.openid, offered)
        return split_text(text)

    async def _bot_messages(self, inbound: Inbound, replies: Replies) -> List[Dict[str, Any]]:
        if inbound.kind == "reply":
            return await replies.render(REPLIES[inbound.text], inbound.openid, **self.policy.reply_values)
        collector = CollectingOutputChannel()
        message = UserMessage(self._user_text(inbound), collector, inbound.openid,
                              input_channel=CHANNEL, message_id=inbound.key,
                              metadata={"wechat_msg_type": inbound.label})
        await run_turn(self.on_new_message, message, replies)  # apologises for a failed turn
        return collector.messages

    def _user_text(self, inbound: Inbound) -> str:
        """What Rasa gets: an offered button or menu payload as it is, typed text as text."""
        payload = inbound.text if inbound.kind == "payload" else (
            self.conversations.offers.payload_for(inbound.openid, inbound.text))
        if payload is None:
            return as_plain_text(inbound.text) or ""
        return payload

    async def _after_route(self, openid: str, route: str, parts: List[str]) -> None:
        if route == SERVICE and parts:
            await self._deliver_later(openid, parts)
        elif route == PASSIVE and len(parts) > 1:
            await self.conversations.undelivered.record(
                openid, parts[1:], f"longer than one passive reply and the customer-service API "
                                   f"is not configured: set {ENV_APPID} and {ENV_SECRET}", retryable=False)

    async def _deliver_later(self, openid: str, parts: List[str]) -> None:
        """The customer-service API for an answer that missed the passive reply."""
        if self.api is None:
            await self.conversations.undelivered.record(
                openid, parts, f"answer missed the passive reply and the customer-service API is not "
                               f"configured: set {ENV_APPID} and {ENV_SECRET}", retryable=False)
            return
        sent, failure = await send_parts(self.api, self.conversations.allowance, openid, parts)
        if failure is not None:
            await self.conversations.undelivered.record(openid, parts[sent:], failure.reason,
                                                        failure.retryable)


def _args(request: Request) -> Dict[str, Optional[str]]:
    """The query parameters WeChat sends, first value each."""
    return {name: request.args.get(name) for name in
            ("signature", "timestamp", "nonce", "echostr", "openid", "encrypt_type", "msg_signature")}


class WeChatInput(InputChannel):
    """Rasa input channel: GET/POST /webhooks/wechat/webhook, health at GET /webhooks/wechat/.

    In credentials.yml as ``connectors.wechat.WeChatInput:`` with no values: the settings
    come from the environment. Without ``TRIPDESK_WECHAT_TOKEN`` the routes answer 503
    and the rest of the bot keeps working.
    """

    def __init__(self, config: Optional[WeChatConfig],
                 conversations: Optional[WeChatConversations] = None,
                 api: Optional[WeChatApi] = None,
                 record: Callable[[str, str], Any] = record_inbound) -> None:
        self.config = config
        self.conversations = conversations
        self.api = api
        self.record = record
        self.webhook: Optional[WeChatWebhook] = None

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WeChatInput":
        if credentials:
            log.warning("WeChat settings in credentials.yml are ignored: use %s and friends", ENV_TOKEN)
        config = load_config()
        if config is None:
            log.warning("WeChat channel off: set %s (the Token entered in the WeChat admin console); "
                        "/webhooks/wechat/webhook answers 503 until then", ENV_TOKEN)
        elif not config.can_send:
            log.warning("WeChat answers slower than %.1f s cannot be sent: set %s and %s for the "
                        "customer-service API", config.passive_seconds, ENV_APPID, ENV_SECRET)
        return cls(config)

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        hook = Blueprint("tripdesk_wechat_webhook", __name__)
        if self.config is not None:
            self.webhook = WeChatWebhook(self.config, on_new_message, self.conversations, self.api,
                                         self.record)
            finish_on_shutdown(hook, CHANNEL, self.webhook.drain)

        def not_configured() -> HTTPResponse:
            log.warning("WeChat request refused: the channel is off; set %s", ENV_TOKEN)
            return response.text(f"WeChat channel not configured: set {ENV_TOKEN}", status=503)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            if self.webhook is None:
                return response.json({"status": "not configured", "missing": ENV_TOKEN}, status=503)
            return response.json({"status": "ok", "aes": self.webhook.crypto is not None,
                                  "customer_service_api": self.webhook.api is not None})

        @hook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if self.webhook is None:
                return not_configured()
            status, body = self.webhook.verify_url(_args(request))
            return response.text(body, status=status)

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.webhook is None:
                return not_configured()
            status, body, content_type = await self.webhook.receive(
                _args(request), request.body or b"", AgentReplies(request.app.ctx.agent, CHANNEL))
            return response.text(body, status=status, content_type=content_type)

        return hook


__all__ = [
    "CHANNEL", "DeliveryError", "Inbound", "MENU_PAYLOADS", "OfferedButtons", "Rejected",
    "SendAllowance", "Undelivered", "UndeliveredLog", "WeChatApi", "WeChatConfig",
    "WeChatConversations", "WeChatInput", "WeChatSender", "WeChatWebhook", "check_query",
    "load_config", "read_inbound", "render_answer", "split_text", "NonceStore", "RecentNonces",
    "check_nonce",
]
