"""The tokenizer's dictionary takes catalogue names from the same import files the seed
loads, without a database."""
from __future__ import annotations

import dataclasses

from bot import knowledge
from tests.catalogue.conftest import GOOD


def test_dictionary_words_come_from_the_catalogue_import_files(monkeypatch):
    monkeypatch.setattr(knowledge, "settings",
                        dataclasses.replace(knowledge.settings, catalogue_dir=GOOD))
    words = knowledge.dictionary_words()
    for name in ("成都宽窄巷子栖云酒店", "外滩云景", "故宫博物院", "紫禁城", "浦东新区", "浦东",
                 "成都大熊猫基地都江堰两日游", "四合院大床房"):
        assert name in words
    assert "G101" not in words  # service codes are read by the rule extractor, not jieba
