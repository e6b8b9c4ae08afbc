"""Rasa component: entities that rules find better than a model.

Dates (jionlp, ISO values, future-biased), traveller counts (cn2an), booking
references, mainland mobile numbers (regex) and the attribute asked about (地址, 票价,
座位 ..., from the phrasings in knowledge_base/vocabulary/attributes.yml) are extracted
here, with normalised values. The same entity types are removed from the training data the following
components see, so DIET does not learn a second, value-less version of them.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.catalogue.attributes import attributes_in
from bot.nlu.dates import extract_dates
from bot.nlu.people import extract_people
from bot.identifiers import MOBILE_IN_TEXT, REFERENCE_IN_TEXT, stored_mobile

OWNED_ENTITIES = ("date", "number_of_people", "booking_ref", "phone", "attribute")

Found = Tuple[str, int, int, Any]


def find_booking_refs(text: str) -> List[Found]:
    return [("booking_ref", m.start(), m.end(), m.group(0).upper()) for m in REFERENCE_IN_TEXT.finditer(text)]


def find_phones(text: str) -> List[Found]:
    return [
        ("phone", m.start(), m.end(), stored_mobile(m))
        for m in MOBILE_IN_TEXT.finditer(text)
    ]


def find_rule_entities(text: str) -> List[Found]:
    """All rule entities in the text; identifiers win over dates and counts inside them."""
    found: List[Found] = find_booking_refs(text) + find_phones(text)
    taken = [(start, end) for _, start, end, _ in found]

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for mention in extract_people(text):
        if free(mention.start, mention.end):
            found.append(("number_of_people", mention.start, mention.end, mention.value))
            taken.append((mention.start, mention.end))
    for date_mention in extract_dates(text):
        if free(date_mention.start, date_mention.end):
            found.append(("date", date_mention.start, date_mention.end, date_mention.value))
            taken.append((date_mention.start, date_mention.end))
    # An attribute may share words with a date ("周一开吗"): both are kept.
    found.extend(("attribute", m.start, m.end, m.name) for m in attributes_in(text))
    return sorted(found, key=lambda item: item[1])


def snap_to_tokens(start: int, end: int, tokens: Iterable[Token]) -> Tuple[int, int]:
    """Move a span's ends to token boundaries so evaluation and features line up.

    A span that starts inside a word is narrowed to the next word when it can be
    (jionlp reads the 季 of 全季今晚 as a season); otherwise it is widened.
    """
    tokens = list(tokens)
    for token in tokens:
        if token.start < start < token.end:
            start = token.end if token.end < end else token.start
        if token.start < end < token.end:
            end = token.start if token.start > start else token.end
    return start, end


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
        DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER,
    ],
    is_trainable=False,
)
class TravelRuleEntityExtractor(GraphComponent, EntityExtractorMixin):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "TravelRuleEntityExtractor":
        return cls(config)

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"entities": list(OWNED_ENTITIES)}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._config = config
        self._owned = set(config.get("entities") or OWNED_ENTITIES)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            entities = example.get(ENTITIES)
            if entities:
                example.set(ENTITIES, [e for e in entities if e.get("entity") not in self._owned])
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text:
                continue
            tokens = message.get(TOKENS_NAMES[TEXT]) or []
            entities = [
                self._entity(text, entity, start, end, value, tokens)
                for entity, start, end, value in find_rule_entities(text)
                if entity in self._owned
            ]
            if entities:
                entities = self.add_extractor_name(entities)
                message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
        return messages

    @staticmethod
    def _entity(
        text: str, entity: str, start: int, end: int, value: Any, tokens: List[Token]
    ) -> Dict[Text, Any]:
        start, end = snap_to_tokens(start, end, tokens)
        return {"entity": entity, "start": start, "end": end, "value": value}


def rule_entities_for(text: str) -> List[Dict[str, Optional[Any]]]:
    """The rule entities of a raw message (used by actions and tests)."""
    return [
        {"entity": entity, "start": start, "end": end, "value": value}
        for entity, start, end, value in find_rule_entities(text)
    ]
