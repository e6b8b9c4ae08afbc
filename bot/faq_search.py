"""BM25 search over the FAQ answers in `knowledge_base/faq.yml`.

Used when the ResponseSelector is unsure: a question phrased in a way no training
example covers still finds the answer whose words it shares.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, List, Optional

from rank_bm25 import BM25Okapi

from bot import knowledge
from bot.nlu.tokenizer import build_jieba
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
