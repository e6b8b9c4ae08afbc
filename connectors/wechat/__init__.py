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

This module is the channel itself (:class:`WeChatInput`, Rasa's input channel, and
:class:`WeChatWebhook`: verify → parse → dedupe → hand to Rasa → send); the steps live in
``config.py`` (the settings, read once from the environment), ``signature.py``
(signatures, safe mode, replay refusal), ``messages.py`` (XML in and out, the answer's
text), ``conversations.py`` (offered buttons, the send quota, undelivered answers) and
``sender.py`` (the customer-service API and the outbound sender, registered with
``bot.outbound`` on import). Operator guide: docs/channels/wechat.md.

Docs: https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html ,
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html ,
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html ,
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html ,
https://developers.weixin.qq.com/doc/offiaccount/Customer_Service/Customer_Service_Messages.html
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from typing import Any, Callable, Dict, List, Mapping, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy.replies import TextReply

from bot.outbound import DeliveryError, record_inbound
from bot.privacy import mask_identifier as _masked
from connectors.base import (
    AgentReplies,
    BackgroundWork,
    InputPolicy,
    OnNewMessage,
    RecentDeliveries,
    Replies,
    SenderTurns,
    as_plain_text,
    finish_on_shutdown,
    ignore_credentials,
    record_seen,
    run_turn,
)
from connectors.wechat.config import CHANNEL, ENV_APPID, ENV_SECRET, ENV_TOKEN, WeChatConfig, load_config
from connectors.wechat.conversations import (
    OfferedButtons,
    SendAllowance,
    Undelivered,
    UndeliveredLog,
    WeChatConversations,
    shared_conversations,
)
from connectors.wechat.messages import (
    MENU_PAYLOADS,
    REPLIES,
    Inbound,
    xml_safe,
    read_inbound,
    render_answer,
    split_text,
)
from connectors.wechat.sender import WeChatApi, WeChatSender, send_parts, shared_api
from connectors.wechat.signature import (
    MAX_BODY_BYTES,
    NonceStore,
    RecentNonces,
    Rejected,
    check_nonce,
    check_query,
    message_xml,
)

log = logging.getLogger(__name__)

ROUTE_GRACE_S = 5.0  # how long a finished turn waits for the webhook to pick the route
PASSIVE, SERVICE = "passive", "service"


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
                          content=xml_safe(content), time=int(time.time()))
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
        ignore_credentials(credentials, "WeChat", f"{ENV_TOKEN} and friends (docs/channels/wechat.md)")
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
    "CHANNEL", "DeliveryError", "Inbound", "MAX_BODY_BYTES", "MENU_PAYLOADS", "OfferedButtons",
    "REPLIES", "Rejected",
    "SendAllowance", "Undelivered", "UndeliveredLog", "WeChatApi", "WeChatConfig",
    "WeChatConversations", "WeChatInput", "WeChatSender", "WeChatWebhook", "check_query",
    "load_config", "read_inbound", "render_answer", "split_text", "NonceStore", "RecentNonces",
    "check_nonce",
]
