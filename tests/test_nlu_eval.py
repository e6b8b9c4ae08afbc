"""The independent NLU figures count what the dialogue receives: the FAQ topic, exact spans."""
from __future__ import annotations

from bot.nlu_eval import Example, Prediction, final_intent, load_examples, score


def test_an_faq_counts_only_with_the_right_topic():
    parse = {"intent": {"name": "faq", "confidence": 0.9},
             "response_selector": {"faq": {"response": {"intent_response_key": "faq/baggage"}}}}
    assert final_intent(parse) == "faq/baggage"
    assert final_intent({"intent": None}) == "nlu_fallback"


def test_accuracy_and_entity_f1_compare_intent_and_exact_spans():
    gold = Example("北京故宫门票", "search_tour", (("attraction_name", 2, 4), ("city", 0, 2)), "x_trad.yml")
    right = Prediction(gold, "search_tour", 0.9, (("attraction_name", 2, 4), ("city", 0, 2)))
    wrong = Prediction(gold, "faq/weather", 0.9, (("city", 0, 1),))
    scores = score([right, wrong])
    assert (scores.total, scores.correct) == (2, 1)
    assert scores.f1(["attraction_name"]) == 2 * 1 / (2 * 1 + 0 + 1)
    assert scores.f1(["city"]) == 2 * 1 / (2 * 1 + 1 + 1)
    assert scores.confusions[("search_tour", "faq/weather")] == 1


def test_the_independent_sets_load_with_their_labels():
    messages = load_examples("tests/nlu_independent/messages/*.yml")
    turns = load_examples("tests/nlu_independent/turns/*.yml")
    assert len(messages) > 400 and len(turns) > 300
    assert any(e.intent.startswith("faq/") for e in messages)
    assert any("_trad" in e.source for e in messages + turns)
