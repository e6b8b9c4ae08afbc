"""BM25 search over the FAQ answers in `knowledge_base/faq.yml`, and the one decision
which FAQ answer a message gets (:func:`decide_faq`).

BM25 is the second opinion on the ResponseSelector: a question phrased in a way no
training example covers still finds the answer whose words it shares, and when the two
disagree and neither is sure, the traveller is asked which topic they meant instead of
being answered the wrong one.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, List, Mapping, Optional, Tuple

from rank_bm25 import BM25Okapi

from bot import knowledge
from bot.nlu.tokenizer import build_jieba
from bot.settings import settings
from bot.text import normalize

STOPWORDS = set(
    "的 了 吗 呢 吧 啊 呀 嘛 哦 么 我 你 您 他 她 我们 你们 是 在 有 和 与 就 都 也 还 要 想 "
    "请问 一下 可以 能 能不能 可不可以 怎么 怎么样 如何 什么 多少 哪 哪里 几 这个 那个 一个 "
    "你们家 请 问 下 吗 嗯 呃 就是 然后 如果 的话 会 不会 吗".split()
)
PUNCTUATION = re.compile(r"^[\W_]+$")


@dataclass(frozen=True)
class FaqHit:
    topic: str
    score: float


def _terms(segmenter: Any, text: str) -> List[str]:
    return [
        token.lower()
        for token in segmenter.lcut_for_search(normalize(text).text)
        if token.strip() and token not in STOPWORDS and not PUNCTUATION.match(token)
    ]


class FaqIndex:
    def __init__(self) -> None:
        self._segmenter = build_jieba(knowledge.dictionary_words(tolerate_missing=True))
        entries = list(knowledge.faq().values())
        self._topics = [entry.topic for entry in entries]
        documents = [
            _terms(self._segmenter, " ".join([entry.title] * 2 + list(entry.keywords) * 2 + [entry.answer]))
            for entry in entries
        ]
        self._bm25 = BM25Okapi(documents)

    def search(self, question: str, limit: int = 3) -> List[FaqHit]:
        terms = _terms(self._segmenter, question)
        if not terms:
            return []
        scores = self._bm25.get_scores(terms)
        ranked = sorted(zip(self._topics, scores, strict=True), key=lambda pair: pair[1], reverse=True)
        return [FaqHit(topic, float(score)) for topic, score in ranked[:limit] if score > 0]

    def topic_named(self, question: str) -> Optional[str]:
        """The best-scoring FAQ topic whose own title or keywords the question uses ("能带狗
        吗" → pets), or None: a word shared by chance is not enough here."""
        faq = knowledge.faq()
        for hit in self.search(question, limit=3):
            entry = faq[hit.topic]
            if any(word and word.lower() in question.lower() for word in (entry.title, *entry.keywords)):
                return hit.topic
        return None

    def best(self, question: str, min_score: float) -> Optional[FaqHit]:
        hits = self.search(question, limit=1)
        return hits[0] if hits and hits[0].score >= min_score else None


@lru_cache(maxsize=1)
def faq_index() -> FaqIndex:
    return FaqIndex()


# --- which answer a message gets --------------------------------------------------------

ANSWER, GUESS, CLARIFY, UNSURE = "answer", "guess", "clarify", "unsure"
# The entity an offered clarification button carries: /faq{"faq_topic": "baggage"}.
TOPIC_ENTITY = "faq_topic"


@dataclass(frozen=True)
class FaqDecision:
    """What the FAQ action does with a message.

    ``answer`` the topic (``topics[0]``) outright; ``guess`` it, naming the topic so a
    traveller sees what was understood; ``clarify`` between ``topics[0]`` and
    ``topics[1]`` with buttons; ``unsure``: no answer, a person is suggested.
    """

    kind: str
    topics: Tuple[str, ...] = ()

    @property
    def topic(self) -> Optional[str]:
        """The topic answered, or None when the bot asks or does not know."""
        return self.topics[0] if self.kind in (ANSWER, GUESS) else None


def selected_topic(parse: Mapping[str, Any]) -> Tuple[Optional[str], float]:
    """The topic the ResponseSelector chose (``baggage`` for faq/baggage) and its confidence."""
    selector = ((parse.get("response_selector") or {}).get("faq") or {})
    response = selector.get("response") or {}
    key = str(response.get("intent_response_key") or "")
    topic = key.split("/", 1)[1] if "/" in key else None
    return topic, float(response.get("confidence") or 0.0)


def clarify_payload(topic: str) -> str:
    """What the button for ``topic`` sends: Rasa reads it as the intent with the topic."""
    return "/faq" + json.dumps({TOPIC_ENTITY: topic}, separators=(",", ":"))


def chosen_topic(parse: Mapping[str, Any]) -> Optional[str]:
    """The FAQ topic the traveller picked with an offered button, if it is one we have."""
    for entity in parse.get("entities") or []:
        if entity.get("entity") == TOPIC_ENTITY and str(entity.get("value")) in knowledge.faq():
            return str(entity.get("value"))
    return None


def decide_faq(
    parse: Mapping[str, Any],
    search: Optional[Callable[[str], List[FaqHit]]] = None,
    confidence_threshold: Optional[float] = None,
    min_score: Optional[float] = None,
) -> FaqDecision:
    """Answer, guess, clarify or admit not knowing, from one parse result.

    The selector's topic counts as sure when both the intent ``faq`` and the topic were
    predicted with at least ``confidence_threshold``; BM25's best topic counts when it
    scores ``min_score``, and as sure from twice that. When they name different topics
    the sure one wins (the selector when both are); when neither is sure the traveller
    picks between the two.

    Args:
        parse: a Rasa parse result (``text``, ``intent``, ``response_selector``).
        search: BM25 over the FAQ (default: the knowledge base's index).
        confidence_threshold: default ``settings.faq_confidence_threshold``.
        min_score: default ``settings.faq_search_min_score``.
    """
    chosen = chosen_topic(parse)
    if chosen is not None:
        return FaqDecision(ANSWER, (chosen,))
    threshold = settings.faq_confidence_threshold if confidence_threshold is None else confidence_threshold
    floor = settings.faq_search_min_score if min_score is None else min_score
    topic, confidence = selected_topic(parse)
    intent_confidence = float((parse.get("intent") or {}).get("confidence") or 0.0)
    selector_sure = topic is not None and min(confidence, intent_confidence) >= threshold
    hits = (search or faq_index().search)(str(parse.get("text") or ""))
    hit = hits[0] if hits and hits[0].score >= floor else None
    search_sure = hit is not None and hit.score >= 2 * floor
    if hit is None or topic is None or hit.topic == topic:
        return _agreed(topic, confidence, hit, selector_sure, threshold)
    if selector_sure:  # trained on the phrasings; BM25 only shares words
        return FaqDecision(ANSWER, (topic,))
    if search_sure:
        return FaqDecision(GUESS, (hit.topic,))
    return FaqDecision(CLARIFY, (topic, hit.topic))


def _agreed(topic: Optional[str], confidence: float, hit: Optional[FaqHit],
            selector_sure: bool, threshold: float) -> FaqDecision:
    """The decision when BM25 has no other topic to offer than the selector's."""
    if topic is not None and selector_sure:
        return FaqDecision(ANSWER, (topic,))
    if hit is not None:  # the same topic as the selector's, or the selector had none
        return FaqDecision(GUESS, (hit.topic,))
    if topic is not None and confidence >= threshold / 2:
        return FaqDecision(GUESS, (topic,))
    return FaqDecision(UNSURE)
