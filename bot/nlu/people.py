"""How many travellers: 三个人, 2位, 两大一小, 一家四口, 我们俩, 4个大人2个小孩."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional

from bot.numerals import parse_number

NUMBER = r"(?:\d{1,2}|[一二两三四五六七八九十]{1,3})"
ADULT_WORDS = r"(?:个大人|大人|个成人|成人|个成年人|位成人|位大人)"
CHILD_WORDS = r"(?:个小孩|小孩|个孩子|孩子|个儿童|儿童|个小朋友|小朋友|个宝宝|宝宝|个学生)"
PATTERNS = [
    # 两大一小, 2大1小
    (re.compile(rf"(?P<a>{NUMBER})大(?P<c>{NUMBER})小"), "adults_children"),
    # 4个大人2个小孩 / 两个大人带一个孩子 / 2成人+1儿童
    (re.compile(rf"(?P<a>{NUMBER}){ADULT_WORDS}\s*(?:和|加|带|跟|还有|,|，|\+|、)?\s*(?P<c>{NUMBER}){CHILD_WORDS}"), "adults_children"),
    # 一家四口, 一家三口人
    (re.compile(rf"一家(?P<n>{NUMBER})口人?"), "count"),
    # 三个人, 2位, 5名, 4个大人, 两人, 3口人, 十个人左右
    # (not 第5个人民广场那家: an ordinal is a position in a list)
    (re.compile(rf"(?<!第)(?<![\d一二两三四五六七八九十])(?P<n>{NUMBER})\s*(?:个人|位客人|位|名|口人|人|{ADULT_WORDS}|{CHILD_WORDS})"), "count"),
]
FIXED = [
    (re.compile(r"我们俩|咱俩|我俩|俩人|两口子|夫妻俩|我们两口子|情侣两人"), 2),
    (re.compile(rf"我们(?P<n>{NUMBER})个"), None),
    (re.compile(r"就我一个人?|就我自己|我一个人|单人|一个人"), 1),
]


@dataclass(frozen=True)
class PeopleMention:
    start: int
    end: int
    text: str
    value: int


def _overlaps(mentions: List[PeopleMention], start: int, end: int) -> bool:
    return any(m.start < end and start < m.end for m in mentions)


def extract_people(text: str) -> List[PeopleMention]:
    """Every traveller count in the text, longest phrase first wins."""
    mentions: List[PeopleMention] = []
    value: Optional[int]
    for pattern, kind in PATTERNS:
        for match in pattern.finditer(text):
            if _overlaps(mentions, match.start(), match.end()):
                continue
            if kind == "adults_children":
                adults, children = parse_number(match.group("a")), parse_number(match.group("c"))
                if adults is None or children is None:
                    continue
                value = adults + children
            else:
                value = parse_number(match.group("n"))
            if value is None or not 1 <= value <= 99:
                continue
            mentions.append(PeopleMention(match.start(), match.end(), match.group(0), value))
    for pattern, fixed in FIXED:
        for match in pattern.finditer(text):
            if _overlaps(mentions, match.start(), match.end()):
                continue
            value = fixed if fixed is not None else parse_number(match.group("n"))
            if value:
                mentions.append(PeopleMention(match.start(), match.end(), match.group(0), value))
    return sorted(mentions, key=lambda m: m.start)
