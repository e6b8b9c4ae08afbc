"""Service hotline, business hours and emergency numbers from `contacts.yml`."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, Dict, Optional, Tuple

from bot import knowledge
from bot.settings import settings


def hotline() -> str:
    return str(knowledge.contacts()["hotline"])


def hotline_values() -> Dict[str, str]:
    """The hotline and agents' hours, as every response that points to people takes them."""
    return {"hotline": hotline(), "hours": hours_text()}


def _hours() -> Dict[str, Any]:
    return knowledge.contacts().get("business_hours") or {}


def hours_text() -> str:
    hours = _hours()
    return f"工作日 {hours.get('weekdays', '09:00-21:00')}，周末 {hours.get('weekends', '10:00-18:00')}"


def _window(spec: str) -> Tuple[time, time]:
    start, end = spec.split("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def agents_available(at: Optional[datetime] = None) -> bool:
    """Whether human agents are on duty now (business time zone)."""
    at = (at or datetime.now(settings.business_timezone)).astimezone(settings.business_timezone)
    hours = _hours()
    spec = hours.get("weekends" if at.isoweekday() >= 6 else "weekdays", "09:00-21:00")
    start, end = _window(str(spec))
    return start <= at.time().replace(tzinfo=None) < end


def next_opening(at: Optional[datetime] = None) -> Tuple[int, str]:
    """When agents are next on duty after ``at``: in how many days (0 today, 1 tomorrow,
    up to 2) and the hour ("09:00"); for a traveller who finds the hotline closed."""
    at = (at or datetime.now(settings.business_timezone)).astimezone(settings.business_timezone)
    hours = _hours()
    for days in range(3):
        day = at + timedelta(days=days)
        spec = str(hours.get("weekends" if day.isoweekday() >= 6 else "weekdays", "09:00-21:00"))
        start, _ = _window(spec)
        if days or at.time().replace(tzinfo=None) < start:
            return days, start.strftime("%H:%M")
    return 1, _window(str(hours.get("weekdays", "09:00-21:00")))[0].strftime("%H:%M")


def emergency() -> Dict[str, Any]:
    return knowledge.contacts().get("emergency") or {}


def emergency_line() -> str:
    block = emergency()
    for key in ("hotline", "line", "phone", "tripdesk_24h", "24h_hotline"):
        if block.get(key):
            return str(block[key])
    return hotline()


def emergency_advice(text: str) -> str:
    """The one-line advice for the case the message describes (general if unclear)."""
    block = emergency()
    advice = block.get("advice") or {}
    for case, words in (block.get("advice_keywords") or {}).items():
        if any(word in text for word in words) and advice.get(case):
            return str(advice[case])
    return str(advice.get("general", ""))


def emergency_numbers_text() -> str:
    numbers = emergency().get("numbers") or []
    return "，".join(f"{item['name']} {item.get('short') or item['number']}" for item in numbers)
