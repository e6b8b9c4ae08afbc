"""Text normalisation shared by the NLU pipeline, the actions and the NLG.

Travellers write Simplified and Traditional Chinese, full-width letters and digits,
zero-width characters pasted from apps, and runs of punctuation. The model is trained
on one canonical form (Simplified, half-width, tidy), so every channel's text is
brought to that form before tokenisation. Offsets into the original text are kept so
that annotated entity spans survive the change of length: each rewriting step records
where every character it writes came from (:class:`OffsetMap`), so the cost stays
linear in the length of the message (an alignment of the two texts afterwards, as
difflib computes it, is quadratic and let one long message stall every traveller).
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import opencc

ZERO_WIDTH_CHARACTERS = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"
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
# Slips of the input method in the words that say what kind of place is meant, fixed
# in every message so "听涛花园酒点" names the hotel and not the sight before it.
TYPO_TERMS: Dict[str, str] = {
    "酒点": "酒店",
    "洒店": "酒店",
    "宾官": "宾馆",
}
_TYPO_PATTERN = re.compile("|".join(map(re.escape, TYPO_TERMS)))
# Everyday Cantonese and Taiwanese words, as they read after conversion to Simplified
# (唔該 → 唔该, 係咪 → 是不是 ...): particles, pronouns, "where", "how", "take a bus".
# They are never a place or part of a place's name, however a name index, a sound-alike
# or a "<words> 附近" pattern would read them.
SPEECH_PARTICLES = "唔咩冇喺佢嘅啲咗嗰𠮶哋乜嘢嚟噉畀攞睇揾搵冚咪嘞喎㖞啩㗎囉"  # 𠮶, 㖞: 嗰, 喎 converted
SPEECH_WORDS = (
    "唔该", "多谢", "点样", "怎样", "点解", "点算", "系咪", "是不是", "边度", "边个", "边间", "边处", "哪里", "哪儿",
    "呢度", "呢个", "呢间", "呢位", "呢家", "嗰度", "嗰个", "嗰间", "𠮶度", "𠮶个", "𠮶间", "个度", "个边", "呢边",
    "嗰边", "𠮶边", "几钱",
    "几多", "多少钱", "几时", "时候", "听日", "琴日", "而家", "宜家", "今日", "寻日", "搭车", "坐车", "搭公车",
    "搭巴士", "坐公车", "搭地铁", "坐地铁", "搭捷运", "捷运", "搭船", "搭飞机", "打车", "揸车", "行街", "请问",
    "你好", "您好", "哈啰", "得唔得", "使唔使", "方唔方便", "有冇", "系唔系", "好唔好", "可唔可以", "我哋",
    "你哋", "佢哋", "冇问题", "机车", "超商", "公车",
)
SPEECH_PATTERN = re.compile("|".join(sorted(map(re.escape, SPEECH_WORDS), key=len, reverse=True))
                     + f"|[{SPEECH_PARTICLES}]")


def speech_spans(text: str) -> List[Tuple[int, int]]:
    """Where the (Simplified) text has everyday Cantonese or Taiwanese words."""
    return [(m.start(), m.end()) for m in SPEECH_PATTERN.finditer(text)]


def only_speech(words: str) -> bool:
    """Whether the words are nothing but everyday words (佢喺, 呢度, 咩时候, 搭公车)."""
    return bool(words) and not SPEECH_PATTERN.sub("", words)


def has_speech_particle(words: str) -> bool:
    """Whether the words hold a Cantonese particle (唔, 咩, 冇, 喺, 佢 ...), which no place
    name has."""
    return any(char in SPEECH_PARTICLES for char in words)
_REGIONAL_PATTERN = re.compile("|".join(sorted(map(re.escape, REGIONAL_TERMS), key=len, reverse=True)))


@lru_cache(maxsize=None)
def _converter(profile: str) -> opencc.OpenCC:
    return opencc.OpenCC(profile)


def to_half_width(char: str) -> str:
    code = ord(char)
    if code == 0x3000:
        return " "
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    return char


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
    return _simplified(text)[0]


def _simplified(text: str) -> Tuple[str, "OffsetMap"]:
    """Traditional → Simplified: Taiwan phrases, then regional travel words; with offsets."""
    converted, offsets = _converted(text, _tw2sp)
    simplified, step = substitute(_REGIONAL_PATTERN, lambda m: REGIONAL_TERMS[m.group(0)], converted)
    return simplified, offsets.then(step)


def to_traditional(text: str) -> str:
    """Simplified → Traditional (Taiwan standard with phrases) for replies.

    OpenCC writes the formal 臺 (臺北); travellers write 台北, 台灣.
    """
    return _converter("s2twp").convert(text).replace("臺", "台")


@dataclass(frozen=True)
class OffsetMap:
    """Where each character of a rewritten text came from in the text before the rewrite.

    ``sources[j]`` is the position in the source text of the character at ``j`` in the
    rewritten text; it never decreases, since no rewrite here reorders text. A step that
    replaces a span by text of another length spreads the new characters evenly over
    the old span. Built while rewriting and composed step by step, so it costs time
    linear in the length of the text; mapping a position is a binary search.
    """

    sources: Sequence[int]
    source_length: int

    @classmethod
    def identity(cls, length: int) -> "OffsetMap":
        return cls(range(length), length)

    def then(self, step: "OffsetMap") -> "OffsetMap":
        """This rewrite followed by ``step`` (a rewrite of this one's output)."""
        if isinstance(step.sources, range) and len(step.sources) == len(self.sources):
            return self
        sources = self.sources
        return OffsetMap([sources[index] for index in step.sources], self.source_length)

    def forward(self, offset: int) -> int:
        """Position in the rewritten text of the source character at ``offset``.

        A removed character maps to where the next kept one landed; the end maps to the end.
        """
        return bisect_left(self.sources, offset)

    def back(self, offset: int) -> int:
        """Position in the source text of the rewritten character at ``offset``."""
        if offset >= len(self.sources):
            return self.source_length
        return self.sources[max(offset, 0)]


def _spread(start: int, end: int, length: int) -> range | List[int]:
    """Sources for ``length`` new characters replacing ``text[start:end]``."""
    if length == end - start:
        return range(start, end)
    return [start + (index * (end - start)) // length for index in range(length)]


def substitute(pattern: "re.Pattern[str]", replace: Callable[["re.Match[str]"], str],
               text: str) -> Tuple[str, OffsetMap]:
    """``pattern.sub(replace, text)`` together with where each new character came from."""
    pieces: List[str] = []
    sources: List[int] = []
    done = 0
    for match in pattern.finditer(text):
        start, end = match.span()
        replacement = replace(match)
        pieces.append(text[done:start])
        sources.extend(range(done, start))
        pieces.append(replacement)
        sources.extend(_spread(start, end, len(replacement)))
        done = end
    if not pieces:
        return text, OffsetMap.identity(len(text))
    pieces.append(text[done:])
    sources.extend(range(done, len(text)))
    return "".join(pieces), OffsetMap(sources, len(text))


def _kept(text: str, keep: Callable[[str], bool]) -> Tuple[str, OffsetMap]:
    """The characters of ``text`` that ``keep`` accepts, and where they were."""
    sources = [index for index, char in enumerate(text) if keep(char)]
    if len(sources) == len(text):
        return text, OffsetMap.identity(len(text))
    return "".join(text[index] for index in sources), OffsetMap(sources, len(text))


def _stripped(text: str) -> Tuple[str, OffsetMap]:
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    if start == 0 and end == len(text):
        return text, OffsetMap.identity(len(text))
    return text[start:end], OffsetMap(range(start, max(start, end)), len(text))


# OpenCC converts the runs between these separators independently (opencc's own
# split_chars_re includes them), so converting piece by piece gives the same text and
# tells which piece changed length.
OPENCC_SEPARATORS = re.compile(r"[\s,.?!，。、；：？！…]+")


def _converted(text: str, convert: Callable[[str], str]) -> Tuple[str, OffsetMap]:
    """``convert(text)`` (an OpenCC conversion) with where each character came from.

    Conversion is almost always character for character; a phrase of another length
    (串列埠 → 串口) spreads its piece evenly over the original piece.
    """
    converted = convert(text)
    if len(converted) == len(text):
        return converted, OffsetMap.identity(len(text))
    pieces: List[str] = []
    sources: List[int] = []
    done = 0
    for piece in [*OPENCC_SEPARATORS.finditer(text), None]:
        end = piece.start() if piece is not None else len(text)
        part = convert(text[done:end])
        pieces.append(part)
        sources.extend(_spread(done, end, len(part)))
        if piece is not None:
            pieces.append(piece.group(0))
            sources.extend(range(piece.start(), piece.end()))
            done = piece.end()
    return "".join(pieces), OffsetMap(sources, len(text))


@dataclass(frozen=True)
class Normalized:
    """The canonical text, plus what is needed to map spans back and forth."""

    original: str
    text: str
    traditional: bool
    offsets: Optional[OffsetMap] = field(default=None, compare=False, repr=False)

    def map_offset(self, offset: int) -> int:
        """Position in ``text`` of the character at ``offset`` in ``original``."""
        offsets = self.offsets or OffsetMap.identity(len(self.original))
        return offsets.forward(offset)

    def map_span(self, start: int, end: int) -> Tuple[int, int]:
        new_start = self.map_offset(start)
        new_end = self.map_offset(end)
        # a span never starts or ends on whitespace the normaliser may have moved
        while new_start < new_end and self.text[new_start].isspace():
            new_start += 1
        while new_end > new_start and self.text[new_end - 1].isspace():
            new_end -= 1
        return new_start, new_end


def _is_kept(char: str) -> bool:
    """Not a zero-width character, and not a control character other than tab and newline."""
    if char in ZERO_WIDTH_CHARACTERS:
        return False
    return char in "\n\t " or not unicodedata.category(char).startswith("C")


def normalize(text: str) -> Normalized:
    """Bring any traveller's text to the canonical form the model is trained on."""
    original = text
    text = "".join(to_half_width(c) for c in text)  # character for character
    text, offsets = _kept(text, _is_kept)
    text, step = substitute(REPEATED_PUNCTUATION, lambda match: match.group(1), text)
    offsets = offsets.then(step)
    text, step = substitute(WHITESPACE, lambda match: " ", text)
    offsets = offsets.then(step)
    text, step = _stripped(text)
    offsets = offsets.then(step)
    traditional = is_traditional(text)
    if traditional:
        text, step = _simplified(text)
        offsets = offsets.then(step)
    text, step = substitute(_TYPO_PATTERN, lambda match: TYPO_TERMS[match.group(0)], text)
    offsets = offsets.then(step)
    if text.startswith("/") and not original.startswith("/"):
        # Rasa's graph reads "/intent{...}" as a command. Our connectors pass only the
        # payload of a button the bot offered as-is; typed text arrives escaped (a
        # zero-width space first, connectors/base.py) or typed full-width, and stays text.
        text = TYPED_SLASH + text[1:]
    return Normalized(original=original, text=text, traditional=traditional, offsets=offsets)
