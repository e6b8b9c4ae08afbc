"""How booking facts read in a reply: money, days, stays, statuses, a masked phone.

The words are responses in ``domain.yml`` filled through ``actions.common.template``;
this module only picks the response and the values, so the Traditional rendering of a
reply (bot/nlg.py) covers these pieces too.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Iterable, Optional

from rasa_sdk.types import DomainDict

from actions.common import template
from bot.booking.kinds import HOTEL_ROOM, TOUR, nights
from bot.booking.policy import to_fen
from bot.booking.store import BookingView

WEEKDAY_RESPONSES = ("utter_weekday_1", "utter_weekday_2", "utter_weekday_3", "utter_weekday_4",
                     "utter_weekday_5", "utter_weekday_6", "utter_weekday_7")
STATUS_RESPONSES = {
    "pending_payment": "utter_booking_status_pending_payment",
    "confirmed": "utter_booking_status_confirmed",
    "cancelled": "utter_booking_status_cancelled",
    "completed": "utter_booking_status_completed",
    "expired": "utter_booking_status_expired",
}
def amount(fen: int) -> str:
    """Integer fen → the figure a reply shows, the one format of money: 1280, 12.50."""
    whole, cents = divmod(abs(int(fen)), 100)
    sign = "-" if fen < 0 else ""
    return f"{sign}{whole}" if not cents else f"{sign}{whole}.{cents:02d}"


def yuan(fen: int) -> str:
    """Integer fen → how a reply shows money: 1280元, 12.50元."""
    return f"{amount(fen)}元"


def money(price: Decimal) -> str:
    """A catalogue price (Decimal yuan) as a reply shows it (after ¥): 850, 455.50."""
    return amount(to_fen(price))


def joined(domain: DomainDict, items: Iterable[str]) -> str:
    """Items of a list inside a sentence, with the copy's list separator."""
    return template(domain, "utter_list_separator").join(items)


def day_text(domain: DomainDict, day: date) -> str:
    """A day with its weekday: 12月3日（周四）."""
    weekday = template(domain, WEEKDAY_RESPONSES[day.isoweekday() - 1])
    return template(domain, "utter_day", month=day.month, day=day.day, weekday=weekday)


def short_day_text(domain: DomainDict, day: date) -> str:
    """A day without its weekday, for spans: 12月3日."""
    return template(domain, "utter_day_short", month=day.month, day=day.day)


def stay_text(domain: DomainDict, start: date, end: date) -> str:
    """A hotel stay: check-in, check-out and the number of nights."""
    return template(domain, "utter_when_stay", start=day_text(domain, start), end=day_text(domain, end),
                    nights=nights(start, end))


def departure_text(domain: DomainDict, start: date, time: Optional[str] = None) -> str:
    """A departure day, with its time where the product has one."""
    if time:
        return template(domain, "utter_when_departure_at", start=day_text(domain, start), time=time)
    return template(domain, "utter_when_departure", start=day_text(domain, start))


def when_text(domain: DomainDict, booking: BookingView) -> str:
    """Dates as a traveller reads them: a stay, a tour's days, a departure time."""
    product = booking.product
    if product.kind == HOTEL_ROOM:
        return stay_text(domain, booking.start_date, booking.end_date)
    if product.kind == TOUR:
        return template(domain, "utter_when_tour", start=day_text(domain, booking.start_date),
                        days=product.duration_days)
    return departure_text(domain, booking.start_date, product.departs_at)


def status_text(domain: DomainDict, status: str) -> str:
    """A booking status code as the traveller reads it (an unknown code as itself)."""
    response = STATUS_RESPONSES.get(status)
    return template(domain, response) if response else status


def booking_line(domain: DomainDict, booking: BookingView) -> str:
    """One line per booking in a list: reference, what, when, status."""
    return template(domain, "utter_line_booking", reference=booking.reference,
                    product=booking.product.name, when=when_text(domain, booking),
                    status=status_text(domain, booking.status))
