"""FAQ answers from `knowledge_base/faq.yml`.

Which answer a message gets is decided once, in bot/faq_search.decide_faq (the
evaluation scores the same decision): the ResponseSelector's topic checked against
BM25 over the answers. When they disagree and neither is sure the traveller picks one
of the two topics with a button; when nothing fits the bot says so and points to a
person rather than guessing about money or rules.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import understood_message
from actions.inquiry import answer_inquiry_besides
from bot import contacts, knowledge
from bot.faq_search import ANSWER, CLARIFY, GUESS, clarify_payload, decide_faq


def answer_general_part(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The policy or FAQ answer to the message, when one fits surely: a booking that
    cannot be found still leaves "要手续费吗" or "要不要再付一次" answerable, and a
    complaint "能退一部分房费吗"."""
    topic = decide_faq(understood_message(tracker)).topic
    if topic is not None:
        dispatcher.utter_message(response="utter_faq", answer=knowledge.faq()[topic].answer)


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
        decision = decide_faq(understood_message(tracker))
        if decision.kind == ANSWER:
            dispatcher.utter_message(response="utter_faq", answer=entries[decision.topics[0]].answer)
        elif decision.kind == GUESS:
            entry = entries[decision.topics[0]]
            dispatcher.utter_message(response="utter_faq_best_guess", title=entry.title, answer=entry.answer)
        elif decision.kind == CLARIFY:
            buttons = [{"title": entries[topic].title, "payload": clarify_payload(topic)}
                       for topic in decision.topics]
            dispatcher.utter_message(response="utter_faq_clarify", buttons=buttons)
        else:
            dispatcher.utter_message(response="utter_faq_unsure", **contacts.hotline_values())
        return []
