"""Text normalisation shared by the NLU pipeline, the actions and the NLG.

Travellers write Simplified and Traditional Chinese, full-width letters and digits,
zero-width characters pasted from apps, and runs of punctuation. The model is trained
on one canonical form (Simplified, half-width, tidy), so every channel's text is
brought to that form before tokenisation. Offsets into the original text are kept so
that annotated entity spans survive the change of length.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Dict, List, Tuple

import opencc

ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad]")
REPEATED_PUNCTUATION = re.compile(r"([!?.,~。，！？、…~\-])\1+")
WHITESPACE = re.compile(r"\s+")
TYPED_SLASH = "\uff0f"  # full-width solidus

# Regional words the OpenCC profiles leave as they are, applied after conversion of
# text the traveller wrote in Traditional script (Taiwan and Hong Kong usage).
REGIONAL_TERMS: Dict[str, str] = {
    "计程车": "出租车",
    "的士": "出租车",
    "捷运": "地铁",
    "饭店": "酒店",
    "航厦": "航站楼",
    "登机证": "登机牌",
    "软体": "软件",
    "行动电话": "手机",
    "游览车": "大巴",
    "订位": "预订",
    "几多钱": "多少钱",
    "几钱": "多少钱",
    "点样": "怎样",
    "系咪": "是不是",
}
_REGIONAL_PATTERN = re.compile("|".join(sorted(map(re.escape, REGIONAL_TERMS), key=len, reverse=True)))


@lru_cache(maxsize=None)
def _converter(profile: str) -> opencc.OpenCC:
    return opencc.OpenCC(profile)


def _to_half_width(char: str) -> str:
    code = ord(char)
    if code == 0x3000:
        return " "
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    return char


def _drop_control(text: str) -> str:
    return "".join(
        c for c in text if c in "\n\t " or not unicodedata.category(c).startswith("C")
    )


def _tw2sp(text: str) -> str:
    """``tw2sp`` turns an already simplified 么 into 幺; put that one character back."""
    converted = _converter("tw2sp").convert(text)
    if "幺" in converted and "幺" not in text:
        converted = converted.replace("幺", "么")
    return converted


def is_traditional(text: str) -> bool:
    """True when the text contains characters or phrases of Traditional script.

    ``t2s`` alone misses characters shared by both scripts in other words (看著), so the
    Taiwan phrase profile decides.
    """
    return _converter("t2s").convert(text) != text or _tw2sp(text) != text


def is_simplified(text: str) -> bool:
    """True when the text has characters written only in Simplified script (订, 张, 个).

    Names, numbers and many words (王小明, 二等座) are the same in both scripts and are
    neither Simplified nor Traditional.
    """
    return _converter("s2t").convert(text) != text


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def to_simplified(text: str) -> str:
    """Traditional → Simplified with Taiwan phrases and regional travel words.

    ``tw2sp`` handles 著→着 and 計程車→出租车, which plain ``t2s`` does not.
    """
    return _simplify(text) if is_traditional(text) else text


def _simplify(text: str) -> str:
    """Convert text already known to be Traditional (the check costs two conversions)."""
    return _REGIONAL_PATTERN.sub(lambda m: REGIONAL_TERMS[m.group(0)], _tw2sp(text))


def to_traditional(text: str) -> str:
    """Simplified → Traditional (Taiwan standard with phrases) for replies.

    OpenCC writes the formal 臺 (臺北); travellers write 台北, 台灣.
    """
    return _converter("s2twp").convert(text).replace("臺", "台")


@dataclass(frozen=True)
class Normalized:
    """The canonical text, plus what is needed to map spans back and forth."""

    original: str
    text: str
    traditional: bool

    def map_offset(self, offset: int) -> int:
        """Position in ``text`` of the character at ``offset`` in ``original``."""
        return offset_mapper(self.original, self.text)(offset)

    def map_span(self, start: int, end: int) -> Tuple[int, int]:
        new_start = self.map_offset(start)
        new_end = self.map_offset(end)
        # a span never starts or ends on whitespace the normaliser may have moved
        while new_start < new_end and self.text[new_start].isspace():
            new_start += 1
        while new_end > new_start and self.text[new_end - 1].isspace():
            new_end -= 1
        return new_start, new_end


def normalize(text: str) -> Normalized:
    """Bring any traveller's text to the canonical form the model is trained on."""
    original = text
    text = "".join(_to_half_width(c) for c in text)
    text = ZERO_WIDTH.sub("", text)
    text = _drop_control(text)
    text = REPEATED_PUNCTUATION.sub(r"\1", text)
    text = WHITESPACE.sub(" ", text).strip()
    traditional = is_traditional(text)
    if traditional:
        text = _simplify(text)
    if text.startswith("/") and not original.startswith("/"):
        # Rasa's graph reads "/intent{...}" as a command. Our connectors pass only the
        # payload of a button the bot offered as-is; typed text arrives escaped (a
        # zero-width space first, connectors/base.py) or typed full-width, and stays text.
        text = TYPED_SLASH + text[1:]
    return Normalized(original=original, text=text, traditional=traditional)


@lru_cache(maxsize=4096)
def offset_mapper(original: str, normalized: str) -> Callable[[int], int]:
    """Maps positions in ``original`` to positions in a rewritten ``normalized``."""
    matcher = difflib.SequenceMatcher(None, original, normalized, autojunk=False)
    opcodes: List[Tuple[str, int, int, int, int]] = matcher.get_opcodes()

    def mapper(offset: int) -> int:
        for tag, i1, i2, j1, j2 in opcodes:
            if offset < i1 or offset > i2:
                continue
            if tag == "equal":
                return j1 + (offset - i1)
            if tag == "delete":
                return j1
            if tag == "replace":
                if i2 == i1:
                    return j1
                return j1 + round((offset - i1) * (j2 - j1) / (i2 - i1))
        return len(normalized)

    return mapper
