"""Turns `rasa test nlu` reports into the figures the README quotes."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List

TARGET_MACRO_F1 = 0.93
TARGET_ENTITY_F1 = 0.90


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def entity_f1(out: Path) -> Dict[str, Dict[str, Any]]:
    """Per entity, the report of the extractor that actually predicts it."""
    best: Dict[str, Dict[str, Any]] = {}
    for report_path in sorted(out.glob("*Extractor_report.json")) + sorted(out.glob("DIETClassifier_report.json")):
        report = _read(report_path) or {}
        for entity, scores in report.items():
            if not isinstance(scores, dict) or "f1-score" not in scores or " avg" in entity:
                continue
            if entity == "no_entity":
                continue
            if entity not in best or scores.get("support", 0) and scores["f1-score"] > best[entity]["f1-score"]:
                best[entity] = {**scores, "extractor": report_path.stem.replace("_report", "")}
    return best


def confusions(out: Path, limit: int = 10) -> List[str]:
    errors = _read(out / "intent_errors.json") or []
    counts: Counter = Counter(
        (e["intent"], e["intent_prediction"]["name"]) for e in errors
    )
    return [f"{gold} → {predicted}: {n}" for (gold, predicted), n in counts.most_common(limit)]


def summarise(out: Path) -> str:
    report = _read(out / "intent_report.json") or {}
    lines = ["# NLU evaluation on the held-out split (tests/nlu/)", ""]
    accuracy = report.get("accuracy", 0.0)
    macro = (report.get("macro avg") or {}).get("f1-score", 0.0)
    lines.append(f"intent accuracy: {accuracy:.3f}")
    lines.append(f"intent macro F1: {macro:.3f} (target {TARGET_MACRO_F1})")
    response = _read(out / "response_selection_report.json") or {}
    if response:
        lines.append(f"faq sub-intent (ResponseSelector) accuracy: {response.get('accuracy', 0.0):.3f}, "
                     f"macro F1: {(response.get('macro avg') or {}).get('f1-score', 0.0):.3f}")
    lines += ["", "| intent | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for intent, scores in sorted(report.items()):
        if isinstance(scores, dict) and "support" in scores and " avg" not in intent:
            lines.append(f"| {intent} | {scores['precision']:.2f} | {scores['recall']:.2f} | "
                         f"{scores['f1-score']:.2f} | {scores['support']} |")
    lines += ["", "| entity | extractor | precision | recall | F1 | support |", "|---|---|---|---|---|---|"]
    for entity, scores in sorted(entity_f1(out).items()):
        lines.append(f"| {entity} | {scores['extractor']} | {scores['precision']:.2f} | "
                     f"{scores['recall']:.2f} | {scores['f1-score']:.2f} | {scores['support']} |")
    lines += ["", "most frequent intent confusions (gold → predicted):"]
    lines += [f"- {c}" for c in confusions(out)] or ["- none"]
    text = "\n".join(lines) + "\n"
    (out / "summary.md").write_text(text, encoding="utf-8")
    return text
