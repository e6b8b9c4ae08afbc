"""Several acts in one message (bot/nlu/acts.py), measured on messages written for this
test, never used for training: a greeting or acknowledgement before a request is dropped
so the request is classified, a message made only of thanks and goodbye closes, a demand
for a person is a request for one."""
from __future__ import annotations

from typing import Optional

import pytest
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions.confirmation import confirmation_answer
from bot.nlu.acts import (
    only_values,
    order_quoted_not_booked,
    details_not_a_person,
    LeadingClauseTrimmer,
    SocialActOverride,
    asks_for_person,
    attribute_question_intent,
    demands_person,
    leading_social_clause,
    social_intent,
)
from tests.helpers import make_tracker

# (message, what the classifier should be shown)
TRIMMED = [
    ("你好，我下个月中旬要去成都找朋友玩，想在春熙路附近订个酒店住三晚", "我下个月中旬要去成都找朋友玩，想在春熙路附近订个酒店住三晚"),
    ("您好，我是公司行政，要给同事安排下下周出差", "我是公司行政，要给同事安排下下周出差"),
    ("你好，想订上海的酒店，12月14号入住两晚，一个人", "想订上海的酒店，12月14号入住两晚，一个人"),
    ("在吗？明天北京到上海还有高铁票吗", "明天北京到上海还有高铁票吗"),
    ("在吗在吗，我的退款到哪了", "我的退款到哪了"),
    ("hi，帮我查下订单TD2H8KQ4MZ", "帮我查下订单TD2H8KQ4MZ"),
    ("哈喽~ 三亚有什么亲子酒店", "三亚有什么亲子酒店"),
    ("好的，那它几点开门？", "那它几点开门？"),
    ("行，那退票怎么收费", "那退票怎么收费"),
    ("嗯嗯，那第二个酒店有停车场吗", "那第二个酒店有停车场吗"),
    ("OK，明天的G7还有一等座吗", "明天的G7还有一等座吗"),
    ("好的谢谢，那改签要手续费吗", "那改签要手续费吗"),
    ("谢谢，另外我想问下发票怎么开", "另外我想问下发票怎么开"),
    ("知道了，那儿童票怎么买？", "那儿童票怎么买？"),
    ("您好！！我要投诉", "我要投诉"),
]
KEPT = [
    "你好", "您好呀", "在吗", "好的", "好的，谢谢", "好的，谢谢，再见", "嗯嗯对的", "可以的，就这样",
    "好的确认预订", "你好吗", "好想去三亚玩", "行程怎么安排", "嗯", "谢谢啦拜拜", "OK了，多谢",
]


@pytest.mark.parametrize("text,shown", TRIMMED)
def test_a_leading_greeting_or_acknowledgement_is_dropped_before_the_request(text: str, shown: str):
    assert text[leading_social_clause(text):] == shown


@pytest.mark.parametrize("text", KEPT)
def test_a_social_message_or_a_request_without_a_social_clause_is_kept_whole(text: str):
    assert leading_social_clause(text) == 0


def test_a_clause_holding_an_entity_is_never_dropped():
    assert leading_social_clause("成都，好的，那住哪里好", [(0, 2)]) == 0


def test_training_examples_are_trimmed_with_their_entity_spans():
    example = Message(data={"text": "你好，我想订成都的酒店", "intent": "search_hotel",
                            "entities": [{"entity": "city", "start": 6, "end": 8, "value": "成都"}]})
    LeadingClauseTrimmer().process_training_data(TrainingData([example]))
    entity = example.get("entities")[0]
    assert example.get("text") == "我想订成都的酒店"
    assert example.get("text")[entity["start"]:entity["end"]] == "成都"


@pytest.mark.parametrize("text,intent", [
    ("好的，谢谢，再见", "goodbye"),
    ("先不订，谢谢，再见", "goodbye"), ("先不订了，再考虑考虑，谢谢你", "goodbye"), ("我再想想，谢谢", "goodbye"), ("那就先不用了，谢谢啦拜拜", "goodbye"),
    ("谢谢啦拜拜", "goodbye"),
    ("OK了，多谢", "thank"),
    ("好的我知道了，谢谢你，那就先这样吧，再见", "goodbye"),
    ("行吧，那我明天再打电话，先这样，拜拜", "goodbye"),
    ("没有了，谢谢", "goodbye"),
    ("谢谢你，辛苦了", "thank"),
    ("好嘞，感谢！", "thank"),
    ("拜拜~", "goodbye"),
    ("88", "goodbye"),
    ("好的", None),
    ("可以的，就这样", None),
    ("谢谢，那退票怎么收费", None),
    ("拜托帮我查下订单", None),
    ("再见之前问一下，行李能寄存吗", None),
    ("帮我订明天的G7，谢谢", None),
])
def test_thanks_and_goodbye_close_the_conversation(text: str, intent: Optional[str]):
    assert social_intent(text) == intent


@pytest.mark.parametrize("text,demand", [
    ("你们这破机器人听不懂人话，给我找个活人！", True),
    ("叫你们经理来", True),
    ("我要人工客服马上", True),
    ("别跟我扯了，找真人", True),
    ("人工！人工呢", True),
    ("转人工", True),
    ("人工客服几点上班", False),
    ("找个人少的景点", False),
    ("真人秀门票多少钱", False),
    ("你是活人吗", False),
    ("不要人工，我自己弄", False),
    ("不用转人工了，谢谢", False),
])
def test_a_demand_for_a_person_is_understood(text: str, demand: bool):
    assert demands_person(text) is demand


@pytest.mark.parametrize("text,wanted", [
    ("转人工", True), ("人工客服", True), ("找客服", True), ("找个人", True), ("算了，找客服吧", True),
    ("我要找真人客服", True), ("真人客服", True), ("给我找个活人", True),
    ("人工客服几点上班", False), ("找个人少的景点", False), ("真人秀门票多少钱", False), ("你是活人吗", False),
    ("不用转人工了，谢谢", False), ("张伟", False),
])
def test_a_person_asked_for_in_plain_words_inside_a_form(text: str, wanted: bool):
    assert asks_for_person(text) is wanted


def test_the_override_puts_the_social_intent_first_with_the_ranking_after():
    message = Message(data={"text": "好的，谢谢，再见", "intent": {"name": "affirm", "confidence": 0.8},
                            "intent_ranking": [{"name": "affirm", "confidence": 0.8},
                                               {"name": "goodbye", "confidence": 0.1}]})
    SocialActOverride().process([message])
    assert message.get("intent") == {"name": "goodbye", "confidence": 1.0}
    assert [r["name"] for r in message.get("intent_ranking")] == ["goodbye", "affirm"]


def test_a_trimmed_acknowledgement_still_counts_at_a_confirmation():
    built = make_tracker("取消吧", "cancel_booking")
    built.latest_message["social_prefix"] = "好，"
    assert confirmation_answer(built, "cancel") is True


@pytest.mark.parametrize("text, intent, meant", [
    ("能洗衣服不", "deny", "search_hotel"),
    ("有早餐吗", "affirm", "search_hotel"),
    ("电话给我一下", "request_human", "search_hotel"),
    ("人工客服电话多少", "request_human", None),
    ("不用早餐", "deny", None),
    ("几点退房?我早上6点就得走", "complaint", "search_hotel"),
    ("第一个确定有无烟房吧?我对烟味很敏感", "complaint", "search_hotel"),
    ("不是说无烟房吗?一屋子烟味", "complaint", None),
    ("房间太脏了,电话多少", "complaint", None),
    ("好的", "affirm", None),
])
def test_a_question_about_a_fact_is_not_a_yes_or_a_no(text: str, intent: str, meant: Optional[str]):
    assert attribute_question_intent(text, intent) == meant
# --- a booking request misfiled as slot values or as a question ---------------------------

@pytest.mark.parametrize("intent,text", [
    ("inform", "就订这家的双床房吧,我一个人住,入住人王磊,手机13912345678"),
    ("inform", "就它了,订一间大床房,就我一个人,名字刘建国,电话13812345678"),
    ("inform", "我想报桂林漓江阳朔精华三日游,下周六出发,两个大人"),
    ("search_hotel", "就它了,下周三住两晚,一个人,大床房"),
    ("inform", "订南航11点40那班,一个人,经济舱"),
    ("inform", "那我要报名,下周六出发,两个大人,联络人林怡君,手机13912345678"),
])
def test_a_booking_request_is_booked_whatever_the_classifier_said(intent, text):
    from bot.nlu.booking_request import booking_intent

    assert booking_intent(intent, text)


@pytest.mark.parametrize("intent,text", [
    ("search_hotel", "订这家的双床房多少钱"),
    ("search_hotel", "我想订上海的酒店,下周五,两个人"),
    ("inform", "我的订单TD12345678"),
    ("inform", "不订了"),
    ("search_ticket", "怎么订票"),
    ("inform", "入住人赵敏,手机13612345678"),
    ("search_hotel", "这家酒店有停车场吗"),
    ("faq", "订了酒店可以改日期吗"),
    ("inform", "我们一家三口打算寒假去北京,想报个五天左右的跟团游,有推荐吗?"),
    ("inform", "想报一个桂林三日游,下周一出发,两个人,有没有"),
    ("search_hotel", "想订个酒店,下周五杭州的"),
    ("inform", "订单号是TD2611260457,预订手机13912345678,入住人何佳"),  # an order already made
])
def test_searches_questions_and_answers_are_not_taken_for_bookings(intent, text):
    from bot.nlu.booking_request import booking_intent

    assert not booking_intent(intent, text)


def test_a_hotel_named_in_full_with_a_booking_verb_is_a_booking():
    from bot.nlu.booking_request import booking_intent

    assert booking_intent("search_hotel", "我要订成都宽窄巷子栖云酒店,下周五入住,住两晚", names_item=True)
    assert not booking_intent("search_hotel", "我要订成都宽窄巷子栖云酒店吗", names_item=True)


@pytest.mark.parametrize("intent,text,details,booking", [
    ("search_tour", "九寨沟黄龙四日跟团游,18号出发,两个人能订吗", True, True),
    ("search_hotel", "这家下周五两个人可以订吗?", True, True),
    ("search_tour", "九寨沟黄龙四日跟团游能订吗", False, False),
    ("search_hotel", "这家几点入住,下周五能订吗", True, False),
    ("search_tour", "下周六两个人,有什么跟团游可以报名吗", True, False),
])
def test_asking_whether_an_item_can_be_booked_for_a_day_and_party_is_a_booking(intent, text, details, booking):
    from bot.nlu.booking_request import booking_intent

    assert booking_intent(intent, text, gives_details=details) is booking


def test_an_overridden_intent_does_not_tie_with_the_classifier_s_own():
    message = Message(data={"text": "我想报桂林漓江阳朔精华三日游,下周六出发,两个大人",
                            "intent": {"name": "inform", "confidence": 0.99},
                            "intent_ranking": [{"name": "inform", "confidence": 0.99},
                                               {"name": "book", "confidence": 0.01}]})
    [processed] = SocialActOverride().process([message])
    ranking = processed.get("intent_ranking")
    assert processed.get("intent")["name"] == "book"
    assert ranking[0]["name"] == "book" and all(r["confidence"] < 0.5 for r in ranking[1:])


@pytest.mark.parametrize("text,intent,read", [
    ("13911000009，联系人郭宇", "request_human", "inform"),
    ("联系人陈晨 +852 9123 4567", "request_human", "inform"),
    ("联系人是谁？我要转人工", "request_human", None),
    ("13911000009，联系人郭宇", "inform", None),
])
def test_a_contact_given_is_an_answer_not_a_call_for_a_person(text: str, intent: str, read: Optional[str]):
    assert details_not_a_person(text, intent) == read


@pytest.mark.parametrize("text, classified, read", [
    ("13698765432", "goodbye", "inform"),          # a phone alone, with no words to go on
    ("手机号18677778888", "goodbye", "inform"),
    ("下星期三", "give_rating", "inform"),          # a day alone
    ("110105199003152817", "goodbye", "inform"),   # an ID number
    ("+852 9123 4567", "thank", "inform"),
    ("5", "give_rating", None),                     # a satisfaction score stays a score
    ("TD6P4N2XRA", "check_booking", None),          # an intent that acts on the value keeps it
    ("好的", "affirm", None),
    ("我要去北京", "search_hotel", None),
])
def test_a_message_of_values_only_is_an_answer(text: str, classified: str, read: Optional[str]):
    from bot.nlu.rule_extractor import rule_entities_for

    assert only_values(text, rule_entities_for(text), classified) == read


@pytest.mark.parametrize("text, classified, read", [
    ("几点退房？我早上6点就得走", "goodbye", "search_hotel"),
    ("能洗衣服不", "out_of_scope", "search_hotel"),
    ("每天都安排了什么", "complaint", "search_tour"),
    ("iPhone多少钱", "out_of_scope", None),     # a price alone could be anything's
    ("天气怎么样", "out_of_scope", None),
    ("今天股票能涨吗", "out_of_scope", None),
])
def test_a_question_about_an_items_fact_misread_as_small_talk_is_a_search(text, classified, read):
    assert attribute_question_intent(text, classified) == read


@pytest.mark.parametrize("text, classified, read", [
    ("订单号是TD2611260457，预订手机13913376520，入住人何佳", "book", "check_booking"),
    ("我的订单TD2H8KQ4MZ", "book", "check_booking"),
    ("我要预订G7，两个人", "book", None),
    ("TD2H8KQ4MZ", "inform", None),  # an answer to a form's question stays an answer
])
def test_an_order_quoted_by_its_number_is_no_new_booking(text, classified, read):
    assert order_quoted_not_booked(text, classified) == read
