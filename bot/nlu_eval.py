"""NLU figures on the independent sets, as a traveller meets the bot: the full pipeline
(normaliser, rule entities, overrides, fallback) parses each message, and the answer
counts only if the final intent (with its FAQ topic) is the labelled one.

``rasa test nlu`` scores DIET before our overrides and the fallback, and one set at a
time; this scores what the dialogue actually receives, per set, per intent, for the
Traditional subset and per entity (exact span and type).

    python -m bot.nlu_eval [--model models/tripdesk.tar.gz] [--json out.json] [SET=GLOB ...]
"""
from __future__ import annotations

import argparse
import asyncio
import glob
import json
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


@dataclass
class Scores:
    """Intent accuracy with per-intent counts, and entity true/false positives."""

    total: int = 0
    correct: int = 0
    by_intent: Dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    entity: Dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    confusions: Counter = field(default_factory=Counter)

    def add(self, p: Prediction) -> None:
        gold, ok = p.example.intent, p.intent == p.example.intent
        self.total += 1
        self.correct += ok
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
    """The intent the dialogue acts on; an FAQ carries the ResponseSelector's topic."""
    intent = (parse.get("intent") or {}).get("name") or "nlu_fallback"
    if intent == "faq":
        selected = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
        return selected.get("intent_response_key") or intent
    return intent


async def predict(model: Path, examples: Sequence[Example]) -> Tuple[List[Prediction], List[float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    predictions, timings = [], []
    for example in examples:
        started = time.perf_counter()
        parse = await agent.parse_message(example.text)
        timings.append(time.perf_counter() - started)
        # Entities are scored on the text as written; our normaliser keeps lengths, so
        # spans on the normalised text are spans on the original.
        spans = tuple(sorted((e["entity"], e["start"], e["end"]) for e in parse.get("entities") or []
                             if e.get("entity") != "attribute"))
        predictions.append(Prediction(example, final_intent(parse),
                                      float((parse.get("intent") or {}).get("confidence") or 0.0), spans))
    return predictions, timings


def score(predictions: Iterable[Prediction]) -> Scores:
    scores = Scores()
    for p in predictions:
        scores.add(p)
    return scores


def report(sets: Dict[str, List[Prediction]], timings: List[float]) -> Tuple[str, Dict[str, Any]]:
    everything = [p for ps in sets.values() for p in ps]
    overall = score(everything)
    traditional = score(p for p in everything if TRADITIONAL_FILE in p.example.source)
    figures: Dict[str, Any] = {
        "examples": overall.total,
        "intent accuracy": overall.accuracy,
        "traditional": traditional.accuracy,
        **{name: score(ps).accuracy for name, ps in sets.items()},
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
