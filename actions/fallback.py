"""Misunderstandings: offer the likeliest meanings as buttons, then a person.

The first time a message is not understood, the two intents the classifier found most
likely are offered as buttons (titles in domain.yml, :data:`INTENT_BUTTONS`)
beside 转人工; a press sends the bare intent ("/search_hotel"), and the actions read the
message not understood again with that intent (actions/common.understood_message). The
second misunderstanding in a row points to a person.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import FALLBACK_INTENT, template
from actions.inquiry import answer_inquiry_besides
from actions.search import ActionSearch, search_meant, still_uncovered
from bot import contacts

INTENTS_OFFERED = 2
HUMAN_BUTTON = "utter_button_human"
# The intents a traveller can pick after a misunderstanding, with their button titles.
# Small talk, yes/no, bare slot values and out of scope are not offered; nor is a
# person, who has a button of their own.
INTENT_BUTTONS = {
    "search_hotel": "utter_intent_button_search_hotel",
    "search_ticket": "utter_intent_button_search_ticket",
    "search_tour": "utter_intent_button_search_tour",
    "book": "utter_intent_button_book",
    "check_booking": "utter_intent_button_check_booking",
    "change_booking": "utter_intent_button_change_booking",
    "cancel_booking": "utter_intent_button_cancel_booking",
    "refund_status": "utter_intent_button_refund_status",
    "payment_issue": "utter_intent_button_payment_issue",
    "complaint": "utter_intent_button_complaint",
    "emergency": "utter_intent_button_emergency",
    "membership": "utter_intent_button_membership",
    "give_rating": "utter_intent_button_give_rating",
    "faq": "utter_intent_button_faq",
}


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


def likeliest_intents(tracker: Tracker) -> List[str]:
    """The classifier's best intents below the fallback that a traveller can pick."""
    ranking = (tracker.latest_message or {}).get("intent_ranking") or []
    return [str(r["name"]) for r in ranking if r.get("name") in INTENT_BUTTONS][:INTENTS_OFFERED]


def intent_buttons(tracker: Tracker, domain: DomainDict) -> List[Dict[str, str]]:
    """The likeliest intents as offered buttons, then 转人工."""
    buttons = [{"title": template(domain, INTENT_BUTTONS[name]), "payload": f"/{name}"}
               for name in likeliest_intents(tracker)]
    if not buttons:
        return []
    return buttons + [{"title": template(domain, HUMAN_BUTTON), "payload": template(domain, HUMAN_BUTTON)}]


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
            return []
        buttons = intent_buttons(tracker, domain)
        if buttons:
            dispatcher.utter_message(response="utter_ask_rephrase_or_pick", buttons=buttons)
        else:
            dispatcher.utter_message(response="utter_ask_rephrase")
        return []
