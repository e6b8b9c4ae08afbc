"""Misunderstandings: offer the likeliest meanings as buttons, then a person.

The first time a message is not understood, the two intents the classifier found most
likely are offered as buttons (their titles in domain.yml, ``utter_intent_button_<intent>``)
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
from bot.responses import file_responses

INTENTS_OFFERED = 2
BUTTON_TITLE = "utter_intent_button_{}"
HUMAN_BUTTON = "utter_button_human"


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


def likeliest_intents(tracker: Tracker, domain: DomainDict) -> List[str]:
    """The classifier's best intents below the fallback that a traveller can pick: those
    with a button title (greetings, yes/no and bare slot values have none)."""
    ranking = (tracker.latest_message or {}).get("intent_ranking") or []
    titled = set((domain.get("responses") or {})) | set(file_responses())
    names = [str(r.get("name")) for r in ranking if r.get("name") != FALLBACK_INTENT]
    return [n for n in names if BUTTON_TITLE.format(n) in titled][:INTENTS_OFFERED]


def intent_buttons(tracker: Tracker, domain: DomainDict) -> List[Dict[str, str]]:
    """The likeliest intents as offered buttons, then 转人工."""
    buttons = [{"title": template(domain, BUTTON_TITLE.format(name)), "payload": f"/{name}"}
               for name in likeliest_intents(tracker, domain)]
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
