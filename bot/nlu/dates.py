"""Chinese date and time expressions → ISO values, biased to the future.

Travellers talk about trips ahead: 国庆节 said in November means next October, 周五
said on a Saturday means next Friday. jionlp parses the expressions relative to "now"
in the business time zone; this module picks the spans, rejects words that only look
like times, and moves past dates forward unless the traveller said the past
(昨天, 上周, 去年 ...).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Dict, List, Optional

from dateutil.relativedelta import relativedelta

from bot.settings import settings

logger = logging.getLogger(__name__)

PAST_MARKERS = re.compile(r"昨|前天|上周|上个?星期|上个?礼拜|上个?月|去年|前年|刚才|之前|以前")
EXPLICIT_YEAR = re.compile(r"\d{2,4}\s*年|今年|明年|后年")
WEEKDAY_WORD = re.compile(r"周|星期|礼拜")
DAY_WITHOUT_MONTH = re.compile(r"^(?!.*月)\d{1,2}\s*[号日]")
# Holiday names jionlp does not know under their everyday short form.
HOLIDAY_ALIASES = {"五一": "劳动节", "端午": "端午节", "七夕": "七夕节", "重阳": "重阳节"}
HOLIDAY_ALIAS = re.compile("|".join(HOLIDAY_ALIASES))
# Spans jionlp reports that are not dates in a traveller's message.
NOT_A_DATE = re.compile(r"^(?:[零一二两三四五六七八九十百\d]+(?:个|位|名|人|晚|间|张|口|点钟?)?|现在|马上|立刻|刚刚|一会儿?|分钟|小时|天|周|月|年)$")


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    text: str
    value: str  # ISO date, ISO datetime (minutes) or "start/end" interval
    grain: str  # "day", "time" or "range"


def _jionlp() -> Any:
    import jionlp  # slow import (dictionaries); only when first needed

    return jionlp


def _as_datetime(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def _bounded(times: Any) -> bool:
    """jionlp marks open-ended spans (以后, 之前) with 'inf'/'-inf': not a trip date."""
    return (
        isinstance(times, list)
        and len(times) == 2
        and all(isinstance(t, str) and t[:1].isdigit() for t in times)
    )


def _format(start: datetime, end: datetime) -> tuple[str, str]:
    whole_days = start.time() == datetime.min.time() and end.strftime("%H:%M:%S") == "23:59:59"
    if start.date() == end.date():
        if whole_days:
            return start.date().isoformat(), "day"
        return start.strftime("%Y-%m-%dT%H:%M"), "time"
    if whole_days:
        return f"{start.date().isoformat()}/{end.date().isoformat()}", "range"
    return f"{start.strftime('%Y-%m-%dT%H:%M')}/{end.strftime('%Y-%m-%dT%H:%M')}", "range"


def _parse(expression: str, base: datetime) -> Optional[Dict[str, Any]]:
    try:
        return _jionlp().parse_time(expression, time_base=base.timestamp())
    except Exception as error:  # noqa: BLE001 - a parser failure must not fail the message
        logger.debug("jionlp could not parse %r: %s", expression, error)
        return None


def _future_biased(expression: str, parsed: Dict[str, Any], now: datetime) -> Dict[str, Any]:
    end = _as_datetime(parsed["time"][-1])
    if end.date() >= now.date() or PAST_MARKERS.search(expression) or EXPLICIT_YEAR.search(expression):
        return parsed
    if WEEKDAY_WORD.search(expression):
        later = _parse(expression, now + timedelta(days=7))
    elif DAY_WITHOUT_MONTH.search(expression):
        later = _parse(expression, now + relativedelta(months=1))
    else:
        later = _parse(expression, now.replace(year=now.year + 1) if not (now.month == 2 and now.day == 29) else now + timedelta(days=365))
    if later and _bounded(later.get("time")) and _as_datetime(later["time"][-1]).date() >= now.date():
        return later
    return parsed


def business_now() -> datetime:
    """Now in the business time zone, without tzinfo (jionlp works on naive times)."""
    return datetime.now(settings.business_timezone).replace(tzinfo=None)


def parse_date(expression: str, now: Optional[datetime] = None) -> Optional[str]:
    """The ISO value of one whole expression ("下周五下午三点"), or None."""
    mentions = extract_dates(expression, now)
    if len(mentions) == 1:
        return mentions[0].value
    if len(mentions) > 1:
        start, end = mentions[0].value.split("/")[0], mentions[-1].value.split("/")[-1]
        return f"{start}/{end}"
    return None


def extract_dates(text: str, now: Optional[datetime] = None) -> List[DateMention]:
    """Every date/time expression in a message, with its ISO value."""
    now = now or business_now()
    try:
        found = _jionlp().ner.extract_time(
            text, time_base=now.timestamp(), with_parsing=True
        )
    except Exception as error:  # noqa: BLE001 - a parser failure must not fail the message
        logger.debug("jionlp failed on %r: %s", text, error)
        return []
    mentions: List[DateMention] = []
    for item in found:
        if item.get("type") not in ("time_point", "time_span"):
            continue
        expression = item["text"]
        if NOT_A_DATE.match(expression):
            continue
        detail = item.get("detail") or {}
        times = detail.get("time")
        if not _bounded(times):
            continue
        try:
            detail = _future_biased(expression, detail, now)
            if not _bounded(detail.get("time")):
                continue
            start, end = (_as_datetime(t) for t in detail["time"])
        except ValueError:
            logger.debug("unusable time %r for %r", detail.get("time"), expression)
            continue
        value, grain = _format(start, end)
        begin, finish = item["offset"]
        if expression.endswith("周末") and grain == "day":
            value, grain = f"{(start.date() - timedelta(days=1)).isoformat()}/{start.date().isoformat()}", "range"
        mentions.append(DateMention(begin, finish, expression, value, grain))
    mentions.extend(_holiday_aliases(text, now, mentions))
    return sorted(mentions, key=lambda m: m.start)


def _holiday_aliases(text: str, now: datetime, found: List[DateMention]) -> List[DateMention]:
    extra = []
    for match in HOLIDAY_ALIAS.finditer(text):
        if any(m.start < match.end() and match.start() < m.end for m in found):
            continue
        parsed = _parse(HOLIDAY_ALIASES[match.group(0)], now)
        if not parsed or not _bounded(parsed.get("time")):
            continue
        parsed = _future_biased(HOLIDAY_ALIASES[match.group(0)], parsed, now)
        start, end = (_as_datetime(t) for t in parsed["time"])
        value, grain = _format(start, end)
        extra.append(DateMention(match.start(), match.end(), match.group(0), value, grain))
    return extra


def first_day(value: str) -> date:
    """The first calendar day of an ISO value produced here."""
    return date.fromisoformat(value.split("/")[0][:10])
