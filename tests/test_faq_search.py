"""BM25 over the FAQ answers finds the topic for questions phrased freshly."""
from pathlib import Path

import pytest

from bot.faq_search import (
    ANSWER,
    CLARIFY,
    GUESS,
    TOPIC_ENTITY,
    UNSURE,
    FaqDecision,
    clarify_payload,
    decide_faq,
    faq_index,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "question, topic",
    [
        ("能带宠物入住吗", "pets"),
        ("酒店有没有停车场", "parking"),
        ("房间有wifi吗密码是多少", "wifi"),
        ("开发票怎么开", "invoice"),
        ("押金什么时候退", "deposit"),
        ("网上怎么值机选座", "flight_checkin"),
        ("台风天航班取消了怎么办", "weather"),
    ],
)
def test_question_finds_its_topic(question, topic):
    hits = faq_index().search(question)
    assert hits and hits[0].topic == topic


def test_unrelated_question_scores_low():
    assert faq_index().best("量子力学的基本原理", min_score=2.0) is None


# --- the decision: answer, guess, clarify or unsure -------------------------------------

def parse(text, topic=None, confidence=0.0, intent_confidence=0.9, entities=()):
    """A parse result as Rasa gives it for an FAQ: the text, the intent, the selector's pick."""
    result = {"text": text, "intent": {"name": "faq", "confidence": intent_confidence},
              "entities": list(entities)}
    if topic:
        result["response_selector"] = {"faq": {"response": {
            "intent_response_key": f"faq/{topic}", "confidence": confidence}}}
    return result


@pytest.mark.parametrize(
    "message, kind, topics",
    [
        # selector sure, BM25 agrees
        (parse("几点可以入住", "checkin_time", 0.9), ANSWER, ("checkin_time",)),
        # selector sure, BM25's other topic weak ("行李" shares words with luggage_storage)
        (parse("行李", "baggage", 0.9), ANSWER, ("baggage",)),
        # selector unsure, BM25 sure of another topic
        (parse("能带宠物入住吗", "wifi", 0.2), GUESS, ("pets",)),
        # no selector output: BM25 alone
        (parse("发票", None), GUESS, ("invoice",)),
        # neither sure, and they disagree: the traveller picks
        (parse("行李", "baggage", 0.4), CLARIFY, ("baggage", "luggage_storage")),
        # the topic is sure but the intent is not: not sure enough to overrule BM25
        (parse("几点", "checkout_time", 0.9, intent_confidence=0.5), CLARIFY, ("checkout_time", "checkin_time")),
        # both sure and disagreeing: the selector, trained on phrasings, over shared words
        (parse("房间能上网吗", "pets", 0.9), ANSWER, ("pets",)),
        # nothing fits
        (parse("量子力学的基本原理", "wifi", 0.1), UNSURE, ()),
        # a clarification button pressed: that topic, whatever the models say
        (parse('/faq{"faq_topic":"pets"}', "wifi", 0.9,
               entities=[{"entity": TOPIC_ENTITY, "value": "pets"}]), ANSWER, ("pets",)),
    ],
    ids=["agree", "selector-sure", "search-sure", "search-only", "disagree", "intent-unsure",
         "both-sure", "nothing", "button"],
)
def test_faq_decision(message, kind, topics):
    decision = decide_faq(message)
    assert (decision.kind, decision.topics) == (kind, topics)


def test_a_button_for_a_topic_we_do_not_have_is_ignored():
    forged = parse("/faq", "wifi", 0.9, entities=[{"entity": TOPIC_ENTITY, "value": "no_such_topic"}])
    assert decide_faq(forged).topics == ("wifi",)


def test_the_button_payload_is_read_back_by_rasa_as_the_intent_with_the_topic():
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.nlu.training_data.message import Message

    domain = Domain.load(str(ROOT / "domain.yml"))
    unpacked = YAMLStoryReader.unpack_regex_message(Message({"text": clarify_payload("baggage")}), domain)
    assert unpacked.get("intent")["name"] == "faq"
    assert decide_faq(unpacked.as_dict()) == FaqDecision(ANSWER, ("baggage",))
