"""Judging one bot turn: the turn's written expectations plus the always-on checks.

Always on (tests/dialogues/README.md): no reply empty; no re-ask of a slot the
traveller has given (``gives`` so far); no loop (the previous turn's prompt again with
nothing else said, or the same prompt a third time in a row); no stale prompt (a
question from a flow the traveller left: one asked before, not in the previous turn, and
now appended to another reply, or any prompt tacked onto a goodbye). Writing ``asks: X`` for a turn says the writer expects
that question there, so it is neither a re-ask nor a loop nor stale.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Set, Tuple

from bot.catalogue.items import SERVICE
from bot.dialogue_eval import facts
from bot.dialogue_eval.facts import CatalogueLike, Item, NamedItems
from bot.dialogue_eval.replies import DomainReader, Reply, fold
from bot.dialogue_eval.scripts import SHOWN_ITEM, Expectations, FactExpectation, Turn

log = logging.getLogger("tripdesk.dialogue_eval")
# Kinds of failure counted in the totals.
REASK, LOOP, CONTRADICTION = "re-ask", "loop", "not_mentions"
SHOW_KIND = {"hotel": facts.HOTEL, "sight": facts.SIGHT, "tour": facts.TOUR,
             "train": SERVICE, "flight": SERVICE, "bus": SERVICE}
MIN_OTHER_CHARS = 4  # a reply saying fewer characters besides its prompts said nothing else
SERVICE_FILTERS = ("origin", "destination", "mode", "depart_after", "depart_before", "fare_class")


@dataclass(frozen=True)
class Failure:
    check: str
    reason: str


@dataclass
class DialogueState:
    """What the judge remembers across the turns of one dialogue."""

    given: Dict[str, Any] = field(default_factory=dict)
    previous_prompts: Dict[str, str] = field(default_factory=dict)  # prompt key → response name
    prompts_before_previous: Set[str] = field(default_factory=set)
    earlier_prompts: Set[str] = field(default_factory=set)
    shown: Tuple[Item, ...] = ()
    focus: Optional[Item] = None
    previous_text: str = ""  # a prompt whose rendering changed (a corrected summary) is progress


class CatalogueUnavailable(RuntimeError):
    """The facade could not be opened (the catalogue is not built, or the DB is missing)."""


class Judge:
    """Checks turns against a domain's templates and a catalogue (opened on first use)."""

    def __init__(self, reader: DomainReader, catalogue: Callable[[], CatalogueLike]) -> None:
        self.reader = reader
        self._open_catalogue = catalogue
        self._catalogue: Optional[CatalogueLike] = None
        self._warned = False

    @property
    def catalogue(self) -> CatalogueLike:
        if self._catalogue is None:
            try:
                self._catalogue = self._open_catalogue()
            except Exception as error:  # noqa: BLE001 - reported per check, the run goes on
                if not self._warned:
                    log.warning("catalogue facade unavailable (%r): facts and shown items cannot be checked",
                                error)
                    self._warned = True
                raise CatalogueUnavailable(f"catalogue facade unavailable: {error!r}") from error
        return self._catalogue

    def judge(self, turn: Turn, reply: Reply, state: DialogueState) -> List[Failure]:
        """Every failed check of this turn; updates ``state`` for the next turn."""
        state.given.update(turn.gives)
        text = reply.text
        failures: List[Failure] = []
        if reply.is_empty():
            failures.append(Failure("empty", "the bot said nothing"))
        try:
            named = facts.items_named(self.catalogue, text) if text else facts.NamedItems((), ())
        except CatalogueUnavailable as error:
            named = facts.NamedItems((), ())
            if turn.expect.shows or turn.expect.all_shown or turn.expect.facts:
                failures.append(Failure("catalogue", str(error)))
        failures += self.expectations(turn.expect, text, named, state)
        failures += self.always_on(turn.expect, reply, state)
        if named.numbered or (named.listed and not state.shown):
            state.shown = named.listed  # a detail naming one item keeps the list it came from
        return failures

    # --- written expectations ---------------------------------------------------------

    def expectations(self, expect: Expectations, text: str, named: NamedItems,
                     state: DialogueState) -> List[Failure]:
        failures: List[Failure] = []
        absent = [s for s in expect.mentions if fold_expected(s) not in text]
        if absent:
            failures.append(Failure("mentions", f"missing {', '.join(absent)}"))
        if expect.mentions_any and not any(fold_expected(s) in text for s in expect.mentions_any):
            failures.append(Failure("mentions_any", f"none of {', '.join(expect.mentions_any)}"))
        present = [s for s in expect.not_mentions if fold_expected(s) in text]
        if present:
            failures.append(Failure(CONTRADICTION, f"says {', '.join(present)}"))
        if expect.shows:
            failures += self.shows(expect.shows, named)
        if expect.all_shown:
            failures += self.all_shown(expect, named)
        for fact in expect.facts:
            failures += self.fact(fact, text, state)
        asked = self.reader.asked_slots(text)
        for slot in expect.asks:
            if slot not in asked:
                failures.append(Failure("asks", f"does not ask for {slot}"))
        for slot in expect.not_asks:
            if slot in asked:
                failures.append(Failure("not_asks", f"asks for {slot} ({asked[slot]})"))
        failures += self.flags(expect, text)
        return failures

    def flags(self, expect: Expectations, text: str) -> List[Failure]:
        checks: List[Tuple[str, Optional[bool], Callable[[], Optional[str]]]] = [
            ("missing", expect.missing, lambda: None if self.reader.says_missing(text) else
             "does not say what is not covered"),
            ("offers_person", expect.offers_person, lambda: None if self.reader.offers_person(text) else
             "offers no person"),
            ("closes", expect.closes, lambda: self.reader.closes(text)),
            ("booked", expect.booked, lambda: self.reader.booked(text)),
            ("summary", expect.summary, lambda: None if self.reader.summary(text) else "no booking summary"),
        ]
        failures = []
        for name, wanted, check in checks:
            if wanted is None:
                continue
            reason = check()
            if wanted and reason:
                failures.append(Failure(name, reason))
            elif not wanted and reason is None:
                failures.append(Failure(name, f"expected not {name}, but it does"))
        return failures

    def shows(self, kind: str, named: NamedItems) -> List[Failure]:
        wanted = SHOW_KIND[kind]
        of_kind = [item for item in named.items if facts.kind_of(item) == wanted
                   and (wanted != SERVICE or getattr(item, "mode", None) == kind)]
        return [] if of_kind else [Failure("shows", f"names no {kind} of the catalogue")]

    def all_shown(self, expect: Expectations, named: NamedItems) -> List[Failure]:
        filters = expect.all_shown
        landmarks = set(facts.landmark_names(self.catalogue, filters))
        items = [item for item in named.listed if facts.label(item) not in landmarks]
        kind = result_kind(expect, items)
        items = [item for item in items if facts.kind_of(item) == kind]
        if not items:
            return [Failure("all_shown", "names no catalogue item to check")]
        failures = []
        for item in items:
            reasons = [facts.filter_failure(self.catalogue, item, key, value) for key, value in filters.items()]
            failures += [Failure("all_shown", reason) for reason in reasons if reason]
        return failures

    def fact(self, fact: FactExpectation, text: str, state: DialogueState) -> List[Failure]:
        try:
            item = self.resolve(fact.item, state)
        except CatalogueUnavailable as error:
            return [Failure("fact", str(error))]
        if item is None:
            return [Failure("fact", f"cannot resolve item {fact.item!r}")]
        state.focus = item
        reason = facts.check_fact(self.catalogue, item, fact.attribute, text)
        return [Failure("fact", f"{facts.label(item)} {fact.attribute}: {reason}")] if reason else []

    def resolve(self, reference: str, state: DialogueState) -> Optional[Item]:
        """``shown N`` (the N-th item listed in an earlier turn), ``focus`` (the item of the
        last fact, else the first item of the last list), or a catalogue name or code."""
        match = SHOWN_ITEM.match(reference)
        if match:
            index = int(match.group(1)) - 1
            return state.shown[index] if index < len(state.shown) else None
        if reference == "focus":
            return state.focus or (state.shown[0] if state.shown else None)
        return facts.resolve_name(self.catalogue, reference)

    # --- always on ----------------------------------------------------------------------

    def always_on(self, expect: Expectations, reply: Reply, state: DialogueState) -> List[Failure]:
        text = reply.text
        failures: List[Failure] = []
        allowed = set(expect.asks)
        asked = self.reader.asked_slots(text)
        for slot in state.given:
            if slot in asked and slot not in allowed and slot not in expect.not_asks:
                failures.append(Failure(REASK, f"asks again for {slot} ({asked[slot]}), "
                                               f"given as {state.given[slot]!r}"))
        prompts = {prompt_key(self.reader, name): name for name in self.reader.prompts_in(text)}
        expected = {key for key, name in prompts.items() if self.reader.prompts[name] & allowed}
        says_more = len(self.reader.besides_prompts(reply)) >= MIN_OTHER_CHARS
        repeated = text == state.previous_text
        for key, name in prompts.items():
            if key in expected:
                continue
            if key in state.previous_prompts and not says_more and repeated:
                failures.append(Failure(LOOP, f"{name} again, as in the previous turn, and nothing else"))
            elif key in state.previous_prompts and key in state.prompts_before_previous and (repeated or says_more):
                failures.append(Failure(LOOP, f"{name} a third time in a row"))
            elif key not in state.previous_prompts and key in state.earlier_prompts and says_more:
                failures.append(Failure("stale", f"{name}, from an earlier flow, appended to this reply"))
        if prompts and self.reader.is_category("goodbye", text):
            failures.append(Failure("stale", f"a question ({', '.join(prompts.values())}) after a goodbye"))
        state.earlier_prompts |= set(state.previous_prompts)
        state.prompts_before_previous = set(state.previous_prompts)
        state.previous_prompts = prompts
        state.previous_text = text
        return failures


def prompt_key(reader: DomainReader, name: str) -> str:
    """Two prompts for the same slot (hotel date, booking date) are the same question."""
    slots = sorted(reader.prompts.get(name, ()))
    return "slot:" + "+".join(slots) if slots else name


def result_kind(expect: Expectations, items: List[Item]) -> Optional[str]:
    if expect.shows:
        return SHOW_KIND[expect.shows]
    if any(key in expect.all_shown for key in SERVICE_FILTERS):
        return SERVICE
    if "free" in expect.all_shown:
        return facts.SIGHT
    return facts.kind_of(items[0]) if items else None


def fold_expected(text: str) -> str:
    """Expected strings are folded like replies, so a Traditional dialogue may write them."""
    return fold(text)


def turn_counts(failures: List[Failure]) -> Mapping[str, int]:
    return {kind: sum(f.check == kind for f in failures) for kind in (REASK, LOOP, CONTRADICTION)}
