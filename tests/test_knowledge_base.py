"""The operator-edited data is complete and consistent, and the NLU data meets the bar."""
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot import knowledge
from bot.cli import LOOKUP_FILE, render_lookups
from bot.nlu.check_data import INTENTS, check

ROOT = Path(__file__).resolve().parent.parent
TRAINING = sorted((ROOT / "data" / "nlu").glob("*.yml"))
HELD_OUT = sorted((ROOT / "tests" / "nlu").glob("*.yml"))


def intent_examples(paths):
    counts = Counter()
    texts = {}
    for path in paths:
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            if "intent" in block:
                lines = [l[2:].strip() for l in block["examples"].splitlines() if l.strip().startswith("- ")]
                counts[block["intent"]] += len(lines)
                texts.setdefault(block["intent"], []).extend(lines)
    return counts, texts


def test_catalogue_has_the_promised_breadth():
    hotels = knowledge.hotels()
    assert len(hotels) >= 40 and len({h.city for h in hotels}) >= 10
    assert all(h.rooms for h in hotels)
    assert len(knowledge.tours()) >= 20
    routes = {frozenset((s.origin, s.destination)) for s in knowledge.services()}
    assert len(routes) >= 10
    assert {s.mode for s in knowledge.services()} == {"train", "flight", "bus"}


def test_every_reference_points_to_a_known_place():
    names = {d.name for d in knowledge.destinations()}
    sights = {a.name for a in knowledge.attractions()}
    assert {h.city for h in knowledge.hotels()} <= names
    assert {t.destination for t in knowledge.tours()} <= names
    assert {a.city for a in knowledge.attractions()} <= names
    assert {s.origin for s in knowledge.services()} | {s.destination for s in knowledge.services()} <= names
    assert {a for t in knowledge.tours() for a in t.attractions} <= sights


def test_no_alias_names_two_destinations():
    owners = Counter(alias for d in knowledge.destinations() for alias in set(d.aliases) | {d.name})
    assert [alias for alias, n in owners.items() if n > 1] == []


@pytest.mark.parametrize("nickname, city", [("魔都", "上海"), ("帝都", "北京"), ("羊城", "广州"), ("鹏城", "深圳"), ("上海市", "上海"), ("蓉城", "成都")])
def test_city_nicknames(nickname, city):
    assert knowledge.canonical_city(nickname) == city


def test_at_least_300_cities_in_the_lookup_table_and_it_is_current():
    assert len(knowledge.destinations()) >= 300
    assert LOOKUP_FILE.read_text(encoding="utf-8") == render_lookups(), "run `make lookups`"


def test_training_data_volume_per_intent():
    counts, _ = intent_examples(TRAINING)
    by_intent = Counter()
    for intent, n in counts.items():
        by_intent[intent.split("/")[0]] += n
    for intent in INTENTS:
        need = 80 if intent in ("search_hotel", "search_ticket", "search_tour", "book", "change_booking", "cancel_booking", "faq") else 40
        assert by_intent[intent] >= need, intent
    faq_topics = {i.split("/")[1]: n for i, n in counts.items() if i.startswith("faq/")}
    assert len(faq_topics) >= 25 and min(faq_topics.values()) >= 8


def test_every_faq_topic_has_an_answer_and_vice_versa():
    counts, _ = intent_examples(TRAINING)
    topics = {i.split("/")[1] for i in counts if i.startswith("faq/")}
    assert topics == set(knowledge.faq())


def test_held_out_split_covers_every_intent_and_does_not_repeat_training():
    held, held_texts = intent_examples(HELD_OUT)
    _, train_texts = intent_examples(TRAINING)
    by_intent = Counter()
    for intent, n in held.items():
        by_intent[intent.split("/")[0]] += n
    assert all(by_intent[i] >= 10 for i in INTENTS), by_intent
    training = {t.lower() for texts in train_texts.values() for t in texts}
    overlap = [t for texts in held_texts.values() for t in texts if t.lower() in training]
    assert overlap == []


def test_all_nlu_data_aligns_with_the_tokenizer():
    assert check([str(p) for p in TRAINING + HELD_OUT]) == []


def test_the_payment_deadline_answer_quotes_the_hold_times_policies_yml_sets():
    from bot.booking.policy import hold_time, load_policy

    policy = load_policy()
    answer = knowledge.faq()["payment_deadline"].answer
    for word, kind, mode in [("酒店", "hotel_room", None), ("跟团游", "tour", None),
                             ("火车票", "transport", "train"), ("机票", "transport", "flight")]:
        minutes = int(hold_time(policy, kind, mode).total_seconds() // 60)
        assert f"{word} {minutes} 分钟" in answer
    assert f"最多同时保留 {policy.max_unpaid_bookings} 笔" in answer and "{" not in answer


def test_an_faq_answer_quoting_an_unknown_figure_is_named_to_the_operator():
    with pytest.raises(knowledge.KnowledgeBaseError, match="late_arrival.*hold_ferry"):
        knowledge._with_facts("late_arrival", "保留 {hold_ferry} 分钟", {"hold_flight": 20})
