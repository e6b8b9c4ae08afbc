"""Checks NLU files the way training will see them: `python -m bot.nlu.check_data FILE...`.

Rasa only warns about entity spans that cut a jieba token, and only for entities DIET
learns; this check runs our real normaliser and tokenizer over every example and
fails on any misaligned span, unknown intent or entity, or duplicate example.
"""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import sys
from collections import Counter
from pathlib import Path
from typing import List

from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.loading import load_data

from bot import knowledge
from bot.nlu.normalizer import ChineseNormalizer
from bot.nlu.tokenizer import build_jieba, jieba_tokens

INTENTS = {
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "request_human",
    "search_hotel", "search_ticket", "search_tour", "book", "check_booking",
    "change_booking", "cancel_booking", "refund_status", "payment_issue", "complaint",
    "emergency", "membership", "give_rating", "faq", "inform", "out_of_scope",
}
ENTITY_TYPES = {
    "city", "date", "number_of_people", "hotel_name", "attraction_name", "booking_ref",
    "phone", "product_type",
}
PRODUCT_TYPES = {"hotel", "tour", "flight", "train", "bus"}


def _dictionary() -> List[str]:
    return knowledge.dictionary_words(tolerate_missing=True)


def check(paths: List[str]) -> List[str]:
    problems: List[str] = []
    segmenter = build_jieba(_dictionary())
    seen: Counter = Counter()
    for path in paths:
        data = load_data(path)
        for example in data.training_examples:
            original = example.get(TEXT)
            intent = example.get(INTENT) or ""
            where = f"{Path(path).name}: '{original}' ({intent})"
            if intent.split("/")[0] not in INTENTS:
                problems.append(f"{where}: unknown intent")
            if '{"entity"' in original or "](" in original:
                problems.append(f"{where}: malformed annotation left in the text")
            key = (original.strip().lower(), intent)
            seen[key] += 1
            if seen[key] == 2:
                problems.append(f"{where}: duplicate example")
            ChineseNormalizer._normalize_example(example)
            text = example.get(TEXT)
            tokens = jieba_tokens(segmenter, text)
            starts = {t.start for t in tokens}
            ends = {t.end for t in tokens}
            for entity in example.get(ENTITIES) or []:
                name = entity["entity"]
                span = text[entity["start"]:entity["end"]]
                if name not in ENTITY_TYPES:
                    problems.append(f"{where}: unknown entity '{name}'")
                if name == "product_type" and entity.get("value") not in PRODUCT_TYPES:
                    problems.append(f"{where}: product_type '{span}' needs a value in {sorted(PRODUCT_TYPES)}")
                if entity["start"] not in starts or entity["end"] not in ends:
                    shown = " | ".join(t.text for t in tokens)
                    problems.append(f"{where}: {name} span '{span}' cuts a token; tokens: {shown}")
    return problems


def main(argv: List[str]) -> int:
    if not argv:
        print("usage: python -m bot.nlu.check_data FILE_OR_DIR...")
        return 2
    problems = check(argv)
    for problem in problems:
        print(problem)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
