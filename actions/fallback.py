"""Misunderstandings: ask to rephrase once, then also offer a person."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.inquiry import answer_inquiry_besides
from actions.search import ActionSearch, search_meant, still_uncovered
from bot import contacts

FALLBACK_INTENT = "nlu_fallback"


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many of the traveller's latest messages in a row were not understood."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != FALLBACK_INTENT:
            break
        count += 1
    return count


class ActionHandleFallback(Action):
    def name(self) -> Text:
        return "action_handle_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        # The NLU may miss the intent of "它几点开门" or "故宫门票多少钱"; an item named or
        # in focus plus an attribute asked is answered from the catalogue all the same.
        answered = answer_inquiry_besides(dispatcher, tracker, domain)
        if answered is not None:
            return answered
        if search_meant(tracker):  # a route with a product, or a time for the timetable shown
            return ActionSearch().serve(dispatcher, tracker, domain)
        if still_uncovered(dispatcher, tracker, domain):
            return []
        if consecutive_fallbacks(tracker) >= 2:
            dispatcher.utter_message(response="utter_fallback_human", **contacts.hotline_values())
        else:
            dispatcher.utter_message(response="utter_ask_rephrase")
        return []
