"""Binding a traveller's yes to the terms on screen, and making it count once.

A summary or quote is stored in a slot when it is shown; the yes is checked against the
terms the store gives now, and the write's idempotency key is derived from those terms and
the conversation (both are bot.booking.policy.terms_of, the terms the store binds a
confirmed quote to). The key is therefore the same for a retried confirmation, a second yes,
or a fresh summary of the same terms after an answer that never arrived: the store finds
the first outcome instead of booking, changing or cancelling twice.
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_text
from actions.store_access import StoreUnavailable, say_store_unavailable
from bot.booking import policy as rules
from bot.booking.store import BookingError

YES = re.compile(r"确认|确定|是的|好的|好啊|可以|没问题|对的|^对$|^是$|^嗯|行|ok|yes|sure|OK|Yes", re.I)
NO = re.compile(r"不|别|算了|先等等|再想想|no\b|取消吧", re.I)


def said_yes(tracker: Tracker) -> bool:
    """An explicit yes to the question just asked: the affirm intent, or a plain yes
    such as "确认取消" that the classifier may file under the flow's own intent."""
    text = latest_text(tracker).strip()
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent == "deny" or NO.search(text.replace("确认取消", "确认").replace("确定取消", "确定")):
        return False
    return intent == "affirm" or bool(YES.search(text))


def confirmation_key(purpose: str, conversation_id: str, terms: Mapping[str, Any]) -> str:
    """The idempotency key of a confirmed write: the same terms in the same conversation
    give the same key, whatever the attempt (fits the store's 128-character keys)."""
    binding = {k: v for k, v in terms.items() if k != "id"}  # ids of older slot values
    canonical = json.dumps([conversation_id, binding], sort_keys=True, ensure_ascii=False, default=str)
    return f"{purpose}:{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"


def quote_to_slot(quote: rules.Quote) -> Dict[str, Any]:
    """The exact terms shown, for the yes to be bound to."""
    return rules.terms_of(quote)


def quote_from_slot(value: Mapping[str, Any]) -> rules.Quote:
    return rules.Quote(**{k: v for k, v in value.items() if k != "id"})


def quote_terms(value: Mapping[str, Any]) -> Dict[str, Any]:
    """The part of a quote slot a confirmation is bound to: the store's terms of it."""
    return rules.terms_of(quote_from_slot(value))


def same_terms(shown: Optional[Mapping[str, Any]], fresh: rules.Quote) -> bool:
    """Whether the quote on screen has the terms the store gives now."""
    return bool(shown) and quote_terms(shown or {}) == rules.terms_of(fresh)


async def confirm_if_still_quoted(
    value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, confirm_slot: str,
    quote_slot: str, fresh_quote: Callable[[], Awaitable[Optional[rules.Quote]]],
) -> Dict[Text, Any]:
    """A yes counts only for the quote on screen, and only while the policy still gives
    those terms; otherwise the quote is dropped so the form shows the new one."""
    if value is not True:
        return {confirm_slot: None}
    try:
        fresh = await fresh_quote()
    except StoreUnavailable:
        say_store_unavailable(dispatcher)
        return {confirm_slot: None, "requested_slot": None, "flow_stopped": True}
    except BookingError:
        fresh = None
    if fresh is None or not same_terms(tracker.get_slot(quote_slot), fresh):
        dispatcher.utter_message(response="utter_quote_changed")
        return {confirm_slot: None, quote_slot: None}
    return {confirm_slot: True}
