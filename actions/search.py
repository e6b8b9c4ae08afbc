"""Hotel, ticket and tour search: ask for what is missing, show the best few, refine.

One action drives all three searches because travellers move between them freely
("北京有什么酒店" right after a train search) and refine with words that do not name
the product at all ("还有便宜点的吗", "第二个怎么样"). The search in progress lives in
the `search_*` slots; the catalogue logic is in `bot.catalogue`.
"""
from __future__ import annotations

import logging
from datetime import date
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import entities_of, first_entity_value, latest_intent, latest_text, template
from actions.wording import WEEKDAY_RESPONSES, day_text, joined, short_day_text
from bot import catalogue, knowledge
from bot.nlu.dates import business_now, first_day
from bot.settings import settings

logger = logging.getLogger(__name__)

INTENT_TYPES = {"search_hotel": "hotel", "search_ticket": "ticket", "search_tour": "tour"}
PRODUCT_TYPES = {"hotel": "hotel", "tour": "tour", "flight": "ticket", "train": "ticket", "bus": "ticket"}
# Only what a list needs: browsing and questions need no date or party size (the booking
# form asks for those when the traveller books).
REQUIRED = {
    "hotel": ("city",),
    "ticket": ("destination", "origin"),
    "tour": ("city",),
}
ASKED_AT_MOST = 2  # a slot question is put twice at most, then the bot explains instead
ASK = {
    ("hotel", "city"): "utter_ask_hotel_city",
    ("tour", "city"): "utter_ask_tour_city",
    ("ticket", "destination"): "utter_ask_destination",
    ("ticket", "origin"): "utter_ask_origin",
    ("hotel", "date"): "utter_ask_hotel_date",
    ("ticket", "date"): "utter_ask_travel_date",
    ("tour", "date"): "utter_ask_travel_date",
}


def format_date(domain: DomainDict, value: Optional[str]) -> str:
    """ISO value → how a Chinese reply names it: 12月3日（周四）, 12月3日–12月5日."""
    if not value:
        return ""
    parts = value.split("/")
    days = [date.fromisoformat(p[:10]) for p in parts]
    if len(days) == 2 and days[0] != days[1]:
        return "–".join(short_day_text(domain, day) for day in days)
    text = day_text(domain, days[0])
    if "T" in parts[0]:
        text += parts[0][11:16]
    return text


def money(amount: Any) -> str:
    """Whole yuan without decimals, otherwise two decimals."""
    return f"{amount:.0f}" if amount == int(amount) else f"{amount:.2f}"


def nearest_cities(city: str, covered: Sequence[str], limit: int = 8) -> List[str]:
    """Covered cities to offer instead of ``city``: the same province first, then the
    popular ones, never ``city`` itself (a refusal must not list what it refuses)."""
    provinces = {d.name: d.province for d in knowledge.destinations()}
    popular = {d.name for d in knowledge.destinations() if d.popular}
    province = provinces.get(city)
    candidates = [c for c in dict.fromkeys(covered) if c != city]
    candidates.sort(key=lambda c: (provinces.get(c) != province or province is None, c not in popular))
    return candidates[:limit]


class SearchState:
    """The search slots as one object: read once, changed, written back as events."""

    FIELDS = ("search_type", "search_mode", "search_city", "search_origin", "search_date",
              "search_people", "search_pending", "search_shown", "search_asked")

    def __init__(self, tracker: Tracker) -> None:
        self.values: Dict[str, Any] = {name: tracker.get_slot(name) for name in self.FIELDS}
        self._original = dict(self.values)

    def __getattr__(self, name: str) -> Any:
        if name in ("values", "_original"):
            raise AttributeError(name)
        return self.values.get(f"search_{name}")

    def set(self, **changes: Any) -> None:
        for key, value in changes.items():
            self.values[f"search_{key}"] = value

    def events(self) -> List[Dict[Text, Any]]:
        return [
            SlotSet(name, value)
            for name, value in self.values.items()
            if value != self._original.get(name)
        ]


class ActionSearch(Action):
    def name(self) -> Text:
        return "action_search"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        state = SearchState(tracker)
        text = latest_text(tracker)
        intent = latest_intent(tracker)
        cities = self._cities(tracker)
        product = first_entity_value(tracker, "product_type")
        follow_up = catalogue.follow_up_in(text)

        if follow_up and state.shown and state.type and not cities and not product:
            self._follow_up(dispatcher, domain, state, follow_up, text)
            return state.events()

        search_type = (
            PRODUCT_TYPES.get(str(product))
            or INTENT_TYPES.get(intent or "")
            or state.type
            or ("tour" if first_entity_value(tracker, "attraction_name") else None)
        )
        if search_type is None:
            if follow_up:
                dispatcher.utter_message(response="utter_nothing_to_refine")
                return state.events()
            state.set(pending="type")
            dispatcher.utter_message(response="utter_ask_search_type")
            return state.events()

        if search_type != state.type:
            self._start_new_search(state, search_type)
        if search_type == "ticket" and product in ("train", "flight", "bus"):
            state.set(mode=product)
        self._update_criteria(tracker, state, cities, text)

        if state.date and first_day(state.date) < business_now().date():
            dispatcher.utter_message(response="utter_date_in_past", date_text=format_date(domain, state.date))
            state.set(date=None, pending="date")
            return state.events()
        if not self._known_place(dispatcher, domain, state):
            return state.events()

        missing = [field for field in REQUIRED[search_type] if not self._has(state, field)]
        if missing:
            self._ask(dispatcher, state, missing[0])
            return state.events()

        state.set(pending=None)
        self._present(dispatcher, domain, state, self._results(state), fresh=True)
        return state.events()

    # --- reading the message -------------------------------------------------------

    @staticmethod
    def _cities(tracker: Tracker) -> List[Tuple[str, int, int]]:
        """Cities the traveller named: known city names only, and not a fragment of a hotel's
        or sight's name (the NLU labels 成都 in 成都东站小憩酒店 or 东门 as a city)."""
        names = [
            (int(e.get("start", 0)), int(e.get("end", 0)))
            for kind in ("hotel_name", "attraction_name")
            for e in entities_of(tracker, kind)
        ]
        found = []
        for entity in entities_of(tracker, "city"):
            start, end = int(entity.get("start", 0)), int(entity.get("end", 0))
            name = knowledge.canonical_city(str(entity.get("value") or ""))
            inside_a_name = any(s <= start and end <= e and (s, e) != (start, end) for s, e in names)
            if name and not inside_a_name:
                found.append((name, start, end))
        return found

    @staticmethod
    def _ask(dispatcher: CollectingDispatcher, state: SearchState, field: str) -> None:
        """Ask for a missing value, at most twice; then say what is needed with an example."""
        asked = list(state.asked or [])
        state.set(pending=field)
        if asked.count(field) >= ASKED_AT_MOST:
            dispatcher.utter_message(response=f"utter_search_still_need_{field}")
            return
        state.set(asked=asked + [field])
        dispatcher.utter_message(response=ASK.get((state.type, field), "utter_ask_people"))

    @staticmethod
    def _start_new_search(state: SearchState, search_type: str) -> None:
        """A new kind of search keeps the trip's date, party and destination."""
        carried_city = state.city
        state.set(type=search_type, mode=None, shown=None, pending=None)
        if search_type != "ticket":
            state.set(origin=None, city=carried_city)

    def _update_criteria(
        self, tracker: Tracker, state: SearchState, cities: Sequence[Tuple[str, int, int]], text: str
    ) -> None:
        changed = False
        if cities:
            if state.type == "ticket":
                origin, destination = catalogue.split_route(text, cities)
                if len(cities) == 1 and state.pending == "origin" and origin is None:
                    origin, destination = destination, None
                if origin:
                    state.set(origin=origin)
                if destination:
                    state.set(city=destination)
            else:
                state.set(city=cities[-1][0])
            changed = True
        elif state.type == "tour" and not state.city:
            attraction = first_entity_value(tracker, "attraction_name")
            city = self._attraction_city(str(attraction)) if attraction else None
            if city:
                state.set(city=city)
                changed = True
        date_value = first_entity_value(tracker, "date")
        if date_value:
            state.set(date=str(date_value))
            changed = True
        people = first_entity_value(tracker, "number_of_people")
        if people:
            state.set(people=float(people))
            changed = True
        if changed:
            state.set(shown=None)

    @staticmethod
    def _attraction_city(name: str) -> Optional[str]:
        for attraction in knowledge.attractions():
            if name == attraction.name or name in attraction.aliases:
                return attraction.city
        return None

    @staticmethod
    def _has(state: SearchState, field: str) -> bool:
        if field == "destination":
            return bool(state.city)
        return bool(getattr(state, field))

    def _known_place(self, dispatcher: CollectingDispatcher, domain: DomainDict, state: SearchState) -> bool:
        """Say exactly what the catalogue does not cover, with the nearest alternatives.

        The traveller's city stays in focus (it is what they asked for; wiping it made the
        bot ask for it again), and the alternatives never include the refused place.
        """
        covered = {
            "hotel": ("utter_unknown_hotel_city", catalogue.hotel_cities),
            "tour": ("utter_unknown_tour_city", catalogue.tour_destinations),
        }
        if state.type in covered and state.city:
            response, cities = covered[state.type]
            if state.city not in cities():
                alternatives = nearest_cities(state.city, cities())
                dispatcher.utter_message(response=response, city=state.city, cities=joined(domain, alternatives))
                state.set(pending=None, shown=None)
                return False
        if state.type == "ticket" and state.city and state.origin:
            if state.origin == state.city:
                state.set(origin=None)
                self._ask(dispatcher, state, "origin")
                return False
            routes = catalogue.ticket_routes()
            if (state.origin, state.city) in routes:
                return True
            destinations = [b for a, b in routes if a == state.origin and b != state.city]
            if destinations:
                dispatcher.utter_message(
                    response="utter_unknown_route", origin=state.origin, destination=state.city,
                    alternatives=joined(domain, nearest_cities(state.city, destinations)),
                )
            else:
                origins = sorted({a for a, _ in routes} - {state.origin})
                dispatcher.utter_message(
                    response="utter_unknown_origin", origin=state.origin, destination=state.city,
                    alternatives=joined(domain, nearest_cities(state.origin, origins)),
                )
            state.set(pending=None, shown=None)
            return False
        return True

    # --- results -------------------------------------------------------------------

    @staticmethod
    def _results(state: SearchState) -> List[Any]:
        day = first_day(state.date) if state.date else None
        people = int(state.people or 1)
        if state.type == "hotel":
            return catalogue.search_hotels(state.city, people)
        if state.type == "ticket":
            return catalogue.search_tickets(state.origin, state.city, day, state.mode)
        return catalogue.search_tours(state.city, day)

    def _present(
        self,
        dispatcher: CollectingDispatcher,
        domain: DomainDict,
        state: SearchState,
        offers: Sequence[Any],
        fresh: bool,
    ) -> None:
        if not offers:
            if fresh:
                dispatcher.utter_message(response="utter_no_results", what=self._describe(domain, state))
            else:
                dispatcher.utter_message(response="utter_no_more")
            return
        shown = offers[: settings.search_results_shown]
        previously_shown = list(state.shown or []) if not fresh else []
        start_index = len(previously_shown) + 1
        lines = "\n".join(
            self._line(domain, state, offer, index)
            for index, offer in enumerate(shown, start=start_index)
        )
        state.set(shown=previously_shown + [o.id for o in shown])
        people = int(state.people or 1)
        date_text = format_date(domain, state.date)
        browsing = not state.people
        if state.type == "hotel" and browsing:
            dispatcher.utter_message(response="utter_hotel_results_browse", city=state.city,
                                     date_text=date_text, lines=lines)
        elif state.type == "tour" and browsing:
            dispatcher.utter_message(response="utter_tour_results_browse", city=state.city,
                                     date_text=date_text, lines=lines)
        elif state.type == "hotel":
            dispatcher.utter_message(
                response="utter_hotel_results", city=state.city, date_text=date_text,
                people=people, lines=lines,
            )
        elif state.type == "ticket":
            dispatcher.utter_message(
                response="utter_ticket_results", origin=state.origin, destination=state.city,
                date_text=date_text, mode_text="", lines=lines,
            )
        else:
            dispatcher.utter_message(
                response="utter_tour_results", city=state.city, date_text=date_text,
                people=people, lines=lines,
            )

    @staticmethod
    def _describe(domain: DomainDict, state: SearchState) -> str:
        if state.type == "ticket":
            return f"{format_date(domain, state.date)}{state.origin}→{state.city}"
        return f"{state.city}{format_date(domain, state.date)}"

    @staticmethod
    def _line(domain: DomainDict, state: SearchState, offer: Any, index: int) -> str:
        if state.type == "hotel":
            hotel = offer.hotel
            response = "utter_line_hotel" if offer.rooms_needed == 1 else "utter_line_hotel_rooms"
            return template(
                domain, response, index=index, name=hotel.name, stars=hotel.stars,
                district=hotel.district, room=offer.room.type, rooms=offer.rooms_needed,
                price=money(offer.price), rating=hotel.rating,
            )
        if state.type == "ticket":
            service = offer.service
            return template(
                domain, "utter_line_ticket", index=index, code=service.code,
                from_station=service.from_station, depart=service.depart,
                to_station=service.to_station, arrive=service.arrive,
                fare_class=offer.fare_class, price=money(offer.fare),
            )
        tour = offer.tour
        return template(
            domain, "utter_line_tour", index=index, name=tour.name, days=tour.days,
            price=money(tour.price),
        )

    # --- follow-ups ----------------------------------------------------------------

    def _follow_up(
        self,
        dispatcher: CollectingDispatcher,
        domain: DomainDict,
        state: SearchState,
        kind: str,
        text: str,
    ) -> None:
        offers = {offer.id: offer for offer in self._results(state)}
        shown = [offers[i] for i in (state.shown or []) if i in offers]
        if kind == "detail":
            position = catalogue.ordinal_in(text) or 1
            if position > len(shown):
                dispatcher.utter_message(response="utter_no_such_result", count=len(shown))
                return
            self._detail(dispatcher, domain, state, shown[position - 1])
            return
        remaining = [o for o in offers.values() if o.id not in (state.shown or [])]
        if kind == "cheaper":
            floor = min((o.price for o in shown), default=None)
            candidates = sorted(
                (o for o in remaining if floor is None or o.price < floor), key=lambda o: o.price
            )
            if not candidates:
                dispatcher.utter_message(response="utter_no_cheaper")
                return
        elif kind in ("earlier", "later") and state.type == "ticket":
            departs = [o.service.depart for o in shown]
            if kind == "earlier":
                candidates = sorted(
                    (o for o in remaining if not departs or o.service.depart < min(departs)),
                    key=lambda o: o.service.depart, reverse=True,
                )
            else:
                candidates = sorted(
                    (o for o in remaining if not departs or o.service.depart > max(departs)),
                    key=lambda o: o.service.depart,
                )
            if not candidates:
                dispatcher.utter_message(
                    response="utter_no_earlier" if kind == "earlier" else "utter_no_later"
                )
                return
        else:
            candidates = remaining
        self._present(dispatcher, domain, state, candidates, fresh=False)

    @staticmethod
    def _detail(dispatcher: CollectingDispatcher, domain: DomainDict, state: SearchState, offer: Any) -> None:
        if state.type == "hotel":
            hotel = offer.hotel
            rooms = "\n".join(
                template(domain, "utter_hotel_detail_room", type=room.type, bed=room.bed or "—",
                         max_guests=room.max_guests, price=money(room.price))
                for room in hotel.rooms
            )
            breakfast = template(
                domain,
                "utter_breakfast_included" if hotel.breakfast_included else "utter_breakfast_not_included",
            )
            dispatcher.utter_message(
                response="utter_hotel_detail", name=hotel.name, stars=hotel.stars,
                rating=hotel.rating, district=hotel.district, address=hotel.address,
                tags=joined(domain, hotel.tags) or "—", breakfast=breakfast, rooms=rooms,
            )
        elif state.type == "ticket":
            service = offer.service
            fares = template(domain, "utter_clause_separator").join(
                template(domain, "utter_fare", fare=name, price=money(price)) for name, price in service.fares)
            dispatcher.utter_message(
                response="utter_ticket_detail", code=service.code, operator=service.operator,
                from_station=service.from_station, depart=service.depart,
                to_station=service.to_station, arrive=service.arrive, fares=fares,
            )
        else:
            tour = offer.tour
            child = (
                template(domain, "utter_tour_child_price", price=money(tour.child_price))
                if tour.child_price else ""
            )
            weekdays = joined(domain, (template(domain, WEEKDAY_RESPONSES[d - 1]) for d in tour.departure_weekdays))
            dispatcher.utter_message(
                response="utter_tour_detail", name=tour.name, days=tour.days,
                departs_from=tour.departs_from, highlights=tour.highlights,
                includes=tour.includes, price=money(tour.price), child_price=child,
                group_size=tour.group_size or "—", weekdays=weekdays,
            )
