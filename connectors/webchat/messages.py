"""What the widget accepts from a browser, and the transcript it shows back.

A browser is not trusted: its text is bounded and cleaned, typed "/intent{...}" stays
text (connectors.base.as_plain_text), and a button payload is only honoured when the
bot offered that button in this session. Everything else is read as what the
traveller saw and typed.
"""
from __future__ import annotations

import re
import unicodedata
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Deque, Dict, Iterable, List, Optional

import yaml
from rasa.shared.core.events import BotUttered, Event, UserUttered

from bot.settings import PROJECT_ROOT
from connectors.base import ZERO_WIDTH_SPACE, RecentlyUsed, max_text_chars

MAX_BUTTONS = 10
MAX_BUTTON_TITLE = 200
MAX_PAYLOAD = 1000
TRANSCRIPT_LIMIT = 200
DOMAIN_FILE = PROJECT_ROOT / "domain.yml"
# Bidirectional overrides and isolates can make a message read differently from what it
# says; the byte order mark is invisible and would hide a leading "/".
INVISIBLE = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"))
NEWLINES = re.compile(r"\r\n?")


def max_chars() -> int:
    """The widget's text limit: the input policy's (connectors/base.py MAX_TEXT_CHARS)."""
    return max_text_chars("webchat")


@lru_cache(maxsize=1)
def _domain_responses() -> Dict[str, Any]:
    return yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8")).get("responses") or {}


def domain_text(names: Iterable[str], **values: Any) -> str:
    """The first of the domain responses ``names`` as plain text, read from domain.yml.

    For when no model is loaded (the agent has no domain yet): the copy stays in one place.
    """
    responses = _domain_responses()
    name = next(name for name in names if name in responses)
    return str(responses[name][0]["text"]).format(**values)


def clean_text(raw: str) -> str:
    """Control characters removed (tabs become spaces), line breaks kept, ends trimmed."""
    text = NEWLINES.sub("\n", raw).replace("\t", " ").translate(INVISIBLE)
    kept = (char for char in text if char == "\n" or unicodedata.category(char) != "Cc")
    return "".join(kept).strip()


@dataclass(frozen=True)
class Inbound:
    """One message from a browser: what the traveller saw, and a claimed button payload."""

    shown: str = ""
    payload: Optional[str] = None
    refusal: Optional[str] = None  # a REPLY_RESPONSES kind when the message is not passed on


def read_inbound(data: object) -> Inbound:
    """Typed text is ``{"message": str}``; a button press ``{"payload": str, "title": str}``."""
    if not isinstance(data, dict):
        return Inbound(refusal="unreadable")
    payload = data.get("payload")
    if payload is not None:
        title = data.get("title")
        if not isinstance(payload, str) or not isinstance(title, str):
            return Inbound(refusal="unreadable")
        return _bounded(clean_text(title)[:MAX_BUTTON_TITLE], payload[:MAX_PAYLOAD])
    message = data.get("message")
    if not isinstance(message, str):
        return Inbound(refusal="unreadable")
    return _bounded(clean_text(message), None)


def _bounded(shown: str, payload: Optional[str]) -> Inbound:
    if not shown and not payload:
        return Inbound(refusal="empty")
    if len(shown) > max_chars():
        return Inbound(refusal="too_long")
    return Inbound(shown=shown, payload=payload)


def clean_buttons(buttons: object) -> List[Dict[str, str]]:
    """Only a title and a payload, as strings, at most MAX_BUTTONS of them."""
    if not isinstance(buttons, list):
        return []
    cleaned = []
    for button in buttons[:MAX_BUTTONS]:
        if isinstance(button, dict) and button.get("title") and button.get("payload"):
            cleaned.append({"title": str(button["title"]), "payload": str(button["payload"])})
    return cleaned


def bubble(message: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """A Rasa bot message as the widget shows it: text, buttons, image; None if empty."""
    shown: Dict[str, Any] = {}
    if isinstance(message.get("text"), str) and message["text"].strip():
        shown["text"] = message["text"]
    buttons = clean_buttons(message.get("buttons") or message.get("quick_replies"))
    if buttons:
        shown["buttons"] = buttons
    if isinstance(message.get("image"), str):
        shown["image"] = message["image"]
    return shown or None


class OfferedButtons:
    """The payloads the bot offered per session, so only those are sent as payloads.

    Bounded twice: the last ``per_session`` payloads of each session, and at most
    ``max_sessions`` sessions (least recently used forgotten first).
    """

    def __init__(self, per_session: int = 30, max_sessions: int = 10_000) -> None:
        self.per_session = per_session
        self.max_sessions = max_sessions
        self._offered: RecentlyUsed[str, Deque[str]] = RecentlyUsed(max_sessions)

    def remember(self, session_id: str, buttons: Iterable[Dict[str, str]]) -> None:
        payloads = [button["payload"] for button in buttons]
        if not payloads:
            return
        offered = self._offered.get(session_id) or deque(maxlen=self.per_session)
        offered.extend(payloads)
        self._offered.put(session_id, offered)

    def was_offered(self, session_id: str, payload: str) -> bool:
        return payload in (self._offered.get(session_id) or ())


def offered_in_events(events: Iterable[Event], payload: str, last_bot_messages: int = 10) -> bool:
    """Whether one of the latest bot messages in the tracker offered this payload.

    The tracker outlives the process, so a button shown before a restart still works.
    """
    seen = 0
    for event in reversed(list(events)):
        if isinstance(event, BotUttered):
            if any(b["payload"] == payload for b in clean_buttons(event.data.get("buttons"))):
                return True
            seen += 1
            if seen >= last_bot_messages:
                break
    return False


def shown_user_text(event: UserUttered) -> str:
    """What the traveller saw as their own bubble: the button title, or what they typed."""
    webchat = (event.metadata or {}).get("webchat") or {}
    if isinstance(webchat, dict) and isinstance(webchat.get("button_title"), str):
        return webchat["button_title"]
    return (event.text or "").removeprefix(ZERO_WIDTH_SPACE)


def transcript(events: Iterable[Event], limit: int = TRANSCRIPT_LIMIT) -> List[Dict[str, Any]]:
    """The traveller's and the bot's messages, oldest first, the last ``limit`` of them."""
    messages: List[Dict[str, Any]] = []
    for event in events:
        if isinstance(event, UserUttered) and event.text:
            messages.append({"sender": "user", "text": shown_user_text(event), "time": event.timestamp})
        elif isinstance(event, BotUttered):
            shown = bubble({"text": event.text, **(event.data or {})})
            if shown:
                messages.append({"sender": "bot", **shown, "time": event.timestamp})
    return messages[-limit:]
