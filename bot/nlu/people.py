"""How many travellers: 三个人, 2位, 两大一小, 一家四口, 我们俩, 4个大人2个小孩; and how
many of them are children (两大一小, 其中一个是小孩, 带个5岁的孩子, 都是大人)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional

from bot.numerals import parse_number

NUMBER = r"(?:\d{1,2}|[一二两三四五六七八九十]{1,3})"
# "5岁", "八周岁", "3岁半": an age said with a traveller.
AGE = rf"(?P<age>{NUMBER})\s*周?岁半?"
ADULT = r"(?:大人|成人|成年人)"
# Who may travel on a child fare (a student may be an adult: not here).
CHILD = r"(?:小孩|孩子|儿童|小朋友|宝宝)"
ADULT_WORDS = rf"(?:个{ADULT}|{ADULT}|位成人|位大人)"
CHILD_WORDS = rf"(?:个?{CHILD}|个学生)"
# "一个小孩", "个5岁的孩子", "两个8岁的小朋友": a count of children (个 alone is one).
CHILDREN = rf"(?:(?P<c>{NUMBER})\s*(?:个|位|名)?|个)\s*(?:{AGE}的?)?{CHILD}"
# What may follow "两张" when it counts tickets: 票, a seat or cabin class, a train or flight
# number (两张G7), the day of travel (两张下礼拜六G6540), or nothing more.
TICKET_AFTER = (r"(?:机|车|火车|高铁|动车|船|门)?票|[一二]等|商务|特等|头等|经济|硬[座卧]|软[座卧]|无座"
                r"|[A-Za-z]{1,2}\d|[，,。.!！?？、\s]|$"
                r"|(?:下下?|这|本)个?(?:周|星期|礼拜)|(?:今|明|后|大后)天|(?:周|星期|礼拜)[一二三四五六日天]|\d{1,2}\s*[月号日]")
PATTERNS = [
    # 两大一小, 2大1小
    (re.compile(rf"(?P<a>{NUMBER})大(?P<c>{NUMBER})小"), "adults_children"),
    # 4个大人2个小孩 / 两个大人带一个孩子 / 2成人+1儿童
    (re.compile(rf"(?P<a>{NUMBER}){ADULT_WORDS}\s*(?:和|加|带|跟|还有|,|，|\+|、)?\s*(?P<c>{NUMBER}){CHILD_WORDS}"), "adults_children"),
    # 两个大人带个5岁的孩子 / 我们两个人带一个孩子: the adults, and the children they bring
    (re.compile(rf"(?P<a>{NUMBER})\s*(?:{ADULT_WORDS}|个人|位)\s*(?:带着|带了|带|加|和)\s*{CHILDREN}"), "adults_children"),
    # 大人2位，儿童1位 / 成人两个、小孩一个
    (re.compile(rf"{ADULT}\s*(?P<a>{NUMBER})\s*(?:个|位|名)?\s*[,，、和]?\s*{CHILD}\s*(?P<c>{NUMBER})\s*(?:个|位|名)?"),
     "adults_children"),
    # 一家四口, 一家三口人
    (re.compile(rf"一家(?P<n>{NUMBER})口人?"), "count"),
    # 三个人, 2位, 5名, 4个大人, 两人, 3口人, 十个人左右
    # (not 第5个人民广场那家: an ordinal is a position in a list)
    (re.compile(rf"(?<!第)(?<![\d一二两三四五六七八九十])(?P<n>{NUMBER})\s*(?:个人|位客人|位|名|口人|人|{ADULT_WORDS}|{CHILD_WORDS})"), "count"),
    # 两张, 2张票, 两张二等座: tickets, one a traveller (not 两张床, nor the surname in 三张伟)
    (re.compile(rf"(?<!第)(?<![\d一二两三四五六七八九十])(?P<n>{NUMBER})\s*张(?={TICKET_AFTER})"), "count"),
]
FIXED = [
    (re.compile(r"我们俩|咱俩|我俩|俩人|两口子|夫妻俩|我们两口子|情侣两人"), 2),
    (re.compile(rf"我们(?P<n>{NUMBER})个"), None),
    (re.compile(r"就我一个人?|就我自己|我一个人|单人|一个人"), 1),
]
# Children named among a party already counted, or brought along: 其中一个是小孩,
# 有两位是儿童, 带个5岁的孩子.
CHILDREN_AMONG = [
    re.compile(rf"(?P<c>{NUMBER})\s*(?:个|位|名)\s*是\s*{CHILD}"),
    re.compile(rf"带(?:着|了)?\s*{CHILDREN}"),
]
# "都是大人", "没有小孩": a party without children.
NO_CHILDREN = re.compile(rf"(?:(?:都是|全是|全都是){ADULT}|没(?:有|带)?(?:带)?{CHILD})(?=[,，。.!！~～\s]|$)")
# Under this age a traveller is a child (the usual tour rule, 2 to 12 years).
CHILD_AGE_LIMIT = 12
MONTHS_OLD = re.compile(rf"{NUMBER}\s*个?月大?")


@dataclass(frozen=True)
class PeopleMention:
    start: int
    end: int
    text: str
    value: int
    children: Optional[int] = None  # of ``value``, when the phrase says (两大一小: 1)


def _overlaps(mentions: List[PeopleMention], start: int, end: int) -> bool:
    return any(m.start < end and start < m.end for m in mentions)


def _number(match: "re.Match[str]", group: str, unsaid: Optional[int] = None) -> Optional[int]:
    said = match.group(group)
    return parse_number(said) if said else unsaid


def extract_people(text: str) -> List[PeopleMention]:
    """Every traveller count in the text, longest phrase first wins."""
    mentions: List[PeopleMention] = []
    value: Optional[int]
    for pattern, kind in PATTERNS:
        for match in pattern.finditer(text):
            if _overlaps(mentions, match.start(), match.end()):
                continue
            children: Optional[int] = None
            if kind == "adults_children":
                adults, children = _number(match, "a"), _number(match, "c", unsaid=1)
                if adults is None or children is None:
                    continue
                value = adults + children
                if "学生" in match.group(0):
                    children = None  # students are counted, not priced as children
            else:
                value = parse_number(match.group("n"))
            if value is None or not 1 <= value <= 99:
                continue
            mentions.append(PeopleMention(match.start(), match.end(), match.group(0), value, children))
    for pattern, fixed in FIXED:
        for match in pattern.finditer(text):
            if _overlaps(mentions, match.start(), match.end()):
                continue
            value = fixed if fixed is not None else parse_number(match.group("n"))
            if value:
                mentions.append(PeopleMention(match.start(), match.end(), match.group(0), value))
    return sorted(mentions, key=lambda m: m.start)


def children_in(text: str) -> Optional[int]:
    """How many children the text says the party has (两大一小: 1, 其中一个是小孩: 1,
    带个5岁的孩子: 1, 都是大人: 0); None when it says nothing about children."""
    split = next((m.children for m in extract_people(text) if m.children is not None), None)
    if split is not None:
        return split
    for pattern in CHILDREN_AMONG:
        match = pattern.search(text)
        if match:
            return _number(match, "c", unsaid=1)
    return 0 if NO_CHILDREN.search(text) else None


def is_child(note: str) -> bool:
    """Whether a note said with a traveller's name (小孩, 儿童, 8岁, 10个月) makes them a child."""
    if re.search(CHILD, note) or MONTHS_OLD.search(note):
        return True
    age = re.search(AGE, note)
    years = parse_number(age.group("age")) if age else None
    return years is not None and years < CHILD_AGE_LIMIT
