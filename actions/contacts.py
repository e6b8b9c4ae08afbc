"""Answers that point to people: hotline, after-sales, complaints, emergencies."""
from __future__ import annotations

import abc
import re
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_text, understood_message
from actions.faq import answer_general_part
from actions.names import only_names_and_documents
from bot import contacts

# The reply to a complaint, and how many of the traveller's next messages stay with it.
COMPLAINT_REPLIES = ("action_complaint_contact",)
MESSAGES_KEPT_WITH_A_COMPLAINT = 3
# What a traveller adds to a complaint: who and where they are, what is wrong, what they
# want back ("我叫郑凯，房号1207", "能退一部分房费吗", "我不是要订房").
COMPLAINT_DETAILS = re.compile(
    r"房号|房间|\d{3,4}房|退.{0,6}(钱|款|费)|赔|补偿|换.{0,2}房|我叫|投诉|不是要订|不是要找|卫生|脏|经理|前台|导游|反映")
# When agents are next on duty: today, tomorrow, later.
OPENING_RESPONSES = ("utter_hotline_opens_today", "utter_hotline_opens_tomorrow", "utter_hotline_opens_later")


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


def say_when_hotline_opens(dispatcher: CollectingDispatcher) -> None:
    """A traveller pointed to the hotline while it is closed is told when it opens."""
    if contacts.agents_available():
        return
    days, opens = contacts.next_opening()
    dispatcher.utter_message(response=OPENING_RESPONSES[min(days, 2)], opens=opens,
                             emergency_line=contacts.emergency_line())


def follows_a_complaint(tracker: Tracker) -> bool:
    """Whether the latest message adds to a complaint made just before (details, what
    the traveller wants back) rather than starting something new."""
    if not COMPLAINT_DETAILS.search(latest_text(tracker)):
        return False
    messages = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            messages += 1
            if messages > MESSAGES_KEPT_WITH_A_COMPLAINT:
                return False
        elif event.get("event") == "action" and event.get("name") in COMPLAINT_REPLIES and messages:
            return True
    return False


def serve_complaint_follow_up(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """After a complaint, its details and "能退一部分吗" stay with it (never a search):
    acknowledged, passed to a person with the hotline and when it opens, and the refund
    rules answered from the FAQ. False when the message is not such a follow-up."""
    if not follows_a_complaint(tracker):
        return False
    dispatcher.utter_message(response="utter_complaint_follow_up", **contacts.hotline_values())
    say_when_hotline_opens(dispatcher)
    answer_general_part(dispatcher, tracker)
    return True


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

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        """The apology and the hotline; when the hotline is closed, when it opens; and
        a complaint's own follow-up ("能退一部分房费吗") answered as one."""
        if serve_complaint_follow_up(dispatcher, tracker):
            return []
        events = await super().run(dispatcher, tracker, domain)
        say_when_hotline_opens(dispatcher)
        return events


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
