"""The independent NLU figures count what the dialogue receives: the FAQ topic, exact spans."""
from __future__ import annotations

from bot.nlu_eval import (
    FAQ_CLARIFY,
    Example,
    Prediction,
    falls_back,
    final_intent,
    final_reading,
    load_examples,
    ranking_before_fallback,
    score,
    spans_as_written,
    sweep_fallback,
    unfallen_intent,
)


def test_an_faq_counts_only_with_the_right_topic():
    parse = {"text": "托运行李限重多少", "intent": {"name": "faq", "confidence": 0.9},
             "response_selector": {"faq": {"response": {"intent_response_key": "faq/baggage",
                                                        "confidence": 0.9}}}}
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


def test_spans_after_a_dropped_greeting_are_scored_on_the_text_as_written():
    # "您好，我上周订的" : the pipeline classifies "我上周订的" and keeps "您好，" apart.
    parse = {"text": "我上周订的", "social_prefix": "您好，",
             "entities": [{"entity": "date", "start": 1, "end": 3}, {"entity": "attribute", "start": 0, "end": 1}]}
    assert spans_as_written(parse) == (("date", 4, 6),)
    assert "您好，我上周订的"[4:6] == "上周"


def test_the_independent_sets_load_with_their_labels():
    messages = load_examples("tests/nlu_independent/messages/*.yml")
    turns = load_examples("tests/nlu_independent/turns/*.yml")
    assert len(messages) > 400 and len(turns) > 300
    assert any(e.intent.startswith("faq/") for e in messages)
    assert any("_trad" in e.source for e in messages + turns)


def test_a_clarification_is_wrong_in_the_main_figure_and_counted_apart():
    gold = Example("行李", "faq/baggage", (), "x.yml")
    asked_right = Prediction(gold, FAQ_CLARIFY, 0.9, (), clarified=("baggage", "luggage_storage"))
    asked_wrong = Prediction(gold, FAQ_CLARIFY, 0.9, (), clarified=("wifi", "pets"))
    answered = Prediction(gold, "faq/baggage", 0.9, ())
    scores = score([asked_right, asked_wrong, answered])
    assert scores.accuracy == 1 / 3
    assert scores.accuracy_with_clarifications == 2 / 3
    assert scores.rate(scores.clarified) == 2 / 3


def test_an_faq_parse_the_bot_would_clarify_is_reported_as_such():
    parse = {"text": "行李", "intent": {"name": "faq", "confidence": 0.9},
             "response_selector": {"faq": {"response": {"intent_response_key": "faq/baggage",
                                                        "confidence": 0.4}}}}
    assert final_reading(parse) == (FAQ_CLARIFY, ("baggage", "luggage_storage"))


def test_the_sweep_reapplies_the_fallback_rule_to_the_ranking_before_it():
    parse = {"text": "x", "intent": {"name": "nlu_fallback", "confidence": 0.45},
             "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.45},
                                {"name": "search_hotel", "confidence": 0.40},
                                {"name": "book", "confidence": 0.30}]}
    ranking = ranking_before_fallback(parse)
    assert ranking == (("search_hotel", 0.40), ("book", 0.30))
    assert unfallen_intent(parse, ranking) == "search_hotel"
    assert falls_back(ranking, 0.45, 0.0) and not falls_back(ranking, 0.35, 0.05)
    assert falls_back(ranking, 0.35, 0.15)  # 0.40 - 0.30 is ambiguous at 0.15
    fell = Prediction(Example("x", "search_hotel", (), "x.yml"), "nlu_fallback", 0.45, (),
                      ranking=ranking, unfallen="search_hotel")
    rows = sweep_fallback([fell], thresholds=(0.35, 0.45), ambiguities=(0.05,))
    assert "| 0.350 | 0.05 | 1.000 | 0.000 | 0.000 |" in rows
    # fell back: not right, not wrong either, and the right intent was offered as a button
    assert "| 0.450 | 0.05 | 0.000 | 1.000 | 0.000 | 1.00 | 1.000 |" in rows
