"""Telegram channel on python-telegram-bot 22: webhook in, Bot API out.

The same shape as our other connectors: verify (the ``X-Telegram-Bot-Api-Secret-Token``
header Telegram sends once the webhook is set with a ``secret_token``; Rasa's stock
Telegram connector never checks it), parse (``telegram.Update.de_json``), dedupe
(``update_id``), hand to Rasa (after the webhook has already answered 200, one turn at
a time per traveller), send (``InlineKeyboardMarkup`` for buttons, 4096-character parts,
flood-control and network retries).

Only private chats are served: a conversation belongs to one Telegram user, and its
replies (bookings, phone numbers) must never be posted into a group.

Configuration comes from the environment, read once: ``TRIPDESK_TELEGRAM_TOKEN`` (from
@BotFather), ``TRIPDESK_TELEGRAM_SECRET`` (the webhook secret token) and optionally
``TRIPDESK_TELEGRAM_API_BASE`` (a local Bot API server, or the tests' recording server).
Operator guide: docs/channels/telegram.md. Set the webhook with
``python -m connectors.telegram set-webhook https://bot.example.com``.

Docs: https://core.telegram.org/bots/api#setwebhook ,
https://docs.python-telegram-bot.org/en/v22.8/telegram.bot.html
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import re
import sys
import warnings
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Sequence, Text, Tuple

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update, WebhookInfo
from telegram.constants import ChatType, InlineKeyboardButtonLimit, MessageEntityType, MessageLimit
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from bot.outbound import Buttons, DeliveryError, record_inbound, register_sender
from bot.privacy import mask_identifier
from connectors.base import (
    CHANNEL_REPLIES,
    AgentReplies,
    BackgroundWork,
    InputPolicy,
    apologise,
    OnNewMessage,
    RecentDeliveries,
    RecentlyUsed,
    Replies,
    Secret,
    SenderTurns,
    as_plain_text,
    finish_on_shutdown,
    ignore_credentials,
    record_seen,
    run_turn,
    secret_from_environment,
    without_control_characters,
)

log = logging.getLogger(__name__)

CHANNEL = "telegram"
ENV_TOKEN = "TRIPDESK_TELEGRAM_TOKEN"  # noqa: S105 - names, not secrets
ENV_SECRET = "TRIPDESK_TELEGRAM_SECRET"  # noqa: S105
ENV_API_BASE = "TRIPDESK_TELEGRAM_API_BASE"
DEFAULT_API_BASE = "https://api.telegram.org/bot"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105
WEBHOOK_PATH = "/webhooks/telegram/webhook"
ALLOWED_UPDATES = ("message", "callback_query")
SECRET_RULE = re.compile(r"[A-Za-z0-9_-]{1,256}")  # Telegram's rule for secret_token

MAX_BODY_BYTES = 1 << 20
MAX_TEXT_LENGTH = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096
MAX_CALLBACK_DATA = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)  # 64 bytes

CONNECT_TIMEOUT_S, READ_TIMEOUT_S, WRITE_TIMEOUT_S, POOL_TIMEOUT_S = 5.0, 10.0, 10.0, 5.0
NETWORK_BACKOFF_S = (0.5, 2.0)  # waits before the retries of a network failure
RATE_LIMIT_RETRIES = 2
MAX_RETRY_AFTER_S = 30.0

# What the channel answers itself: the shared replies (menu, unsupported, empty, the
# input policy's refusals) and /start's welcome and /help's help.
REPLIES: Dict[str, Tuple[str, ...]] = {
    **CHANNEL_REPLIES,
    "welcome": ("utter_welcome", "utter_greet"),
    "help": ("utter_help", "utter_greet"),
}


# --- configuration -------------------------------------------------------------------

class ConfigError(ValueError):
    """The Telegram settings are missing or invalid; the message names the variable."""


@dataclass(frozen=True)
class TelegramConfig:
    """The Telegram settings, read once from the environment."""

    token: Secret
    secret: Secret
    api_base: str = DEFAULT_API_BASE

    @classmethod
    def from_environment(cls, environ: Optional[Mapping[str, str]] = None) -> "TelegramConfig":
        env = os.environ if environ is None else environ
        token, secret = secret_from_environment(env, ENV_TOKEN), secret_from_environment(env, ENV_SECRET)
        if token is None or secret is None:
            missing = [name for name, value in ((ENV_TOKEN, token), (ENV_SECRET, secret)) if value is None]
            raise ConfigError(f"Telegram channel not configured: set {' and '.join(missing)}")
        if not SECRET_RULE.fullmatch(secret.reveal()):
            raise ConfigError(f"{ENV_SECRET} must be 1-256 characters from A-Z, a-z, 0-9, _ and - "
                              "(Telegram's rule for the webhook secret token)")
        return cls(token, secret, env.get(ENV_API_BASE, "").strip() or DEFAULT_API_BASE)


# --- text ------------------------------------------------------------------------------

def clean_text(text: str) -> str:
    """Typed text as Rasa should see it: no control characters (length: the input policy)."""
    return without_control_characters(text)


def _utf16_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def split_text(text: str, limit: int = MAX_TEXT_LENGTH) -> List[str]:
    """Parts Telegram accepts (it counts UTF-16 units), cut after a newline when one is near."""
    parts: List[str] = []
    rest = text
    while sum(_utf16_units(char) for char in rest) > limit:
        cut, used = 0, 0
        while used + _utf16_units(rest[cut]) <= limit:
            used += _utf16_units(rest[cut])
            cut += 1
        newline = rest.rfind("\n", 0, cut)
        if newline >= cut // 2:
            cut = newline + 1
        parts.append(rest[:cut])
        rest = rest[cut:]
    parts.append(rest)
    return [part for part in parts if part.strip()] or parts[-1:]


# --- buttons -----------------------------------------------------------------------------

class OfferedButtons:
    """Which payloads the bot offered in which chat, proven by the callback data itself.

    Anyone with a modified client can send any callback data for a message, so a press
    is trusted only when its data carries a tag (an HMAC over chat id and payload, keyed
    from the webhook secret) made when the bot offered the button. Payloads that fit in
    Telegram's 64 bytes travel inside the data, so a press still works after a restart or
    on another server process; longer ones are remembered here per chat, bounded, under
    a short id.
    """

    TAG_LENGTH = 12  # 9 bytes of HMAC in URL-safe base64
    INLINE, REMEMBERED = "=", "#"

    def __init__(self, key: bytes, max_remembered: int = 20_000) -> None:
        self._key = key
        self._remembered: RecentlyUsed[Tuple[str, str], str] = RecentlyUsed(max_remembered)
        self.max_remembered = max_remembered

    @classmethod
    def for_secret(cls, secret: Secret) -> "OfferedButtons":
        """One per secret in this process: the webhook and outbound senders share what was offered."""
        key = hmac.new(b"tripdesk/telegram/callback", secret.reveal().encode(), hashlib.sha256).digest()
        return _OFFERED.setdefault(key, cls(key))

    def encode(self, chat_id: str, payload: str) -> str:
        """The callback data for ``payload`` offered in ``chat_id`` (at most 64 bytes)."""
        body = self.INLINE + payload
        if len(body.encode()) + self.TAG_LENGTH > MAX_CALLBACK_DATA:
            body = self.REMEMBERED + hashlib.sha256(payload.encode()).hexdigest()[:16]
            self._remembered.put((chat_id, body[1:]), payload)
        return self._tag(chat_id, body) + body

    def decode(self, chat_id: str, data: str) -> Optional[str]:
        """The payload behind ``data`` if the bot offered it in this chat, else None."""
        tag, body = data[:self.TAG_LENGTH], data[self.TAG_LENGTH:]
        if not body or not hmac.compare_digest(tag.encode(), self._tag(chat_id, body).encode()):
            return None
        if body.startswith(self.INLINE):
            return body[1:] or None
        return self._remembered.get((chat_id, body[1:]))

    def _tag(self, chat_id: str, body: str) -> str:
        digest = hmac.new(self._key, f"{chat_id}\n{body}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:9]).decode()


_OFFERED: Dict[bytes, OfferedButtons] = {}


# --- sending -----------------------------------------------------------------------------

def _seconds(period: Any) -> float:
    """RetryAfter.retry_after is an int or a timedelta depending on PTB settings."""
    return period.total_seconds() if isinstance(period, timedelta) else float(period)


class TelegramSender:
    """Sends to a Telegram chat through python-telegram-bot's Bot; the outbound sender too.

    Flood control (``RetryAfter``) is waited out a bounded number of times, network
    failures are retried with backoff; what still fails raises
    :class:`bot.outbound.DeliveryError` saying whether a later retry may help.
    """

    channel = CHANNEL

    def __init__(self, bot: Bot, secret: Secret,
                 backoff: Sequence[float] = NETWORK_BACKOFF_S,
                 max_retry_after: float = MAX_RETRY_AFTER_S) -> None:
        self.bot = bot
        self.secret = secret
        self.offered = OfferedButtons.for_secret(secret)
        self.backoff = tuple(backoff)
        self.max_retry_after = max_retry_after

    @classmethod
    def from_config(cls, config: TelegramConfig, **options: Any) -> "TelegramSender":
        request = HTTPXRequest(connection_pool_size=16, connect_timeout=CONNECT_TIMEOUT_S,
                               read_timeout=READ_TIMEOUT_S, write_timeout=WRITE_TIMEOUT_S,
                               pool_timeout=POOL_TIMEOUT_S)
        return cls(Bot(config.token.reveal(), base_url=config.api_base, request=request),
                   config.secret, **options)

    @classmethod
    def from_environment(cls) -> Optional["TelegramSender"]:
        """The sender, or None when Telegram is not configured (for bot.outbound)."""
        try:
            return cls.from_config(TelegramConfig.from_environment())
        except ConfigError as problem:
            log.info("%s; no outbound Telegram messages", problem)
            return None

    async def close(self) -> None:
        """Close the HTTP client (the Bot itself is never initialised: that would call getMe)."""
        await self.bot.request.shutdown()

    def keyboard(self, chat_id: str, buttons: Buttons) -> InlineKeyboardMarkup:
        """One button per row (Chinese titles are long); callback data proves the offer."""
        return InlineKeyboardMarkup([
            [InlineKeyboardButton(str(button["title"]),
                                  callback_data=self.offered.encode(chat_id, str(button["payload"])))]
            for button in buttons
        ])

    async def send(self, recipient_id: str, text: str, buttons: Buttons = ()) -> None:
        """Send ``text`` in as many parts as needed; the buttons go with the last part."""
        parts = split_text(text)
        markup = self.keyboard(recipient_id, buttons) if buttons else None
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            try:
                await self._call(self.bot.send_message, chat_id=recipient_id, text=part,
                                 reply_markup=markup if last else None)
            except DeliveryError as failure:
                if index == 0:
                    raise
                # Retrying the whole message would repeat the parts already delivered.
                raise DeliveryError(f"{failure.reason} (after {index} of {len(parts)} parts "
                                    "were delivered)", retryable=False) from failure

    async def answer_callback(self, callback_query_id: str) -> None:
        """Stop the client's spinner on the pressed button."""
        await self._call(self.bot.answer_callback_query, callback_query_id=callback_query_id)

    async def set_webhook(self, url: str) -> None:
        """Point the bot at ``url``; Telegram then sends the secret with every update."""
        await self._call(self.bot.set_webhook, url=url, secret_token=self.secret.reveal(),
                         allowed_updates=list(ALLOWED_UPDATES))

    async def webhook_info(self) -> WebhookInfo:
        info: WebhookInfo = await self._call(self.bot.get_webhook_info)
        return info

    async def _call(self, method: Callable[..., Awaitable[Any]], **arguments: Any) -> Any:
        """One Bot API call with the retry policy; failures become DeliveryError."""
        network_failures = rate_limits = 0
        while True:
            try:
                return await method(**arguments)
            except RetryAfter as limit:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    wait = _seconds(limit.retry_after)
                rate_limits += 1
                if rate_limits > RATE_LIMIT_RETRIES or wait > self.max_retry_after:
                    raise DeliveryError(f"Telegram flood control: retry in {wait:.0f} s",
                                        retryable=True) from limit
                await asyncio.sleep(wait)
            except BadRequest as refused:  # a NetworkError subclass: check it first
                raise DeliveryError(f"Telegram refused the request: {refused.message}",
                                    retryable=False) from refused
            except (TimedOut, NetworkError) as failure:
                if network_failures >= len(self.backoff):
                    raise DeliveryError(f"Telegram unreachable: {failure.message}",
                                        retryable=True) from failure
                await asyncio.sleep(self.backoff[network_failures])
                network_failures += 1
            except Forbidden as blocked:
                raise DeliveryError(f"the user blocked the bot or never started it: {blocked.message}",
                                    retryable=False) from blocked
            except InvalidToken as rejected:
                raise DeliveryError(f"Telegram rejected the bot token: check {ENV_TOKEN}",
                                    retryable=False) from rejected
            except TelegramError as other:
                raise DeliveryError(f"Telegram error: {other.message}", retryable=False) from other


class TelegramOutput(OutputChannel):
    """Rasa's replies in one turn, sent as they are produced; failures are logged, not raised."""

    def __init__(self, sender: TelegramSender) -> None:
        self.sender = sender

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send(recipient_id, text, ())

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        offered = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                   for b in buttons if b.get("title") and b.get("payload")]
        await self._send(recipient_id, text, offered)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any],
                               **kwargs: Any) -> None:
        log.warning("custom JSON replies are not supported on Telegram; skipped")

    async def _send(self, recipient_id: str, text: str, buttons: Buttons) -> None:
        try:
            await self.sender.send(recipient_id, text, buttons)
        except DeliveryError as failure:
            log.warning("Telegram reply to chat %s not delivered: %s", mask_identifier(recipient_id),
                        failure.reason)


# --- reading updates -----------------------------------------------------------------------

@dataclass(frozen=True)
class Inbound:
    """What a traveller did, in the terms the connector acts on.

    ``kind`` is one of: text, button (an offered payload), start, help, unsupported (a
    photo, sticker, location...), empty, stale_button (a press the bot cannot vouch for),
    refused (over the input policy's limits; ``text`` says which: too_long, too_many).
    """

    update_id: int
    user_id: str
    kind: str
    text: str = ""
    callback_query_id: Optional[str] = None


def _command(update: Update) -> Optional[str]:
    """The command ("start" or "help") that begins the message, as Telegram's entities mark it."""
    message = update.message
    if message is None or not message.text:
        return None
    for entity, value in message.parse_entities([MessageEntityType.BOT_COMMAND]).items():
        if entity.offset == 0:
            name = value[1:].split("@", 1)[0].lower()
            return name if name in ("start", "help") else None
    return None


def _read_button(update: Update, offered: OfferedButtons) -> Optional[Inbound]:
    query = update.callback_query
    if query is None or query.from_user is None or query.from_user.is_bot:
        return None
    user_id = str(query.from_user.id)
    chat = query.message.chat if query.message is not None else None
    payload = None
    if chat is not None and chat.type == ChatType.PRIVATE:
        payload = offered.decode(str(chat.id), query.data or "")
    kind = "button" if payload else "stale_button"
    return Inbound(update.update_id, user_id, kind, payload or "", query.id)


def read_update(update: Update, offered: OfferedButtons) -> Optional[Inbound]:
    """The traveller's action, or None for updates we do not act on.

    Not acted on: edited messages (the original was answered), channel posts, group
    chats, messages from bots and any other update type.
    """
    if update.callback_query is not None:
        return _read_button(update, offered)
    message = update.message
    if (message is None or message.from_user is None or message.from_user.is_bot
            or message.chat.type != ChatType.PRIVATE):
        return None
    user_id = str(message.from_user.id)
    if message.text is None:
        return Inbound(update.update_id, user_id, "unsupported")
    command = _command(update)
    if command:
        return Inbound(update.update_id, user_id, command)
    text = clean_text(message.text)
    if not text.strip():
        return Inbound(update.update_id, user_id, "empty")
    return Inbound(update.update_id, user_id, "text", text)


# --- the webhook ------------------------------------------------------------------------------

Answer = Tuple[int, Dict[str, str]]


def _update_json(body: bytes) -> Tuple[Optional[Dict[str, Any]], str]:
    """The update as a JSON object with an integer update_id, or None and why not."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, "malformed JSON"
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        return None, "not a Telegram update: an object with an integer update_id is required"
    return data, ""


class TelegramWebhook:
    """Verify and parse at once, answer Telegram, then process in the background.

    Processing is one turn at a time per traveller in arrival order, so a slow turn
    never makes Telegram retry and two quick messages are answered in order; a
    re-delivered ``update_id`` is processed once.
    """

    def __init__(self, config: TelegramConfig, sender: TelegramSender,
                 on_new_message: OnNewMessage,
                 record: Callable[[str, str], Any] = record_inbound) -> None:
        self.config = config
        self.sender = sender
        self.on_new_message = on_new_message
        self.record = record
        self.deliveries = RecentDeliveries()
        self.turns = SenderTurns()
        self.background = BackgroundWork()
        self.policy = InputPolicy.for_channel(CHANNEL)

    async def receive(self, secret: Optional[str], body: bytes, replies: Replies) -> Answer:
        """(HTTP status, JSON body) for one webhook request; processing continues after."""
        if not hmac.compare_digest((secret or "").encode(), self.config.secret.reveal().encode()):
            log.warning("Telegram webhook call with a wrong or missing %s refused", SECRET_HEADER)
            return 403, {"error": "wrong or missing secret token"}
        if len(body) > MAX_BODY_BYTES:
            return 413, {"error": f"body larger than {MAX_BODY_BYTES} bytes"}
        data, problem = _update_json(body)
        if data is not None and not any(kind in data for kind in ALLOWED_UPDATES):
            # A type we never subscribe to: answered, not parsed (PTB may not know it yet).
            return 200, {"status": "ignored"}
        update, problem = self._parse(data) if data is not None else (None, problem)
        if update is None:
            log.warning("Telegram webhook call refused: %s", problem)
            return 400, {"error": problem}
        inbound = read_update(update, self.sender.offered)
        if inbound is None:
            return 200, {"status": "ignored"}
        if self.deliveries.seen(str(inbound.update_id)):
            return 200, {"status": "duplicate"}
        refusal = self.policy.check(inbound.user_id, inbound.text if inbound.kind == "text" else None)
        if refusal is not None:
            if not refusal.tell:  # the rest of a flood: its first message was answered
                return 200, {"status": "refused"}
            inbound = replace(inbound, kind="refused", text=refusal.reason)
        self.background.start(self._process(inbound, replies))
        return 200, {"status": "accepted"}

    async def drain(self) -> None:
        """Wait for updates being processed (tests, orderly shutdown)."""
        await self.background.drain()

    def _parse(self, data: Dict[str, Any]) -> Tuple[Optional[Update], str]:
        try:
            return Update.de_json(data, self.sender.bot), ""
        except Exception as error:  # whatever the parser trips on, the update is malformed
            return None, f"malformed Telegram update ({type(error).__name__}: {error})"

    async def _process(self, inbound: Inbound, replies: Replies) -> None:
        try:
            async with self.turns.turn(inbound.user_id):
                await self.deliveries.once(str(inbound.update_id),
                                           lambda: self._handle(inbound, replies))
        except Exception:
            log.exception("Telegram update %s could not be processed", inbound.update_id)

    async def _handle(self, inbound: Inbound, replies: Replies) -> None:
        output = TelegramOutput(self.sender)
        if inbound.callback_query_id:
            await self._answer_callback(inbound.callback_query_id)
        await record_seen(self.record, CHANNEL, inbound.user_id)
        try:
            await self._dispatch(inbound, output, replies)
        except Exception:
            log.exception("Telegram update %s failed", inbound.update_id)
            await apologise(output, replies, inbound.user_id)

    async def _dispatch(self, inbound: Inbound, output: TelegramOutput, replies: Replies) -> None:
        if inbound.kind == "text":
            await run_turn(self.on_new_message,
                           self._message(inbound, as_plain_text(inbound.text) or "", output), replies)
        elif inbound.kind == "button":
            await run_turn(self.on_new_message, self._message(inbound, inbound.text, output), replies)
        elif inbound.kind == "start":
            # Not a Rasa turn: the welcome and the menu are answered from the domain directly.
            await self._reply(output, replies, "welcome", inbound.user_id)
            await self._reply(output, replies, "menu", inbound.user_id)
        elif inbound.kind == "help":
            await self._reply(output, replies, "help", inbound.user_id)
            await self._reply(output, replies, "menu", inbound.user_id)
        elif inbound.kind in ("unsupported", "empty"):
            await self._reply(output, replies, inbound.kind, inbound.user_id)
        elif inbound.kind == "refused":
            await self._reply(output, replies, inbound.text, inbound.user_id, **self.policy.reply_values)
        else:
            log.info("button press in chat %s not offered by the bot; ignored", inbound.user_id)

    @staticmethod
    def _message(inbound: Inbound, text: str, output: TelegramOutput) -> UserMessage:
        return UserMessage(text, output, inbound.user_id, input_channel=CHANNEL,
                           message_id=str(inbound.update_id),
                           metadata={"telegram_update_id": inbound.update_id})

    @staticmethod
    async def _reply(output: TelegramOutput, replies: Replies, kind: str, sender_id: str,
                     **values: Any) -> None:
        for reply in await replies.render(REPLIES[kind], sender_id, **values):
            await output.send_response(sender_id, dict(reply))

    async def _answer_callback(self, callback_query_id: str) -> None:
        try:
            await self.sender.answer_callback(callback_query_id)
        except DeliveryError as failure:
            log.warning("callback query %s not answered: %s", callback_query_id, failure.reason)


class TelegramInput(InputChannel):
    """Rasa input channel: POST /webhooks/telegram/webhook, GET /webhooks/telegram/.

    In credentials.yml as ``connectors.telegram.TelegramInput:`` with no values: the
    settings come from the environment. Without them the routes answer 503 and the rest
    of the bot keeps working.
    """

    def __init__(self, config: Optional[TelegramConfig], problem: str = "") -> None:
        self.config = config
        self.problem = problem
        self.sender = TelegramSender.from_config(config) if config else None

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TelegramInput":
        ignore_credentials(credentials, "Telegram", f"{ENV_TOKEN} and {ENV_SECRET}")
        try:
            return cls(TelegramConfig.from_environment())
        except ConfigError as problem:
            log.error("%s; the Telegram webhook answers 503 until then", problem)
            return cls(None, str(problem))

    def get_output_channel(self) -> Optional[OutputChannel]:
        return TelegramOutput(self.sender) if self.sender else None

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        hook = Blueprint("tripdesk_telegram_webhook", __name__)
        webhook = (TelegramWebhook(self.config, self.sender, on_new_message)
                   if self.config and self.sender else None)
        if webhook is not None:
            finish_on_shutdown(hook, CHANNEL, webhook.drain)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            if webhook is None:
                return response.json({"status": "not configured", "error": self.problem}, status=503)
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if webhook is None:
                return response.json({"error": self.problem}, status=503)
            status, body = await webhook.receive(request.headers.get(SECRET_HEADER),
                                                 request.body or b"",
                                                 AgentReplies(request.app.ctx.agent, CHANNEL))
            return response.json(body, status=status)

        return hook


register_sender(CHANNEL, TelegramSender.from_environment)


# --- command line: set the webhook ------------------------------------------------------------

def webhook_url(public_base: str) -> str:
    """The webhook address under the public HTTPS base (Telegram only calls HTTPS)."""
    base = public_base.strip().rstrip("/")
    if not base.startswith("https://") or len(base) <= len("https://"):
        raise ValueError(f"Telegram only delivers to HTTPS addresses; got {public_base!r}")
    return base + WEBHOOK_PATH


async def _set_webhook(sender: TelegramSender, url: str) -> int:
    try:
        await sender.set_webhook(url)
    except DeliveryError as failure:
        print(f"error: Telegram did not accept the webhook: {failure.reason}", file=sys.stderr)
        return 1
    print(f"Webhook set: Telegram will POST {', '.join(ALLOWED_UPDATES)} updates to {url}\n"
          f"with the secret token from {ENV_SECRET} in the {SECRET_HEADER} header.")
    return 0


async def _show_webhook(sender: TelegramSender) -> int:
    try:
        info = await sender.webhook_info()
    except DeliveryError as failure:
        print(f"error: could not read the webhook: {failure.reason}", file=sys.stderr)
        return 1
    print(f"url: {info.url or '(none set)'}\npending updates: {info.pending_update_count}\n"
          f"last error: {info.last_error_message or '(none)'}")
    return 0


async def _run_command(args: argparse.Namespace, config: TelegramConfig) -> int:
    sender = TelegramSender.from_config(config)
    try:
        if args.command == "set-webhook":
            return await _set_webhook(sender, webhook_url(args.public_url))
        return await _show_webhook(sender)
    finally:
        await sender.close()


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m connectors.telegram set-webhook https://bot.example.com`` and ``webhook-info``."""
    parser = argparse.ArgumentParser(prog="python -m connectors.telegram",
                                     description="Connect the Telegram bot to this server.")
    commands = parser.add_subparsers(dest="command", required=True)
    set_hook = commands.add_parser("set-webhook", help="point the bot's webhook at this server")
    set_hook.add_argument("public_url", help="public HTTPS address of the Rasa server, "
                                             "e.g. https://bot.example.com")
    commands.add_parser("webhook-info", help="show the webhook Telegram has for the bot")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        config = TelegramConfig.from_environment()
        if args.command == "set-webhook":
            webhook_url(args.public_url)
    except ValueError as problem:  # ConfigError too
        print(f"error: {problem}", file=sys.stderr)
        return 2
    return asyncio.run(_run_command(args, config))


if __name__ == "__main__":
    sys.exit(main())
