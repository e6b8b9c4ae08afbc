"""Rasa component: jieba with the knowledge base's names kept whole.

Rasa's own JiebaTokenizer needs a dictionary folder written by hand; ours builds the
word list from `knowledge_base/` at training time and stores it in the model, so a
trained model tokenises the same way on any machine, whatever the files say later.
It also drops whitespace tokens, which jieba returns and which would otherwise
become features.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Sequence, Text

import jieba
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import knowledge

logger = logging.getLogger(__name__)
jieba.setLogLevel(logging.WARNING)

WORDS_FILE = "dictionary_words.json"


VERBS_BEFORE_NAMES = set("坐乘订定买搭去到飞回住游逛")


def _glued_words(tokenizer: jieba.Tokenizer, names: Sequence[str]) -> List[str]:
    """jieba's own words that glue one of our names to another word.

    jieba's dictionary has 坐飞机, 去北京 and the like: a city or product inside such a
    word could never be tagged. Only clear glues are removed (name+name, a travel
    verb+name), so ordinary words such as 中山路 stay whole.
    """
    ours = set(names)
    glued = []
    for word, freq in tokenizer.FREQ.items():
        if not freq or word in ours or len(word) < 3:
            continue
        splits = ((word[:i], word[i:]) for i in range(1, len(word)))
        if any(
            (head in ours and tail in ours)
            or (head in VERBS_BEFORE_NAMES and tail in ours)
            for head, tail in splits
        ):
            glued.append(word)
    return glued


def build_jieba(words: Sequence[str]) -> jieba.Tokenizer:
    """A private jieba instance (not the global one other libraries may change)."""
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in words:
        tokenizer.add_word(word)
    for word in _glued_words(tokenizer, [w for w in words if len(w) >= 2]):
        tokenizer.del_word(word)
    return tokenizer


def jieba_tokens(segmenter: jieba.Tokenizer, text: str) -> List[Token]:
    return [
        Token(word, start)
        for word, start, _ in segmenter.tokenize(text)
        if word.strip()
    ]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True
)
class KnowledgeBaseJiebaTokenizer(Tokenizer):
    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return ["zh"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        words: Sequence[str],
    ) -> None:
        super().__init__(config)
        self._model_storage = model_storage
        self._resource = resource
        self._words = list(words)
        self._segmenter = build_jieba(self._words)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "KnowledgeBaseJiebaTokenizer":
        return cls(config, model_storage, resource, knowledge.dictionary_words())

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "KnowledgeBaseJiebaTokenizer":
        try:
            with model_storage.read_from(resource) as directory:
                words = json.loads((directory / WORDS_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.warning("Tokenizer dictionary missing from the model; rebuilding from knowledge_base/")
            words = knowledge.dictionary_words()
        return cls(config, model_storage, resource, words)

    def train(self, training_data: TrainingData) -> Resource:
        with self._model_storage.write_to(self._resource) as directory:
            (directory / WORDS_FILE).write_text(
                json.dumps(self._words, ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        tokens = jieba_tokens(self._segmenter, message.get(attribute))
        return self._apply_token_pattern(tokens)
