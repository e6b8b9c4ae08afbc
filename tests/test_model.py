"""The trained model: NLU on travellers' messages and the conversation test stories."""
import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.model
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def agent(trained_model):
    from rasa.core.agent import Agent

    return Agent.load(str(trained_model))


def parse(agent, text):
    return asyncio.run(agent.parse_message(text))


def entities(result, name):
    return [e["value"] for e in result["entities"] if e["entity"] == name]


def test_traditional_message_is_understood_and_marked(agent):
    result = parse(agent, "請問明天上海有什麼便宜的飯店")
    assert result["script"] == "traditional"
    assert result["intent"]["name"] == "search_hotel"
    assert entities(result, "city") == ["上海"]
    assert len(entities(result, "date")) == 1 and entities(result, "date")[0].count("-") == 2


def test_nickname_maps_to_the_city(agent):
    result = parse(agent, "魔都下周五有啥好酒店")
    assert entities(result, "city") == ["上海"]


def test_rule_entities_come_with_normalised_values(agent):
    result = parse(agent, "订单td7kq3m9xa 手机13912345678 我们三个人")
    assert entities(result, "booking_ref") == ["TD7KQ3M9XA"]
    assert entities(result, "phone") == ["13912345678"]
    assert entities(result, "number_of_people") == [3]


def test_faq_topic_is_selected(agent):
    result = parse(agent, "飞机托运行李额度是多少")
    assert result["intent"]["name"] == "faq"
    key = result["response_selector"]["faq"]["response"]["intent_response_key"]
    assert key == "faq/baggage"


def test_conversation_test_stories_pass(trained_model, tmp_path):
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "rasa"), "test", "core", "--stories", "tests/stories",
         "--model", str(trained_model), "--out", str(tmp_path), "--fail-on-prediction-errors",
         "--no-plot"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    failed = (tmp_path / "failed_test_stories.yml")
    details = failed.read_text(encoding="utf-8") if failed.exists() else result.stdout[-3000:]
    assert result.returncode == 0, details
    report = json.loads((tmp_path / "story_report.json").read_text(encoding="utf-8"))
    assert report["accuracy"] == 1.0
