"""Building rasa-sdk trackers and rendering what the traveller would read."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.nlu.rule_extractor import rule_entities_for
from bot.text import normalize


def city_entities(text: str, *cities: str) -> List[Dict[str, Any]]:
    found = []
    for city in cities:
        start = text.index(city)
        found.append({"entity": "city", "start": start, "end": start + len(city), "value": city})
    return found


def make_tracker(
    text: str,
    intent: str,
    entities: Optional[List[Dict[str, Any]]] = None,
    slots: Optional[Dict[str, Any]] = None,
    events: Optional[List[Dict[str, Any]]] = None,
    response_selector: Optional[Dict[str, Any]] = None,
    with_rule_entities: bool = True,
) -> Tracker:
    """A tracker as the action server receives it: normalised text, entities, slots."""
    normalized = normalize(text).text
    all_entities = list(entities or [])
    if with_rule_entities:
        all_entities += rule_entities_for(normalized)
    latest = {
        "text": normalized,
        "intent": {"name": intent, "confidence": 0.95},
        "entities": all_entities,
    }
    if response_selector:
        latest["response_selector"] = response_selector
    user_event = {"event": "user", "text": text, "parse_data": latest}
    return Tracker(
        sender_id="test-traveller",
        slots=dict(slots or {}),
        latest_message=latest,
        events=list(events or []) + [user_event],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def slots_after(events: List[Dict[str, Any]], before: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    slots = dict(before or {})
    for event in events:
        if event.get("event") == "slot":
            slots[event["name"]] = event["value"]
    return slots


def rendered(dispatcher: CollectingDispatcher, domain: Dict[str, Any]) -> List[str]:
    """The texts the traveller reads, filled the way Rasa's NLG fills them."""
    texts = []
    for message in dispatcher.messages:
        if message.get("response"):
            template = domain["responses"][message["response"]][0]["text"]
            values = {k: v for k, v in message.items() if v is not None}
            texts.append(template.format_map(_Missing(values)))
        elif message.get("text"):
            texts.append(message["text"])
    return texts


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
