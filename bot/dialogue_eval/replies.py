"""What the bot said in one turn, read the way a traveller reads it.

A reply is all the bot's messages of a turn (texts and button titles), Traditional folded
to Simplified. Which question or kind of reply it is comes from the domain's own response
templates ({placeholders} match anything), so the runner follows the copy as it changes:
``utter_ask_*`` responses (and the booking summary and quotes, which ask for a yes) are
prompts, mapped to the README's slot names by the words in their response names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

import yaml

from bot.text import to_half_width, to_simplified, to_traditional

PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
MIN_LITERAL_CHARS = 4  # a template with less fixed text than this would match anything

# Words of a response name → the README's slot names. ``variant`` is a room for a hotel
# and a class for a train or flight, so it stands for both.
SLOT_WORDS: Dict[str, Tuple[str, ...]] = {
    "city": ("city",), "date": ("date",), "people": ("people",), "origin": ("origin",),
    "destination": ("destination",), "nights": ("nights",), "room": ("room", "variant"),
    "seat": ("seat", "fare", "class", "variant"), "names": ("names",), "phone": ("phone",),
    "confirm": ("confirm", "summary", "quote"),
}
# Prompts of flows about an existing order ask for its new values, not for the slots a
# traveller gives while searching or booking.
NOT_SLOT_WORDS = ("new", "order", "verify", "change", "cancel", "rephrase")
CONFIRM_PROMPT = re.compile(r"(summary|_quote)(_unpaid)?$")
CATEGORY_NAMES: Dict[str, re.Pattern[str]] = {
    "goodbye": re.compile(r"(goodbye|bye|farewell)"),
    "person": re.compile(r"(human|offer_person|handoff)"),
    "missing": re.compile(r"(unknown|no_results|missing|not_covered|no_route|no_fact|no_info|lacks|"
                          r"not_available|unavailable_fact|no_such_(?!result))"),
    "booked": re.compile(r"book_done"),
    "summary": re.compile(r"summary"),
}
HONEST_ABSENCE = re.compile(
    r"(暂时没有|暂无|没有收录|未收录|没有找到|没找到|没有查到|查不到|不清楚|无法确认|没有提供|未提供|"
    r"没有(?:这|该|相关|它的|这家|这个)?[^，。,.!?！？\n]{0,12}(?:信息|资料|数据|记录|线路|班次|航班|车次)|"
    r"不在[^，。,.!?！？\n]{0,10}范围)")
PERSON_WORDS = re.compile(r"(人工|真人|客服热线)")
BOOKING_REFERENCE = re.compile(r"TD[0-9A-Z]{8}(?![0-9A-Z])")


def fold(text: str) -> str:
    """Half-width, Simplified, lines kept: the form every check reads."""
    half = "".join(to_half_width(char) for char in text)
    return to_simplified(half)


@dataclass(frozen=True)
class Reply:
    """All the bot's messages of one turn, folded; ``raw`` keeps what it sent."""

    messages: Tuple[str, ...]
    raw: Tuple[str, ...] = ()
    buttons: Tuple[str, ...] = ()  # folded titles, also in ``messages``

    @classmethod
    def from_rest(cls, payload: Sequence[Mapping[str, Any]]) -> "Reply":
        raw: List[str] = []
        buttons: List[str] = []
        for message in payload:
            titles = [str(button.get("title") or "") for button in message.get("buttons") or []]
            buttons += [fold(title) for title in titles if title.strip()]
            text = "\n".join(part for part in [str(message.get("text") or ""), *titles] if part.strip())
            if text.strip():
                raw.append(text)
        return cls(messages=tuple(fold(text) for text in raw), raw=tuple(raw), buttons=tuple(buttons))

    @classmethod
    def of(cls, *texts: str) -> "Reply":
        return cls(messages=tuple(fold(text) for text in texts), raw=tuple(texts))

    @property
    def text(self) -> str:
        return "\n".join(self.messages)

    @property
    def shown(self) -> str:
        """As sent, for reports."""
        return "\n".join(self.raw)

    def is_empty(self) -> bool:
        return not self.text.strip()


@dataclass(frozen=True)
class Template:
    name: str
    patterns: Tuple[re.Pattern[str], ...]

    def found_in(self, text: str) -> bool:
        return any(pattern.search(text) for pattern in self.patterns)


def template_patterns(text: str) -> Tuple[re.Pattern[str], ...]:
    """Patterns for a response text as sent in Simplified and as sent in Traditional
    (both folded back), placeholders as wildcards; none when it has too little fixed text."""
    patterns = []
    for variant in dict.fromkeys((fold(text), fold(to_traditional(text)))):
        pieces = [piece.strip() for piece in PLACEHOLDER.split(variant)]
        if sum(len(re.sub(r"\s", "", piece)) for piece in pieces) < MIN_LITERAL_CHARS:
            continue
        literal = [re.sub(r"\\?\s+", r"\\s*", re.escape(piece)) for piece in pieces if piece]
        patterns.append(re.compile(r".*?".join(literal), re.DOTALL))
    return tuple(patterns)


def slots_of(name: str) -> FrozenSet[str]:
    """The README slots a prompt asks for, from the words of its response name."""
    if CONFIRM_PROMPT.search(name):
        return frozenset({"confirm"})
    words = name.removeprefix("utter_ask_").removeprefix("utter_").split("_")
    if any(word in NOT_SLOT_WORDS for word in words):
        return frozenset()
    return frozenset(slot for slot, slot_words in SLOT_WORDS.items() if set(words) & set(slot_words))


class DomainReader:
    """The domain's prompts and kinds of reply, recognised in a reply's text."""

    def __init__(self, responses: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        self.templates: Dict[str, Template] = {}
        for name, variants in responses.items():
            patterns: List[re.Pattern[str]] = []
            for variant in variants:
                if variant.get("text"):
                    patterns.extend(template_patterns(str(variant["text"])))
            if patterns:
                self.templates[name] = Template(name, tuple(patterns))
        self.prompts = {name: slots_of(name) for name in self.templates if is_prompt(name)}
        self.categories = {category: [name for name in self.templates if pattern.search(name)]
                           for category, pattern in CATEGORY_NAMES.items()}

    @classmethod
    def from_file(cls, path: Path) -> "DomainReader":
        return _reader(str(path))

    def matching(self, names: Iterable[str], text: str) -> List[str]:
        return [name for name in names if self.templates[name].found_in(text)]

    def besides_prompts(self, reply: Reply) -> str:
        """What the reply says apart from its prompts and buttons (punctuation dropped)."""
        text = reply.text
        for name in self.prompts_in(text):
            for pattern in self.templates[name].patterns:
                text = pattern.sub("", text)
        for title in reply.buttons:
            text = text.replace(title, "", 1)
        return re.sub(r"[\W_]+", "", text)

    def prompts_in(self, text: str) -> List[str]:
        """Response names of the prompts the reply contains."""
        return self.matching(self.prompts, text)

    def asked_slots(self, text: str) -> Dict[str, str]:
        """Slot → the prompt that asks for it."""
        asked: Dict[str, str] = {}
        for name in self.prompts_in(text):
            for slot in self.prompts[name]:
                asked.setdefault(slot, name)
        return asked

    def is_category(self, category: str, text: str) -> bool:
        return bool(self.matching(self.categories[category], text))

    def says_missing(self, text: str) -> bool:
        return self.is_category("missing", text) or bool(HONEST_ABSENCE.search(text))

    def offers_person(self, text: str) -> bool:
        return self.is_category("person", text) or bool(PERSON_WORDS.search(text))

    def closes(self, text: str) -> Optional[str]:
        """None when the reply says goodbye and asks nothing new; else why not."""
        if not self.is_category("goodbye", text):
            return "no goodbye"
        prompts = self.prompts_in(text)
        if prompts:
            return f"says goodbye but also asks ({', '.join(prompts)})"
        if text.rstrip().endswith(("?", "？")):
            return "says goodbye but ends with a question"
        return None

    def booked(self, text: str) -> Optional[str]:
        if not BOOKING_REFERENCE.search(text):
            return "no booking reference (TD + 8 characters)"
        if not (self.is_category("booked", text) or "成功" in text):
            return "a reference but no booking confirmation"
        return None

    def summary(self, text: str) -> bool:
        return self.is_category("summary", text)


def is_prompt(name: str) -> bool:
    return name.startswith("utter_ask_") or bool(CONFIRM_PROMPT.search(name))


@lru_cache(maxsize=4)
def _reader(path: str) -> DomainReader:
    domain = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return DomainReader(domain.get("responses") or {})
