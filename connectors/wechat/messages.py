"""WeChat XML in and out: what a traveller did, and the text of the bot's answer.

In: wechatpy's ``parse_message`` (xmltodict on expat, entities refused), then
:func:`interpret` turns the message into an :class:`Inbound`: typed or recognised text,
a menu click or a follow (trusted payloads, :data:`MENU_PAYLOADS`), a polite reply
(photos, empty text), or nothing (unfollow, link clicks, location reports). Dedupe
key: ``MsgId``, or ``FromUserName`` + ``CreateTime`` for events, as WeChat recommends.

Out: a turn's bot messages become one text, buttons as numbered options
("回复 1：酒店"), cut into parts of at most 2048 UTF-8 bytes, XML-safe.

Docs: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html ,
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from xml.parsers.expat import ExpatError

from wechatpy import parse_message
from wechatpy.events import BaseEvent
from wechatpy.messages import BaseMessage

from connectors.base import CHANNEL_REPLIES, without_control_characters
from connectors.wechat.signature import Rejected

log = logging.getLogger(__name__)

TEXT_LIMIT_BYTES = 2048  # passive Content and customer-service text (errcode 45002 beyond)

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

# What the channel answers itself: the shared replies (menu, unsupported, empty, the
# input policy's refusals) and a voice message WeChat did not recognise.
REPLIES: Dict[str, Tuple[str, ...]] = {
    **CHANNEL_REPLIES,
    "voice": ("utter_voice_not_recognised", "utter_unsupported_message", "utter_out_of_scope"),
}
OPTION_LINE = "回复 {number}：{title}"  # one numbered button under the reply text

OPENID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Characters XML 1.0 cannot carry; removed from replies so the XML stays well formed.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SOFT_BREAKS = ("\n", "。！？!?；;", "，,、 ")


def clean_text(text: str) -> str:
    """Typed text as Rasa should see it: no control characters (length: the input policy)."""
    return without_control_characters(text).strip()


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


def xml_safe(text: str) -> str:
    """Reply text that cannot break the XML: no invalid characters, CDATA end split."""
    return NOT_XML.sub("", text).replace("]]>", "]]]]><![CDATA[>")



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
    base: Dict[str, Any] = {"openid": openid, "account": account,
                            "key": _dedupe_key(message, openid, event), "label": label}
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
