"""NLU figures on the independent sets, as a traveller meets the bot: the full pipeline
(normaliser, rule entities, overrides, fallback) parses each message, and the answer
counts only if the final intent (with its FAQ topic) is the labelled one.

``rasa test nlu`` scores DIET before our overrides and the fallback, and one set at a
time; this scores what the dialogue actually receives, per set, per intent, for the
Traditional subset and per entity (exact span and type).

An FAQ counts with the topic the bot answers (bot/faq_search.decide_faq, the action's
own decision). When that decision asks the traveller to pick between two topics, the
message counts as wrong in the main figures; how often that happens, and the accuracy
that counts a clarification offering the right topic, are reported beside them.

``--sweep-fallback`` re-applies FallbackClassifier's rule (top intent confidence below
the threshold, or the top two closer than the ambiguity threshold) to the parses'
intent rankings over a grid of values, without retraining, and prints accuracy and
fallback rate per setting.

    python -m bot.nlu_eval [--model models/tripdesk.tar.gz] [--sweep-fallback] [SET=GLOB ...]
"""
from __future__ import annotations

import argparse
import asyncio
import glob
import json
import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETS = {
    "messages": "tests/nlu_independent/messages/*.yml",
    "turns": "tests/nlu_independent/turns/*.yml",
}
TRADITIONAL_FILE = "_trad"  # files of Traditional-script messages are named *_trad.yml
FALLBACK = "nlu_fallback"
FAQ_CLARIFY = "faq:clarify"  # the bot asked which of two topics was meant
FAQ_UNSURE = "faq:unsure"  # the bot said it does not know and pointed to a person
TARGETS = {"intent accuracy": 0.92, "traditional": 0.90, "turns": 0.88,
           "city/date F1": 0.93, "sight/hotel name F1": 0.80}

Span = Tuple[str, int, int]


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: Tuple[Span, ...]
    source: str


@dataclass
class Prediction:
    example: Example
    intent: str
    confidence: float
    entities: Tuple[Span, ...]
    # the FAQ topics offered when the bot asked which one was meant
    clarified: Tuple[str, ...] = ()
    # the classifier's ranking before the fallback, best first (name, confidence)
    ranking: Tuple[Tuple[str, float], ...] = ()
    # the final intent had the fallback not fired (the FAQ decided as usual)
    unfallen: str = ""

    @property
    def right_topic_offered(self) -> bool:
        """A clarification whose buttons include the labelled FAQ topic."""
        return any(f"faq/{topic}" == self.example.intent for topic in self.clarified)


@dataclass
class Scores:
    """Intent accuracy with per-intent counts, and entity true/false positives."""

    total: int = 0
    correct: int = 0
    by_intent: Dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    entity: Dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    confusions: Counter = field(default_factory=Counter)
    clarified: int = 0
    right_topic_offered: int = 0
    fallbacks: int = 0

    def add(self, p: Prediction) -> None:
        gold, ok = p.example.intent, p.intent == p.example.intent
        self.total += 1
        self.correct += ok
        self.clarified += p.intent == FAQ_CLARIFY
        self.right_topic_offered += p.right_topic_offered
        self.fallbacks += p.intent == FALLBACK
        self.by_intent[gold]["support"] += 1
        self.by_intent[gold]["correct"] += ok
        self.by_intent[p.intent]["predicted"] += 1
        if not ok:
            self.confusions[(gold, p.intent)] += 1
        gold_spans, found = set(p.example.entities), set(p.entities)
        for kind in {s[0] for s in gold_spans | found}:
            g = {s for s in gold_spans if s[0] == kind}
            f = {s for s in found if s[0] == kind}
            self.entity[kind]["tp"] += len(g & f)
            self.entity[kind]["fp"] += len(f - g)
            self.entity[kind]["fn"] += len(g - f)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def accuracy_with_clarifications(self) -> float:
        """Correct, or asked which of two topics with the right one among them."""
        return (self.correct + self.right_topic_offered) / self.total if self.total else 0.0

    def rate(self, count: int) -> float:
        return count / self.total if self.total else 0.0

    def f1(self, kinds: Iterable[str]) -> float:
        tp = sum(self.entity[k]["tp"] for k in kinds)
        fp = sum(self.entity[k]["fp"] for k in kinds)
        fn = sum(self.entity[k]["fn"] for k in kinds)
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def load_examples(pattern: str) -> List[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    examples: List[Example] = []
    for path in sorted(glob.glob(str(PROJECT_ROOT / pattern))):
        for message in load_data(path).training_examples:
            intent = message.get("intent_response_key") or message.get("intent")
            if not message.get("text") or not intent:
                continue
            spans = tuple(sorted((e["entity"], e["start"], e["end"])
                                 for e in message.get("entities") or []))
            examples.append(Example(message.get("text"), intent, spans,
                                    str(Path(path).relative_to(PROJECT_ROOT))))
    return examples


def final_intent(parse: Dict[str, Any]) -> str:
    """The intent the dialogue acts on; an FAQ carries the topic the bot answers
    (FAQ_CLARIFY when it asks which of two, FAQ_UNSURE when it answers none)."""
    return final_reading(parse)[0]


def final_reading(parse: Dict[str, Any]) -> Tuple[str, Tuple[str, ...]]:
    """The final intent and, for a clarifying question, the FAQ topics it offers."""
    from bot.faq_search import CLARIFY, decide_faq

    intent = (parse.get("intent") or {}).get("name") or FALLBACK
    if intent != "faq":
        return intent, ()
    decision = decide_faq(parse)
    if decision.kind == CLARIFY:
        return FAQ_CLARIFY, decision.topics
    return (f"faq/{decision.topic}" if decision.topic else FAQ_UNSURE), ()


def ranking_before_fallback(parse: Dict[str, Any]) -> Tuple[Tuple[str, float], ...]:
    """The intent ranking as FallbackClassifier saw it (without the entry it inserts)."""
    ranking = [(str(r.get("name")), float(r.get("confidence") or 0.0))
               for r in parse.get("intent_ranking") or []]
    if ranking and ranking[0][0] == FALLBACK:
        ranking = ranking[1:]
    return tuple(ranking)


def unfallen_intent(parse: Dict[str, Any], ranking: Sequence[Tuple[str, float]]) -> str:
    """The final intent had FallbackClassifier let the classifier's top intent through."""
    if not ranking or (parse.get("intent") or {}).get("name") != FALLBACK:
        return final_intent(parse)
    name, confidence = ranking[0]
    return final_intent({**parse, "intent": {"name": name, "confidence": confidence}})


def falls_back(ranking: Sequence[Tuple[str, float]], threshold: float, ambiguity: float) -> bool:
    """FallbackClassifier's rule (rasa/nlu/classifiers/fallback_classifier.py)."""
    if not ranking:
        return True
    if ranking[0][1] < threshold:
        return True
    return len(ranking) >= 2 and ranking[0][1] - ranking[1][1] < ambiguity


async def predict(model: Path, examples: Sequence[Example]) -> Tuple[List[Prediction], List[float]]:
    from rasa.core.agent import Agent

    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # the parse log would print the held-out messages
    agent = Agent.load(str(model))
    predictions, timings = [], []
    for example in examples:
        started = time.perf_counter()
        parse = await agent.parse_message(example.text)
        timings.append(time.perf_counter() - started)
        spans = spans_as_written(parse)
        intent, clarified = final_reading(parse)
        ranking = ranking_before_fallback(parse)
        predictions.append(Prediction(example, intent,
                                      float((parse.get("intent") or {}).get("confidence") or 0.0), spans,
                                      clarified, ranking, unfallen_intent(parse, ranking)))
    return predictions, timings


def spans_as_written(parse: Dict[str, Any]) -> Tuple[Span, ...]:
    """Entity spans on the text as the traveller wrote it.

    The normaliser keeps lengths, but a leading greeting the pipeline drops ("您好，") moves
    every span left by its length; the dropped clause is in the parse as ``social_prefix``.
    """
    from bot.nlu.acts import SOCIAL_PREFIX

    shift = len(parse.get(SOCIAL_PREFIX) or "")
    return tuple(sorted((e["entity"], e["start"] + shift, e["end"] + shift)
                        for e in parse.get("entities") or [] if e.get("entity") != "attribute"))


def score(predictions: Iterable[Prediction]) -> Scores:
    scores = Scores()
    for p in predictions:
        scores.add(p)
    return scores


def report(sets: Dict[str, List[Prediction]], timings: List[float]) -> Tuple[str, Dict[str, Any]]:
    everything = [p for ps in sets.values() for p in ps]
    overall = score(everything)
    traditional = score(p for p in everything if TRADITIONAL_FILE in p.example.source)
    faq = score(p for p in everything if p.example.intent.startswith("faq/"))
    figures: Dict[str, Any] = {
        "examples": overall.total,
        "intent accuracy": overall.accuracy,
        "traditional": traditional.accuracy,
        **{name: score(ps).accuracy for name, ps in sets.items()},
        "with right-topic clarifications": overall.accuracy_with_clarifications,
        "faq topic accuracy": faq.accuracy,
        "faq topic with right-topic clarifications": faq.accuracy_with_clarifications,
        "faq clarify rate": overall.rate(overall.clarified),
        "fallback rate": overall.rate(overall.fallbacks),
        "city/date F1": overall.f1(["city", "date"]),
        "sight/hotel name F1": overall.f1(["attraction_name", "hotel_name"]),
        "parse p50 ms": 1000 * sorted(timings)[len(timings) // 2] if timings else 0.0,
        "parse p95 ms": 1000 * sorted(timings)[int(len(timings) * 0.95)] if timings else 0.0,
    }
    lines = ["# NLU on the independent sets (full pipeline, final intent with FAQ topic)", ""]
    for name, value in figures.items():
        target = TARGETS.get(name)
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        lines.append(f"{name}: {shown}" + (f" (target {target})" if target else ""))
    lines += ["", "| intent | recall | precision | support |", "|---|---|---|---|"]
    for intent, c in sorted(overall.by_intent.items()):
        if c["support"]:
            precision = c["correct"] / c["predicted"] if c["predicted"] else 0.0
            lines.append(f"| {intent} | {c['correct'] / c['support']:.2f} | {precision:.2f} | {c['support']} |")
    lines += ["", "| entity | precision | recall | F1 |", "|---|---|---|---|"]
    for kind, c in sorted(overall.entity.items()):
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
        lines.append(f"| {kind} | {p:.2f} | {r:.2f} | {overall.f1([kind]):.2f} |")
    lines += ["", "most frequent confusions (gold → predicted):"]
    lines += [f"- {g} → {p}: {n}" for (g, p), n in overall.confusions.most_common(15)]
    return "\n".join(lines) + "\n", figures


def intent_level(label: str) -> str:
    """faq/baggage, FAQ_CLARIFY and FAQ_UNSURE are all the intent faq."""
    return "faq" if label.startswith("faq") else label


def sweep_fallback(predictions: Sequence[Prediction], thresholds: Sequence[float],
                   ambiguities: Sequence[float]) -> str:
    """Accuracy and fallback rate per (threshold, ambiguity), from the parses' rankings.

    A fallback is not a wrong answer: ``wrong`` counts the answers to another intent, and
    ``rescued`` the share of fallbacks whose labelled intent is one of the two intents the
    fallback offers as buttons (actions/fallback.py); ``with buttons`` is the accuracy
    counting those as right.
    """
    lines = ["| threshold | ambiguity | accuracy | fallback rate | wrong | rescued by buttons | with buttons |",
             "|---|---|---|---|---|---|---|"]
    total = len(predictions) or 1
    for threshold in thresholds:
        for ambiguity in ambiguities:
            correct = fell = rescued = 0
            for p in predictions:
                if falls_back(p.ranking, threshold, ambiguity):
                    fell += 1
                    correct += p.example.intent == FALLBACK
                    offered = [name for name, _ in p.ranking if name != FALLBACK][:2]
                    rescued += intent_level(p.example.intent) in offered
                else:
                    correct += p.unfallen == p.example.intent
            lines.append(f"| {threshold:.3f} | {ambiguity:.2f} | {correct / total:.3f} | {fell / total:.3f} "
                         f"| {(len(predictions) - correct - fell) / total:.3f} "
                         f"| {rescued / fell if fell else 0.0:.2f} | {(correct + rescued) / total:.3f} |")
    return "\n".join(lines) + "\n"


SWEEP_THRESHOLDS = tuple(round(0.25 + 0.025 * i, 3) for i in range(21))  # 0.25 … 0.75
SWEEP_AMBIGUITIES = (0.0, 0.02, 0.05, 0.08, 0.1)


def errors(predictions: Iterable[Prediction]) -> List[Dict[str, Any]]:
    return [{"text": p.example.text, "gold": p.example.intent, "predicted": p.intent,
             "confidence": round(p.confidence, 3), "source": p.example.source}
            for p in predictions if p.intent != p.example.intent]


def parse_sets(values: Sequence[str]) -> Dict[str, str]:
    chosen = dict(v.split("=", 1) for v in values)
    return chosen or DEFAULT_SETS


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.nlu_eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="*", help="NAME=GLOB (default: the independent sets)")
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "tripdesk.tar.gz")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "results" / "nlu_independent")
    parser.add_argument("--sweep-fallback", action="store_true",
                        help="also re-apply the fallback rule over a grid of thresholds (no retraining)")
    args = parser.parse_args(argv)
    sets = {name: load_examples(pattern) for name, pattern in parse_sets(args.sets).items()}
    empty: Set[str] = {name for name, examples in sets.items() if not examples}
    if empty:
        print(f"no examples in: {', '.join(sorted(empty))}")
        return 2
    everything = [e for examples in sets.values() for e in examples]
    predictions, timings = asyncio.run(predict(args.model, everything))
    by_set: Dict[str, List[Prediction]] = defaultdict(list)
    names = [name for name, examples in sets.items() for _ in examples]
    for name, prediction in zip(names, predictions, strict=True):
        by_set[name].append(prediction)
    text, figures = report(by_set, timings)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.md").write_text(text, encoding="utf-8")
    (args.out / "figures.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    (args.out / "errors.json").write_text(json.dumps(errors(predictions), ensure_ascii=False, indent=1),
                                          encoding="utf-8")
    print(text)
    if args.sweep_fallback:
        table = sweep_fallback(predictions, SWEEP_THRESHOLDS, SWEEP_AMBIGUITIES)
        (args.out / "fallback_sweep.md").write_text(table, encoding="utf-8")
        print("# fallback rule re-applied offline (threshold × ambiguity)\n\n" + table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
