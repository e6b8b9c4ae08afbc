"""Loading and validating the dialogue files (tests/dialogues/README.md).

Anything the runner would not understand (a key, a slot, an attribute or a kind it does
not know) is an error naming the file and the dialogue, so a typo never turns into a
check that silently passes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import yaml

SLOTS = ("city", "date", "people", "origin", "destination", "nights", "room", "seat", "names", "phone",
         "confirm")
SHOW_KINDS = ("hotel", "sight", "tour", "train", "flight", "bus")
HOTEL_ATTRIBUTES = ("地址", "电话", "评分", "星级", "价格", "房型", "早餐", "停车", "设施", "泳池", "健身房",
                    "无烟房", "行李寄存", "入住时间", "退房时间", "地铁", "周边")
SIGHT_ATTRIBUTES = ("地址", "电话", "票价", "开放时间", "游玩时长", "地铁", "评分", "周边", "介绍", "适合人群")
TOUR_ATTRIBUTES = ("价格", "费用包含", "费用不含", "行程", "团期", "天数")
SERVICE_ATTRIBUTES = ("发车时间", "到达时间", "时长", "票价", "座位", "车站", "航站楼")
ATTRIBUTES = tuple(dict.fromkeys(HOTEL_ATTRIBUTES + SIGHT_ATTRIBUTES + TOUR_ATTRIBUTES + SERVICE_ATTRIBUTES))
FLAGS = ("missing", "offers_person", "closes", "booked", "summary")
LIST_KEYS = ("mentions", "mentions_any", "not_mentions")
EXPECT_KEYS = LIST_KEYS + ("shows", "all_shown", "fact", "asks", "not_asks") + FLAGS
FILTER_KEYS = ("city", "district", "near", "max_price", "min_price", "min_rating", "min_stars", "facility",
               "free", "type", "origin", "destination", "mode", "depart_after", "depart_before", "fare_class")
NUMBER_FILTERS = ("max_price", "min_price", "min_rating", "min_stars")
TIME_FILTERS = ("depart_after", "depart_before")
MODES = ("train", "flight", "bus")
SHOWN_ITEM = re.compile(r"^shown\s+(\d+)$")
HHMM = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")


class ScriptError(ValueError):
    """A dialogue file the runner cannot run; the message names the file and dialogue."""


@dataclass(frozen=True)
class FactExpectation:
    item: str  # a catalogue name or service code, "shown N" or "focus"
    attribute: str


@dataclass(frozen=True)
class Expectations:
    mentions: Tuple[str, ...] = ()
    mentions_any: Tuple[str, ...] = ()
    not_mentions: Tuple[str, ...] = ()
    shows: Optional[str] = None
    all_shown: Mapping[str, Any] = field(default_factory=dict)
    facts: Tuple[FactExpectation, ...] = ()
    asks: Tuple[str, ...] = ()
    not_asks: Tuple[str, ...] = ()
    missing: Optional[bool] = None
    offers_person: Optional[bool] = None
    closes: Optional[bool] = None
    booked: Optional[bool] = None
    summary: Optional[bool] = None


@dataclass(frozen=True)
class Turn:
    user: str
    gives: Mapping[str, Any] = field(default_factory=dict)
    expect: Expectations = field(default_factory=Expectations)


@dataclass(frozen=True)
class Dialogue:
    id: str
    file: str
    turns: Tuple[Turn, ...]
    card: str = ""
    sender: Optional[str] = None


def load_files(paths: Iterable[Path]) -> List[Dialogue]:
    """Every dialogue of the files, in order; ids must be unique across all of them."""
    dialogues: List[Dialogue] = []
    seen: Dict[str, str] = {}
    for path in paths:
        for dialogue in load_file(path):
            if dialogue.id in seen:
                raise ScriptError(f"{path}: dialogue {dialogue.id!r}: id already used in {seen[dialogue.id]}")
            seen[dialogue.id] = str(path)
            dialogues.append(dialogue)
    return dialogues


def load_file(path: Path) -> List[Dialogue]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ScriptError(f"{path}: cannot read: {error}") from error
    if not isinstance(data, dict) or set(data) != {"dialogues"} or not isinstance(data["dialogues"], list):
        raise ScriptError(f"{path}: must be a mapping with one key, 'dialogues', holding a list")
    return [parse_dialogue(entry, str(path), index) for index, entry in enumerate(data["dialogues"], 1)]


def parse_dialogue(entry: Any, file: str, index: int) -> Dialogue:
    where = f"{file}: dialogue #{index}"
    if not isinstance(entry, dict):
        raise ScriptError(f"{where}: must be a mapping")
    if isinstance(entry.get("id"), str) and entry["id"].strip():
        where = f"{file}: dialogue {entry['id']!r}"
    else:
        raise ScriptError(f"{where}: needs an 'id' (a non-empty string)")
    _no_unknown(entry, ("id", "card", "sender", "turns"), where)
    turns = entry.get("turns")
    if not isinstance(turns, list) or not turns:
        raise ScriptError(f"{where}: needs 'turns', a non-empty list")
    sender = entry.get("sender")
    if sender is not None and (not isinstance(sender, str) or not sender.strip()):
        raise ScriptError(f"{where}: 'sender' must be a non-empty string")
    card = entry.get("card") or ""
    if not isinstance(card, str):
        raise ScriptError(f"{where}: 'card' must be text")
    parsed = tuple(parse_turn(turn, f"{where}, turn {number}") for number, turn in enumerate(turns, 1))
    return Dialogue(id=entry["id"], file=file, turns=parsed, card=card.strip(), sender=sender)


def parse_turn(entry: Any, where: str) -> Turn:
    if not isinstance(entry, dict):
        raise ScriptError(f"{where}: must be a mapping with 'user'")
    _no_unknown(entry, ("user", "gives", "expect"), where)
    user = entry.get("user")
    if not isinstance(user, (str, int, float)) or not str(user).strip():
        raise ScriptError(f"{where}: needs 'user', the traveller's message")
    gives = entry.get("gives") or {}
    if not isinstance(gives, dict):
        raise ScriptError(f"{where}: 'gives' must be a mapping of slot: value")
    _no_unknown(gives, SLOTS, f"{where}, gives", what="slot")
    return Turn(user=str(user), gives=dict(gives), expect=parse_expectations(entry.get("expect") or {}, where))


def parse_expectations(entry: Any, where: str) -> Expectations:
    if not isinstance(entry, dict):
        raise ScriptError(f"{where}: 'expect' must be a mapping")
    _no_unknown(entry, EXPECT_KEYS, f"{where}, expect", what="expectation")
    values: Dict[str, Any] = {}
    for key in LIST_KEYS:
        if key in entry:
            values[key] = _strings(entry[key], f"{where}, {key}")
    if "shows" in entry:
        values["shows"] = _one_of(entry["shows"], SHOW_KINDS, f"{where}, shows", "kind")
    if "all_shown" in entry:
        values["all_shown"] = _filters(entry["all_shown"], f"{where}, all_shown")
    if "fact" in entry:
        values["facts"] = _facts(entry["fact"], f"{where}, fact")
    for key in ("asks", "not_asks"):
        if key in entry:
            raw = entry[key] if isinstance(entry[key], list) else [entry[key]]
            values[key] = tuple(_one_of(slot, SLOTS, f"{where}, {key}", "slot") for slot in raw)
    for key in FLAGS:
        if key in entry:
            if not isinstance(entry[key], bool):
                raise ScriptError(f"{where}, {key}: must be true or false")
            values[key] = entry[key]
    return Expectations(**values)


def _facts(raw: Any, where: str) -> Tuple[FactExpectation, ...]:
    entries = raw if isinstance(raw, list) else [raw]
    facts = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise ScriptError(f"{where}: each fact is a mapping {{item, attribute}}")
        _no_unknown(entry, ("item", "attribute"), where)
        item, attribute = entry.get("item"), entry.get("attribute")
        if not isinstance(item, str) or not item.strip():
            raise ScriptError(f"{where}: 'item' must be a catalogue name, 'shown N' or 'focus'")
        item = item.strip()
        match = SHOWN_ITEM.match(item)
        if match and int(match.group(1)) < 1:
            raise ScriptError(f"{where}: 'shown N' counts from 1")
        facts.append(FactExpectation(item=item, attribute=_one_of(attribute, ATTRIBUTES, where, "attribute")))
    return tuple(facts)


def _filters(raw: Any, where: str) -> Dict[str, Any]:
    if not isinstance(raw, dict) or not raw:
        raise ScriptError(f"{where}: must be a non-empty mapping of filters")
    _no_unknown(raw, FILTER_KEYS, where, what="filter")
    for key in NUMBER_FILTERS:
        if key in raw and (isinstance(raw[key], bool) or not isinstance(raw[key], (int, float))):
            raise ScriptError(f"{where}, {key}: must be a number")
    for key in TIME_FILTERS:
        if key in raw and not (isinstance(raw[key], str) and HHMM.match(raw[key])):
            raise ScriptError(f"{where}, {key}: must be a time \"HH:MM\" (quoted)")
    if "free" in raw and not isinstance(raw["free"], bool):
        raise ScriptError(f"{where}, free: must be true or false")
    if "mode" in raw:
        _one_of(raw["mode"], MODES, f"{where}, mode", "mode")
    if "facility" in raw:
        raw = dict(raw, facility=_strings(raw["facility"], f"{where}, facility"))
    for key in ("city", "district", "near", "type", "origin", "destination", "fare_class"):
        if key in raw and (not isinstance(raw[key], str) or not raw[key].strip()):
            raise ScriptError(f"{where}, {key}: must be a name")
    return dict(raw)


def _strings(raw: Any, where: str) -> Tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(item, (str, int, float)) and str(item).strip() for item in items):
        raise ScriptError(f"{where}: must be a string or a list of non-empty strings")
    return tuple(str(item) for item in items)


def _one_of(value: Any, allowed: Sequence[str], where: str, what: str) -> str:
    if value not in allowed:
        raise ScriptError(f"{where}: unknown {what} {value!r} (one of: {', '.join(allowed)})")
    return str(value)


def _no_unknown(entry: Mapping[str, Any], allowed: Sequence[str], where: str, what: str = "key") -> None:
    unknown = [key for key in entry if key not in allowed]
    if unknown:
        raise ScriptError(f"{where}: unknown {what} {', '.join(map(repr, unknown))} "
                          f"(allowed: {', '.join(allowed)})")
