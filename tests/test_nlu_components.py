"""The pipeline's own components, driven the way Rasa drives them."""
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import knowledge
from bot.nlu import ChineseNormalizer, KnowledgeBaseJiebaTokenizer, TravelRuleEntityExtractor


def tokenizer(tmp_path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("tokenizer")
    context = ExecutionContext(graph_schema=None, model_id="test")  # type: ignore[arg-type]
    config = {**KnowledgeBaseJiebaTokenizer.get_default_config()}
    component = KnowledgeBaseJiebaTokenizer.create(config, storage, resource, context)
    return component, storage, resource, context, config


def tokens_of(component, text):
    message = Message(data={"text": text})
    component.process([message])
    return [t.text for t in message.get(TOKENS_NAMES["text"])]


def test_normalizer_moves_entity_spans_and_simplifies_values():
    example = Message(data={
        "text": "我想訂台北的飯店？？？",
        "intent": "search_hotel",
        "entities": [
            {"entity": "city", "start": 3, "end": 5, "value": "台北"},
            {"entity": "product_type", "start": 6, "end": 8, "value": "hotel"},
        ],
    })
    ChineseNormalizer().process_training_data(TrainingData([example]))
    assert example.get("text") == "我想订台北的酒店?"
    spans = [(e["entity"], example.get("text")[e["start"]:e["end"]], e["value"]) for e in example.get("entities")]
    assert spans == [("city", "台北", "台北"), ("product_type", "酒店", "hotel")]


def test_normalizer_marks_the_script_in_the_parse_output():
    message = Message(data={"text": "請問幾點可以入住"})
    ChineseNormalizer().process([message])
    assert message.get("text") == "请问几点可以入住"
    assert message.as_dict(only_output_properties=True)["script"] == "traditional"


def test_tokenizer_keeps_knowledge_base_names_whole(tmp_path):
    component, *_ = tokenizer(tmp_path)
    hotel = knowledge.hotels()[0].name
    attraction = next(a.name for a in knowledge.attractions() if len(a.name) >= 3)
    assert hotel in tokens_of(component, f"我想住{hotel}两晚")
    assert attraction in tokens_of(component, f"明天去{attraction}玩")
    assert "大床房" in tokens_of(component, "要一间大床房")
    assert " " not in tokens_of(component, "明天 上海")


def test_tokenizer_dictionary_travels_with_the_model(tmp_path):
    component, storage, resource, context, config = tokenizer(tmp_path)
    component.train(TrainingData([]))
    loaded = KnowledgeBaseJiebaTokenizer.load(config, storage, resource, context)
    hotel = knowledge.hotels()[1].name
    assert hotel in tokens_of(loaded, f"{hotel}还有房吗")


def test_rule_extractor_removes_its_entities_from_model_training_data():
    example = Message(data={"text": "明天上海", "intent": "inform", "entities": [
        {"entity": "date", "start": 0, "end": 2, "value": "明天"},
        {"entity": "city", "start": 2, "end": 4, "value": "上海"},
    ]})
    TravelRuleEntityExtractor({}).process_training_data(TrainingData([example]))
    assert [e["entity"] for e in example.get("entities")] == ["city"]


def test_rule_extractor_adds_normalised_values_aligned_to_tokens(tmp_path):
    component, *_ = tokenizer(tmp_path)
    message = Message(data={"text": "订单TD7KQ3M9XA 我们三个人明天到"})
    component.process([message])
    TravelRuleEntityExtractor({}).process([message])
    found = {e["entity"]: e for e in message.get("entities")}
    assert found["booking_ref"]["value"] == "TD7KQ3M9XA"
    assert found["number_of_people"]["value"] == 3
    assert found["date"]["value"].count("-") == 2
    starts = {t.start for t in message.get(TOKENS_NAMES["text"])}
    assert all(e["start"] in starts for e in message.get("entities"))
    assert all(e["extractor"] == "TravelRuleEntityExtractor" for e in message.get("entities"))


def test_departure_times_are_read_as_travellers_say_them():
    from bot.nlu.references import departure_in

    assert [departure_in(t) for t in ("南航11点40那班", "9点05那趟", "下午两点那班", "十点半的", "G7")] == [
        "11:40", "09:05", "14:00", "10:30", None]
