"""Membership: points, level and benefits; finished trips earn their points first."""
from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import template, today
from actions.store_access import STORE, StoreUnavailable, say_store_unavailable


class ActionMembership(Action):
    def name(self) -> Text:
        return "action_membership"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        try:
            customer = await STORE.caller(tracker)
            awarded = await STORE.award_completed(customer, today())
            view = await STORE.membership(customer)
        except StoreUnavailable:
            say_store_unavailable(dispatcher)
            return []
        if awarded:
            dispatcher.utter_message(response="utter_points_awarded", points=awarded)
        benefits = "\n".join(template(domain, "utter_line_benefit", benefit=b) for b in view.benefits)
        dispatcher.utter_message(response="utter_membership", level=view.level, points=view.points,
                                 benefits=benefits)
        if view.next_level:
            dispatcher.utter_message(response="utter_membership_next", next_level=view.next_level,
                                     points_to_next=view.points_to_next)
        return []
