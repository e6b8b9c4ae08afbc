"""Answers that point to people: hotline, after-sales, complaints, emergencies."""
from __future__ import annotations

import abc
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import understood_message
from actions.names import only_names_and_documents
from bot import contacts


class _HotlineAnswer(Action, abc.ABC):
    """A response that carries the hotline and the hours agents are on duty."""

    response = ""

    @abc.abstractmethod
    def name(self) -> Text:
        """Abstract, so the action server does not register this base itself."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response=self.response, **contacts.hotline_values())
        return []


def say_human_contact(dispatcher: CollectingDispatcher) -> None:
    """The answer to a request for a person, wherever it is made (also inside a form):
    the hotline, then whether a person can answer right now."""
    dispatcher.utter_message(response="utter_human_contact", **contacts.hotline_values())
    if contacts.agents_available():
        dispatcher.utter_message(response="utter_human_open_now")
    else:
        dispatcher.utter_message(
            response="utter_human_closed_now", emergency_line=contacts.emergency_line()
        )


class ActionHumanContact(Action):
    def name(self) -> Text:
        return "action_human_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        say_human_contact(dispatcher)
        return []


class ActionComplaintContact(_HotlineAnswer):
    response = "utter_complaint_contact"

    def name(self) -> Text:
        return "action_complaint_contact"


class ActionEmergencyContacts(Action):
    def name(self) -> Text:
        return "action_emergency_contacts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        text = str(understood_message(tracker).get("text") or "")
        if only_names_and_documents(text):
            return self._details_not_an_emergency(tracker)
        dispatcher.utter_message(
            response="utter_emergency_contacts",
            emergency_line=contacts.emergency_line(),
            advice=contacts.emergency_advice(text),
            numbers=contacts.emergency_numbers_text(),
        )
        return []

    @staticmethod
    def _details_not_an_emergency(tracker: Tracker) -> List[Dict[Text, Any]]:
        """Names with their ID or passport numbers ("杨秀英 430602195812034526") are a
        traveller's details, which the classifier may file as lost documents: no 110/120
        for them. In a form the form takes them next (a rule runs it); after the names
        question they go back to the booking; otherwise the fallback asks again."""
        from actions.book import names_for_the_form  # the booking module imports this one (via forms)

        if tracker.active_loop.get("name"):
            return []
        return names_for_the_form(tracker) or [FollowupAction("action_handle_fallback")]
