"""Rasa component: canonical text before tokenisation (see `bot.text.normalize`)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.text import normalize, to_simplified

SCRIPT = "script"
ORIGINAL_TEXT = "original_text"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class ChineseNormalizer(GraphComponent):
    """Traditional → Simplified, full-width → half-width, stray characters removed.

    Runs first in the pipeline so every channel gets the same canonical text, and
    records the script the traveller used (`script` in the parse data) so replies can
    be given in Traditional to those who write it.
    """

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ChineseNormalizer":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            if example.get(TEXT):
                self._normalize_example(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str):
                continue
            normalized = normalize(text)
            message.set(TEXT, normalized.text)
            message.set(
                SCRIPT,
                "traditional" if normalized.traditional else "simplified",
                add_to_output=True,
            )
        return messages

    @staticmethod
    def _normalize_example(example: Message) -> None:
        """Normalise a training example and move its entity spans along with the text."""
        original = example.get(TEXT)
        normalized = normalize(original)
        if normalized.text == original:
            return
        entities: List[Dict[Text, Any]] = []
        for entity in example.get(ENTITIES) or []:
            entity = dict(entity)
            old_start, old_end = entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END]
            span_text = original[old_start:old_end]
            start, end = normalized.map_span(old_start, old_end)
            entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END] = start, end
            value = entity.get(ENTITY_ATTRIBUTE_VALUE)
            if value == span_text:
                entity[ENTITY_ATTRIBUTE_VALUE] = normalized.text[start:end]
            elif isinstance(value, str):
                entity[ENTITY_ATTRIBUTE_VALUE] = to_simplified(value)
            entities.append(entity)
        example.set(TEXT, normalized.text)
        if entities:
            example.set(ENTITIES, entities)
