"""Helpers every action uses: reading the parsed message and the domain's copy."""
from __future__ import annotations

import logging
from datetime import date
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.types import DomainDict

from bot.nlu.dates import business_now
from bot.responses import file_responses

logger = logging.getLogger(__name__)


FALLBACK_INTENT = "nlu_fallback"


def understood_message(tracker: Tracker) -> Dict[str, Any]:
    """The parsed message the bot acts on: the latest one, except after a fallback.

    A fallback offers the traveller's likeliest intents as buttons whose payload is the
    bare intent ("/search_hotel", actions/fallback.py). Pressing one means "that is what
    I meant": the message not understood is read again, its text and entities, with the
    chosen intent. Typed "/search_hotel" never gets here as such (connectors escape it).
    """
    latest = dict(tracker.latest_message or {})
    chosen = (latest.get("intent") or {}).get("name")
    if not chosen or latest.get("text") != f"/{chosen}":
        return latest
    before = _user_message_before_latest(tracker)
    if ((before.get("intent") or {}).get("name")) != FALLBACK_INTENT:
        return latest
    return {**before, "intent": {"name": chosen, "confidence": 1.0}}


def _user_message_before_latest(tracker: Tracker) -> Dict[str, Any]:
    users = [e for e in tracker.events if e.get("event") == "user"]
    return dict((users[-2].get("parse_data") or {}) if len(users) >= 2 else {})


def latest_text(tracker: Tracker) -> str:
    """The normalised (Simplified, half-width) text of the latest message."""
    return str(understood_message(tracker).get("text") or "")


def latest_intent(tracker: Tracker) -> Optional[str]:
    return (understood_message(tracker).get("intent") or {}).get("name")


def entities_of(tracker: Tracker, name: str) -> List[Dict[str, Any]]:
    entities = understood_message(tracker).get("entities") or []
    return sorted((e for e in entities if e.get("entity") == name), key=lambda e: e.get("start", 0))


def first_entity_value(tracker: Tracker, name: str) -> Optional[Any]:
    found = entities_of(tracker, name)
    return found[0].get("value") if found else None


def template(domain: DomainDict, response: str, **values: Any) -> str:
    """Fill one of the domain's responses in the action: a line, label or button title
    that goes inside another reply as one of its values.

    The one way actions word things: the copy stays in ``domain.yml``, and the reply it
    is filled into passes through the NLG (bot/nlg.py), which renders the whole text,
    these pieces included, in the traveller's script.
    """
    # A response added to domain.yml since the model was trained is in the file only.
    variations = (domain.get("responses") or {}).get(response) or file_responses().get(response)
    if not variations:
        logger.error("response %s is missing from the domain the action received", response)
        return ""
    return str(variations[0].get("text", "")).format(**values)


def today() -> date:
    """Today in the business time zone."""
    return business_now().date()


def reset(*names: str) -> List[EventType]:
    """Forget the given slots (a flow's answers once it is done or stopped)."""
    return [SlotSet(name, None) for name in names]


def question_asked_last(tracker: Tracker) -> Optional[str]:
    """The slot an active form asked for last before the traveller's latest message, even
    if a rule has left the form since ("张伟、李娜……" heard as a search); None when no form
    was asking, or one started or ended after its question."""
    events = tracker.events
    user_seen = False
    for index in range(len(events) - 1, -1, -1):
        kind = events[index].get("event")
        if kind == "user":
            user_seen = True
        elif not user_seen:
            continue  # what ran on this message
        elif kind == "active_loop":
            return None
        elif kind == "slot" and events[index].get("name") == "requested_slot":
            loops = [event for event in events[:index] if event.get("event") == "active_loop"]
            return events[index].get("value") if loops and loops[-1].get("name") else None
    return None
