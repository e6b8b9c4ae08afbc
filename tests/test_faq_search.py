"""BM25 over the FAQ answers finds the topic for questions phrased freshly."""
import pytest

from bot.faq_search import faq_index


@pytest.mark.parametrize(
    "question, topic",
    [
        ("能带宠物入住吗", "pets"),
        ("酒店有没有停车场", "parking"),
        ("房间有wifi吗密码是多少", "wifi"),
        ("开发票怎么开", "invoice"),
        ("押金什么时候退", "deposit"),
        ("网上怎么值机选座", "flight_checkin"),
        ("台风天航班取消了怎么办", "weather"),
    ],
)
def test_question_finds_its_topic(question, topic):
    hits = faq_index().search(question)
    assert hits and hits[0].topic == topic


def test_unrelated_question_scores_low():
    assert faq_index().best("量子力学的基本原理", min_score=2.0) is None
