"""FAQ answers from `knowledge_base/faq.yml`.

The ResponseSelector names the topic; when it is unsure, BM25 over the answers gets
a second opinion; when both are unsure the bot says so and points to a person
rather than guessing about money or rules.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.inquiry import answer_inquiry_besides
from bot import contacts, knowledge
from bot.faq_search import faq_index
from bot.settings import settings
from actions.common import latest_text


def selector_prediction(tracker: Tracker) -> Tuple[Optional[str], float]:
    """The topic the ResponseSelector chose (`baggage` for faq/baggage) and its confidence."""
    selector = ((tracker.latest_message or {}).get("response_selector") or {}).get("faq") or {}
    response = selector.get("response") or {}
    key = response.get("intent_response_key") or ""
    topic = key.split("/", 1)[1] if "/" in key else None
    return topic, float(response.get("confidence") or 0.0)


class ActionAnswerFaq(Action):
    def name(self) -> Text:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        # The NLU may miss the intent of "它几点开门" or "故宫门票多少钱"; an item named or
        # in focus plus an attribute asked is answered from the catalogue all the same.
        answered = answer_inquiry_besides(dispatcher, tracker, domain)
        if answered is not None:
            return answered
        entries = knowledge.faq()
        topic, confidence = selector_prediction(tracker)
        if topic in entries and confidence >= settings.faq_confidence_threshold:
            dispatcher.utter_message(response="utter_faq", answer=entries[topic].answer)
            return []
        hit = faq_index().best(latest_text(tracker), settings.faq_search_min_score)
        if hit and (hit.topic == topic or topic is None or hit.score >= 2 * settings.faq_search_min_score):
            entry = entries[hit.topic]
            dispatcher.utter_message(
                response="utter_faq_best_guess", title=entry.title, answer=entry.answer
            )
            return []
        if topic in entries and confidence >= settings.faq_confidence_threshold / 2:
            entry = entries[topic]
            dispatcher.utter_message(
                response="utter_faq_best_guess", title=entry.title, answer=entry.answer
            )
            return []
        dispatcher.utter_message(response="utter_faq_unsure", **contacts.hotline_values())
        return []
