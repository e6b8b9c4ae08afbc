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
from bot.text import OffsetMap, substitute

logger = logging.getLogger(__name__)

PAST_MARKERS = re.compile(r"昨|前天|上周|上个?星期|上个?礼拜|上个?月|去年|前年|刚才|之前|以前")
EXPLICIT_YEAR = re.compile(r"\d{2,4}\s*年|今年|明年|后年")
WEEKDAY_WORD = re.compile(r"周|星期|礼拜")
DAY_WITHOUT_MONTH = re.compile(r"^(?!.*月)\d{1,2}\s*[号日]")
# Everyday words jionlp does not know, rewritten before parsing (spans are mapped
# back to the traveller's text): short holiday names, 明早, Cantonese 听日/后日.
ALIASES = {
    "五一": "劳动节", "端午": "端午节", "七夕": "七夕节", "重阳": "重阳节",
    "明早": "明天早上", "今早": "今天早上", "明晚": "明天晚上", "听日": "明天", "后日": "后天",
}
ALIAS = re.compile("|".join(sorted(ALIASES, key=len, reverse=True)))
# Spans jionlp reports that are not dates in a traveller's message.
NOT_A_DATE = re.compile(
    r"^(?:[零一二两三四五六七八九十百\d]+(?:个|位|名|人|晚|间|张|口|点钟?)?|现在|马上|立刻|刚刚"
    r"|一会儿?|分钟|小时|天|周|月|年|今年|春天|夏天|秋天|冬天|第.{1,3}天|前.{1,2}天|早一?点|晚一?点"
    r"|一早)$"  # "吵了一早上": a whole morning, not a time
)
TIME_OF_DAY = re.compile(r"^(?:早上|早晨|上午|中午|下午|晚上|傍晚|夜里)$")
# "以后/之前" make an open-ended span; the trip date is the expression before them.
OPEN_SUFFIX = re.compile(r"(?:以后|之后|以前|之前|前后|左右|(?<=[点号日])[前后])$")
# Words glued to a date by jionlp that are not part of it (今天晚饭).
TRAILING_NOISE = re.compile(r"(?<=[天日号])(?:晚饭|午饭|早饭)$")
# A count of days is a length, not a day of the month: 三日游, 5日行程, 玩三天, 两天一夜.
DAY_COUNT = re.compile(r"^[零一二两三四五六七八九十\d]{1,3}\s*[日天]$")
DURATION_AFTER = re.compile(r"^\s*(?:游|行程|行|团|线|内|之内|以内|[零一二两三四五六七八九十\d]{1,2}\s*[晚夜])")
# "四日跟团游", "五日自由行": the length in a tour's name.
TOUR_LENGTH = re.compile(r"[一二两三四五六七八九十\d]{1,2}\s*[日天](?=\s*(?:跟团|游|自由行|行程|团|精华))")
# What names a day besides a count of days (12月, 15号, 周六, 明天).
DAY_WORD_BUT_DAYS = re.compile(r"[月号周今明后昨]|星期|礼拜")
DURATION_BEFORE = re.compile(r"(?:玩|住|待|呆|逛|游|共|一共|为期)\s*$")
# What names a day rather than only a time of it (明天, 12号, 周五, 国庆节, 12/5).
# "五一广场", "2号线", "清明上河园", "24小时前台": a date word that begins a place's name.
NAME_AFTER = re.compile(r"^(?:号?线|广场|路|街|大道|公园|上河园|桥|站|台|村|巷|中学|小学|大学|医院)")
# "周五一晚": the weekday's digit read together with the count of nights after it.
WEEKDAY_DIGITS = "一二三四五六日天"
WEEKDAY_BEFORE = re.compile(r"(?:(?:下下|下|这|本)个?)?(?:周|星期|礼拜)$")
DAY_WORD = re.compile(r"[天日号月年周节今明昨]|星期|礼拜|\d{1,2}\s*[/.-]\s*\d{1,2}")


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
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007 - naive business-zone time, as jionlp gives it


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


def _rewrite(text: str) -> tuple[str, OffsetMap]:
    """The aliases spelt out, and where each character of the result was in ``text``."""
    return substitute(ALIAS, lambda m: ALIASES[m.group(0)], text)


def _is_duration(text: str, start: int, end: int) -> bool:
    """三日游, 玩三天, 三天两晚: how long a trip lasts, not which day it starts; also a
    tour's name read whole as a date ("九寨沟黄龙四日跟团游")."""
    if TOUR_LENGTH.search(text[start:end + 4]) and not DAY_WORD_BUT_DAYS.search(text[start:end]):
        return True
    if not DAY_COUNT.match(text[start:end]):
        return False
    return bool(DURATION_AFTER.match(text[end:]) or DURATION_BEFORE.search(text[:start]))


def names_a_day(expression: str) -> bool:
    """Whether a date expression names a day ("明天下午两点") or only a time of some day
    already agreed ("下午两点那班", "9点05那趟"): a time alone keeps the day in hand."""
    return bool(DAY_WORD.search(expression))


def _is_greeting(text: str, start: int, end: int) -> bool:
    """下午好, 晚上好, a bare 早晨: time-of-day words that greet, not schedule."""
    expression = text[start:end]
    if TIME_OF_DAY.match(expression) and (text[end:end + 1] == "好" or expression == "早晨"):
        return True
    return bool(TIME_OF_DAY.match(expression)) and text[max(0, start - 1):start] == "一"


def _resolve(expression: str, detail: Dict[str, Any], now: datetime) -> Optional[tuple[str, str]]:
    """The ISO value of one parsed expression, or None if it is no usable trip date."""
    times = detail.get("time")
    if not _bounded(times):
        return None
    try:
        detail = _future_biased(expression, detail, now)
        if not _bounded(detail.get("time")):
            return None
        start, end = (_as_datetime(t) for t in detail["time"])
    except ValueError:
        logger.debug("unusable time %r for %r", detail.get("time"), expression)
        return None
    value, grain = _format(start, end)
    if expression.endswith("周末") and grain == "day":
        value, grain = f"{(start.date() - timedelta(days=1)).isoformat()}/{start.date().isoformat()}", "range"
    return value, grain


def extract_dates(text: str, now: Optional[datetime] = None) -> List[DateMention]:
    """Every date/time expression in a message, with its ISO value."""
    now = now or business_now()
    rewritten, offsets = _rewrite(text)
    to_original = offsets.back
    try:
        found = _jionlp().ner.extract_time(
            rewritten, time_base=now.timestamp(), with_parsing=True
        )
    except Exception as error:  # noqa: BLE001 - a parser failure must not fail the message
        logger.debug("jionlp failed on %r: %s", text, error)
        return []
    mentions: List[DateMention] = []
    for item in found:
        if item.get("type") not in ("time_point", "time_span"):
            continue
        expression = item["text"]
        begin, finish = item["offset"]
        trimmed = TRAILING_NOISE.sub("", OPEN_SUFFIX.sub("", expression))
        if trimmed != expression and trimmed:
            finish = begin + len(trimmed)
            expression = trimmed
            detail = _parse(expression, now) or {}
        else:
            detail = item.get("detail") or {}
        if NOT_A_DATE.match(expression):
            continue
        resolved = _resolve(expression, detail, now)
        if resolved is None:
            continue
        start, end = to_original(begin), to_original(finish)
        if _is_greeting(text, start, end) or _is_duration(text, start, end) or NAME_AFTER.match(text[end:]):
            continue
        if WEEKDAY_BEFORE.search(text[:end]) and text[end:end + 1] in WEEKDAY_DIGITS:
            start, end, expression = start, end + 1, text[start:end + 1]  # "下周二12月8号": 下周 + 二
            detail = _parse(expression, now) or {}
            resolved = _resolve(expression, detail, now)
            if resolved is None:
                continue
            mentions.append(DateMention(start, end, expression, *resolved))
            continue
        if WEEKDAY_BEFORE.search(text[:start]):
            weekday = _weekday_before(text, start, now)
            if weekday is not None:
                mentions.append(weekday)
            continue
        mentions.append(DateMention(start, end, text[start:end], *resolved))
    mentions = [_without_punctuation(text, m) for m in mentions]
    return sorted(mentions + _days_listed_before(text, mentions), key=lambda m: m.start)


# "住19、20号两晚", "3、4号": a day of the month listed before a dated one shares its month.
LISTED_DAY = re.compile(r"(?<![\d.])(\d{1,2})\s*[、,，和及跟]\s*$")
ISO_DAY = re.compile(r"^(\d{4}-\d{2}-)(\d{2})$")


def _days_listed_before(text: str, mentions: List[DateMention]) -> List[DateMention]:
    listed: List[DateMention] = []
    for mention in mentions:
        day = LISTED_DAY.search(text[:mention.start])
        month = ISO_DAY.match(mention.value)
        if not day or not month or int(day.group(1)) >= int(month.group(2)):
            continue
        if any(m.start <= day.start(1) < m.end for m in mentions):
            continue
        value = f"{month.group(1)}{int(day.group(1)):02d}"
        listed.append(DateMention(day.start(1), day.end(1), day.group(1), value, "day"))
    return listed


EDGE_PUNCTUATION = " ,，。.!！?？、:：;；~～"


def _without_punctuation(text: str, mention: DateMention) -> DateMention:
    """",今晚" → "今晚": jionlp's offsets can take in the comma before an expression."""
    words = text[mention.start:mention.end]
    start = mention.start + len(words) - len(words.lstrip(EDGE_PUNCTUATION))
    end = mention.end - (len(words) - len(words.rstrip(EDGE_PUNCTUATION)))
    if (start, end) == (mention.start, mention.end) or start >= end:
        return mention
    return DateMention(start, end, text[start:end], mention.value, mention.grain)


def _weekday_before(text: str, start: int, now: datetime) -> Optional[DateMention]:
    """"周五一晚" parsed as 五一 (May Day) evening: the weekday is 周 + the first digit."""
    begin = WEEKDAY_BEFORE.search(text[:start])
    assert begin is not None
    expression = text[begin.start():start + 1]
    detail = _parse(expression, now)
    resolved = _resolve(expression, detail, now) if detail else None
    return DateMention(begin.start(), start + 1, expression, *resolved) if resolved else None


def first_day(value: str) -> date:
    """The first calendar day of an ISO value produced here."""
    return date.fromisoformat(value.split("/")[0][:10])
