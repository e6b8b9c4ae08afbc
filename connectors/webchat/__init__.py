"""Website chat widget: a socket.io input channel with server-signed sessions.

A travel site embeds the widget with one tag,
``<script src="https://BOT/webhooks/webchat/static/widget.js" defer></script>``;
docs/channels/webchat.md explains the settings. Built on Rasa's socket.io channel
(https://rasa.com/docs/rasa/connectors/your-own-website#websocket-channel) and
python-socketio (https://python-socketio.readthedocs.io/), with what the stock channel
lacks: the server issues and signs the session id (nobody reads or writes another
traveller's conversation by guessing an id), typed "/intent" stays text, only offered
buttons become payloads, input is bounded, and the transcript survives a reload.

Routes, all under /webhooks/webchat/:
    GET  /                   demo page of a travel site with the widget
    GET  /static/<file>      widget.js, widget.css, vendor/socket.io.min.js
    POST /session            {"session_token"?} -> {"session_id", "session_token", "resumed"}
    GET  /history            Authorization: Bearer <token> -> {"session_id", "messages"}
    /webhooks/webchat/socket.io/   socket.io; connect with auth {"session_token": ...}

Socket events: the browser emits ``session_request`` after connecting (answered by
``session_confirm`` {session_id, messages}) and ``user_uttered`` {"message"} or
{"payload", "title"} (acknowledged with {"accepted", "reason"?}); the server emits
``bot_uttered`` {text?, buttons?, image?}, ``typing`` {"on"} and ``user_echo`` {"text"}
(the traveller's message, to their other tabs).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Set, Text, Tuple

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint
from rasa.shared.core.events import BotUttered
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer
from socketio.exceptions import ConnectionRefusedError as SocketRefused

from bot.outbound import Buttons, DeliveryError, record_inbound, register_sender
from bot.settings import PROJECT_ROOT
from connectors.base import (
    REFUSAL_RESPONSES,
    SERVICE_UNAVAILABLE,
    AgentReplies,
    BackgroundWork,
    InputPolicy,
    OnNewMessage,
    SenderTurns,
    as_plain_text,
    client_address,
    finish_on_shutdown,
    ignore_credentials,
    record_seen,
    run_turn,
)
from connectors.webchat.messages import (
    Inbound,
    OfferedButtons,
    bubble,
    clean_text,
    domain_text,
    max_chars,
    offered_in_events,
    read_inbound,
    transcript,
)
from connectors.webchat.sessions import SESSION_ID, SessionSigner

__all__ = ["DeliveryError", "WebchatInput", "WebchatOutput", "WebchatSender"]

logger = logging.getLogger(__name__)

SOCKETIO_PATH = "/webhooks/webchat/socket.io"
ORIGINS_ENV = "TRIPDESK_WEBCHAT_ALLOWED_ORIGINS"
STATIC_DIR = Path(__file__).with_name("static")
STATIC_FILES = {
    "widget.js": "application/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
    "vendor/socket.io.min.js": "application/javascript; charset=utf-8",
}
MAX_SOCKET_FRAME_BYTES = 256 * 1024  # a 10 000-character message fits, then gets a polite "too long"
MAX_SESSION_BODY_BYTES = 4096
MAX_QUEUED_TURNS = 5  # per session: a flooding tab waits, other travellers do not
# What the channel answers itself, as domain responses (domain.yml): the running agent
# renders them (Traditional for Traditional writers); before a model is loaded the
# text is read from domain.yml itself. The first name the domain has wins.
REPLY_RESPONSES: Dict[str, Tuple[str, ...]] = {
    "too_long": ("utter_message_too_long",),
    "empty": ("utter_empty_message",),
    "unreadable": ("utter_unsupported_message",),
    "busy": ("utter_still_working",),
    "failed": SERVICE_UNAVAILABLE,
    "too_many": REFUSAL_RESPONSES["too_many"],
}


def _short(session_id: str) -> str:
    return session_id[:10]


def _origins_from_environment() -> Optional[List[str]]:
    """Allowed embedding origins, or None for any (the signed session is the credential)."""
    value = os.environ.get(ORIGINS_ENV, "").strip()
    if not value or value == "*":
        return None
    return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]


class _WebchatBlueprint(SocketBlueprint):
    """Rasa's socket.io blueprint that also tells the channel which app it runs in."""

    def register(self, app: Sanic, options: Dict[Text, Any]) -> None:
        self.ctx.channel.app = app
        super().register(app, options)


class WebchatOutput(OutputChannel):
    """Bot messages to every open tab of the session (a socket.io room named after it)."""

    def __init__(self, channel: "WebchatInput") -> None:
        self.channel = channel

    @classmethod
    def name(cls) -> Text:
        return "webchat"

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        """One bubble per bot message, buttons attached, so a reply stays together."""
        shown = bubble(message)
        if shown:
            await self.channel.deliver(recipient_id, shown)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


class WebchatInput(InputChannel):
    """The widget's channel; ``credentials.yml``: ``connectors.webchat.WebchatInput:``."""

    _active: Optional["WebchatInput"] = None  # the channel serving in this process

    @classmethod
    def name(cls) -> Text:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        """Settings come from the environment: credentials.yml holds no secret."""
        ignore_credentials(credentials, "webchat",
                           "the TRIPDESK_WEBCHAT_* environment variables (docs/channels/webchat.md)")
        return cls(SessionSigner.from_environment(PROJECT_ROOT / "var"), _origins_from_environment())

    def __init__(
        self,
        signer: SessionSigner,
        allowed_origins: Optional[List[str]] = None,
        record: Callable[[str, str], Any] = record_inbound,
    ) -> None:
        self.signer = signer
        self.allowed_origins = allowed_origins
        self.record = record
        self.sio: Optional[AsyncServer] = None
        self.app: Optional[Sanic] = None
        self.turns = SenderTurns()
        self.offered = OfferedButtons()
        self._sockets: Dict[str, str] = {}  # socket id -> session id
        self._joined: Dict[str, Set[str]] = {}  # session id -> sockets in its room
        self._queued: Dict[str, int] = {}
        self.background = BackgroundWork()
        self.policy = InputPolicy.for_channel(self.name())

    @classmethod
    def active(cls) -> Optional["WebchatInput"]:
        return cls._active

    def get_output_channel(self) -> Optional[OutputChannel]:
        """Lets Rasa's HTTP API (``?output_channel=webchat``) reach the widget."""
        return WebchatOutput(self) if self.sio else None

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        self.sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=self.allowed_origins or [],  # [] leaves CORS to Rasa's --cors
            max_http_buffer_size=MAX_SOCKET_FRAME_BYTES,
        )
        webchat = _WebchatBlueprint(self.sio, SOCKETIO_PATH, "webchat", __name__)
        webchat.ctx.channel = self
        self._add_pages(webchat)
        self._add_session_routes(webchat)
        self._add_socket_events(self.sio, on_new_message)
        finish_on_shutdown(webchat, self.name(), self.background.drain)
        WebchatInput._active = self
        return webchat

    # --- HTTP ------------------------------------------------------------------------

    def _origin_refused(self, request: Request) -> bool:
        origin = request.headers.get("origin")
        return bool(self.allowed_origins and origin and origin.rstrip("/") not in self.allowed_origins)

    def _add_pages(self, webchat: Blueprint) -> None:
        @webchat.route("/", methods=["GET"])
        async def demo_page(_: Request) -> HTTPResponse:
            return await response.file(STATIC_DIR / "index.html", mime_type="text/html; charset=utf-8")

        @webchat.route("/static/<name:path>", methods=["GET"])
        async def static_file(_: Request, name: str) -> HTTPResponse:
            mime_type = STATIC_FILES.get(name)
            if mime_type is None:  # an allow-list: no path ever leaves static/
                return response.json({"error": "not_found"}, status=404)
            return await response.file(
                STATIC_DIR / name, mime_type=mime_type, headers={"Cache-Control": "public, max-age=300"}
            )

    def _add_session_routes(self, webchat: Blueprint) -> None:
        @webchat.route("/session", methods=["POST"])
        async def session(request: Request) -> HTTPResponse:
            """The stored session renewed when its token is valid, otherwise a new one."""
            if self._origin_refused(request):
                return response.json({"error": "origin_not_allowed"}, status=403)
            if len(request.body or b"") > MAX_SESSION_BODY_BYTES:
                return response.json({"error": "too_large"}, status=413)
            renewed = self.signer.renew(_json_field(request, "session_token"))
            issued = renewed or self.signer.issue()
            if not renewed:
                logger.info("webchat session %s issued", _short(issued.session_id))
            return response.json(
                {"session_id": issued.session_id, "session_token": issued.token, "resumed": bool(renewed)},
                headers={"Cache-Control": "no-store"},
            )

        @webchat.route("/history", methods=["GET"])
        async def history(request: Request) -> HTTPResponse:
            """The conversation so far, only for the holder of the session's signed token."""
            if self._origin_refused(request):
                return response.json({"error": "origin_not_allowed"}, status=403)
            session_id = self.signer.verify(_bearer_token(request))
            if session_id is None:
                return response.json(
                    {"error": "invalid_session", "message": "Request a new session at POST /webhooks/webchat/session."},
                    status=403,
                )
            try:
                messages = await self._transcript(session_id)
            except Exception:
                logger.exception("webchat history unavailable for session %s", _short(session_id))
                return response.json({"error": "history_unavailable"}, status=503)
            return response.json(
                {"session_id": session_id, "messages": messages}, headers={"Cache-Control": "no-store"}
            )

    # --- socket.io -------------------------------------------------------------------

    def _add_socket_events(self, sio: AsyncServer, on_new_message: OnNewMessage) -> None:
        @sio.on("connect")
        async def connect(sid: str, environ: Dict, auth: Optional[Dict] = None) -> bool:
            """Only a token we signed opens a socket; the socket stays bound to that session."""
            token = auth.get("session_token") if isinstance(auth, dict) else None
            session_id = self.signer.verify(token)
            if session_id is None:
                raise SocketRefused("invalid_session")
            self._sockets[sid] = session_id
            return True

        @sio.on("disconnect")
        async def disconnect(sid: str, reason: Any = None) -> None:
            self._forget_socket(sid)

        @sio.on("session_request")
        async def session_request(sid: str, data: Any = None) -> None:
            await self._confirm_session(sid)

        @sio.on("user_uttered")
        async def user_uttered(sid: str, data: Any = None) -> Dict[str, Any]:
            return await self._accept(sid, data, on_new_message)

    def _forget_socket(self, sid: str) -> None:
        session_id = self._sockets.pop(sid, None)
        joined = self._joined.get(session_id) if session_id else None
        if joined is not None:
            joined.discard(sid)
            if not joined:
                self._joined.pop(session_id or "", None)

    async def _confirm_session(self, sid: str) -> None:
        """Join the session's room and send the transcript, between two turns.

        Taking the turn lock makes the transcript and the live messages one ordered
        stream: whatever was said before is in the transcript, the rest arrives live.
        """
        session_id = self._sockets.get(sid)
        if session_id is None or self.sio is None:
            return
        async with self.turns.turn(session_id):
            if self._sockets.get(sid) != session_id:
                return  # the socket left while an earlier turn finished
            try:
                messages = await self._transcript(session_id)
            except Exception:
                logger.exception("webchat transcript unavailable for session %s", _short(session_id))
                messages = []
            await self.sio.enter_room(sid, session_id)
            self._joined.setdefault(session_id, set()).add(sid)
            await self.sio.emit("session_confirm", {"session_id": session_id, "messages": messages}, to=sid)

    async def _accept(self, sid: str, data: Any, on_new_message: OnNewMessage) -> Dict[str, Any]:
        """Acknowledge at once; the turn runs after the session's earlier turns."""
        session_id = self._sockets.get(sid)
        if session_id is None:
            return {"accepted": False, "reason": "no_session"}
        inbound = read_inbound(data)
        rate = self.policy.check(session_id, None, self._address(sid))  # every message counts
        if rate is not None and not rate.tell:  # the rest of a flood: its first message was answered
            return {"accepted": False, "reason": rate.reason}
        if rate is not None:
            inbound = Inbound(refusal=rate.reason)
        if inbound.refusal is None and self._queued.get(session_id, 0) >= MAX_QUEUED_TURNS:
            inbound = Inbound(refusal="busy")
        if inbound.refusal is not None:
            await self._emit("bot_uttered", await self._polite(inbound.refusal, session_id), sid)
            return {"accepted": False, "reason": inbound.refusal}
        self._queued[session_id] = self._queued.get(session_id, 0) + 1
        self.background.start(self._turn(sid, session_id, inbound, on_new_message))
        return {"accepted": True}

    def _address(self, sid: str) -> Optional[str]:
        """The browser's IP address (the socket's HTTP request), for the per-address rate."""
        try:
            return client_address(self.sio.get_environ(sid)["sanic.request"]) if self.sio else None
        except (KeyError, TypeError, AttributeError):
            return None

    async def _turn(self, sid: str, session_id: str, inbound: Inbound, on_new_message: OnNewMessage) -> None:
        async with self.turns.turn(session_id):
            self._queued[session_id] -= 1
            if not self._queued[session_id]:
                del self._queued[session_id]
            await self._emit("user_echo", {"text": inbound.shown}, session_id, skip_sid=sid)
            await self._emit("typing", {"on": True}, session_id)
            await record_seen(self.record, self.name(), session_id, _short(session_id))
            try:
                message = await self._user_message(session_id, inbound)
                # A failed, silent or timed-out turn gets the apology (connectors.base).
                await run_turn(on_new_message, message, AgentReplies(self._agent(), self.name()))
            except Exception:
                logger.exception("webchat turn failed for session %s", _short(session_id))
                await self._emit("bot_uttered", await self._polite("failed", session_id), session_id)
            finally:
                await self._emit("typing", {"on": False}, session_id)

    async def _polite(self, kind: str, session_id: str) -> Dict[str, Any]:
        """The channel's own answer of this kind, as a notice bubble."""
        from bot.contacts import hotline_values

        values = {"max_chars": max_chars(), **hotline_values()}
        names = REPLY_RESPONSES[kind]
        try:
            replies = AgentReplies(self._agent(), self.name())
            if replies.first_known(names):  # else no model is loaded yet
                for rendered in await replies.render(names, session_id, **values):
                    if rendered.get("text"):
                        return {"text": rendered["text"], "notice": True}
        except Exception:  # the copy read from domain.yml below still answers the traveller
            logger.exception("domain response for %r not rendered; using domain.yml's text", kind)
        return {"text": domain_text(names, **values), "notice": True}

    async def _user_message(self, session_id: str, inbound: Inbound) -> UserMessage:
        """The payload when the bot offered that button here; otherwise the text seen."""
        if not self._agent().is_ready():  # no model yet: Rasa would drop the message silently
            raise DeliveryError("bot_not_ready", retryable=True)
        metadata: Dict[str, Any] = {}
        if inbound.payload is not None and await self._was_offered(session_id, inbound.payload):
            text = inbound.payload  # as it is: Rasa reads an offered "/intent{...}" itself
            metadata = {"webchat": {"button_title": inbound.shown or inbound.payload}}
        else:
            text = as_plain_text(inbound.shown or clean_text(inbound.payload or "")) or ""
        return UserMessage(
            text, WebchatOutput(self), session_id, input_channel=self.name(), metadata=metadata
        )

    async def _was_offered(self, session_id: str, payload: str) -> bool:
        if self.offered.was_offered(session_id, payload):
            return True
        tracker = await self._agent().tracker_store.retrieve(session_id)
        return bool(tracker) and offered_in_events(tracker.events, payload)

    # --- shared by turns and later sends ------------------------------------------------

    def _agent(self) -> Any:
        """Rasa's agent (its tracker and lock stores work before a model is loaded)."""
        agent = getattr(self.app.ctx, "agent", None) if self.app else None
        if agent is None:
            raise DeliveryError("bot_not_ready", retryable=True)
        return agent

    async def _transcript(self, session_id: str) -> List[Dict[str, Any]]:
        tracker = await self._agent().tracker_store.retrieve_full_tracker(session_id)
        return transcript(tracker.events) if tracker else []

    async def _emit(self, event: str, data: Dict[str, Any], room: str, skip_sid: Optional[str] = None) -> None:
        if self.sio is not None:
            await self.sio.emit(event, data, to=room, skip_sid=skip_sid)

    def is_connected(self, session_id: str) -> bool:
        return bool(self._joined.get(session_id))

    async def deliver(self, session_id: str, shown: Dict[str, Any]) -> None:
        """Show a bot bubble in the session's open tabs and remember its buttons."""
        self.offered.remember(session_id, shown.get("buttons", []))
        await self._emit("bot_uttered", shown, session_id)

    async def send_later(self, session_id: str, text: str, buttons: Optional[Buttons]) -> None:
        """A message outside a turn: kept in the transcript, shown live if a tab is open."""
        if not SESSION_ID.match(session_id):
            raise DeliveryError("not_a_webchat_session", retryable=False)
        shown = bubble({"text": text, "buttons": list(buttons or [])})
        if shown is None:
            raise DeliveryError("empty_message", retryable=False)
        async with self.turns.turn(session_id):
            await self._record(session_id, shown)
            await self.deliver(session_id, shown)

    async def _record(self, session_id: str, shown: Dict[str, Any]) -> None:
        agent = self._agent()
        try:
            async with agent.lock_store.lock(session_id, wait_time_in_seconds=0.1):
                tracker = await agent.tracker_store.retrieve(session_id)
                if tracker is None:
                    raise DeliveryError("unknown_session", retryable=False)
                data = {"buttons": shown["buttons"]} if shown.get("buttons") else {}
                tracker.update(BotUttered(shown.get("text"), data, metadata={"webchat": {"outbound": True}}))
                await agent.tracker_store.save(tracker)
        except DeliveryError:
            raise
        except Exception as error:
            logger.exception("webchat message for session %s not recorded", _short(session_id))
            raise DeliveryError("tracker_store_unavailable", retryable=True) from error


class WebchatSender:
    """Sends a message later (agent reply, survey, reminder) to a widget session.

    Delivered live to the traveller's open tabs; when none is open, the message waits
    in the conversation and is shown when the traveller next opens the widget.
    """

    channel = "webchat"

    def __init__(self, input_channel: WebchatInput) -> None:
        self._input = input_channel

    @classmethod
    def from_environment(cls) -> Optional["WebchatSender"]:
        """A sender when the widget channel runs in this process, else None."""
        active = WebchatInput.active()
        return cls(active) if active is not None and active.app is not None else None

    async def send(self, recipient_id: str, text: str, buttons: Optional[Buttons] = None) -> None:
        """Raises DeliveryError(reason, retryable) when the message could not be kept."""
        await self._input.send_later(recipient_id, text, buttons)


register_sender("webchat", WebchatSender.from_environment)


def _json_field(request: Request, name: str) -> Any:
    try:
        body = request.json
    except Exception:  # malformed JSON is treated as "no stored session"
        return None
    return body.get(name) if isinstance(body, dict) else None


def _bearer_token(request: Request) -> Optional[str]:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None
