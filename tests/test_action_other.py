"""FAQ, fallback and contact actions against the real knowledge base."""
import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.common import first_entity_value, latest_intent, latest_text
from datetime import datetime

from actions import contacts as contact_actions
from actions.contacts import ActionComplaintContact, ActionEmergencyContacts, ActionHumanContact
from actions.inquiry import ActionAnswerInquiry
from actions.search import ActionSearch
from bot import contacts
from bot.settings import settings
from actions.faq import ActionAnswerFaq
from actions.fallback import ActionHandleFallback
from bot import knowledge
from bot.faq_search import clarify_payload
from tests.helpers import button_titles, make_tracker, rendered


def selector(topic, confidence):
    return {"faq": {"response": {"intent_response_key": f"faq/{topic}", "confidence": confidence}}}


async def run(action, domain_dict, tracker):
    dispatcher = CollectingDispatcher()
    await action.run(dispatcher, tracker, domain_dict)
    return [m.get("response") for m in dispatcher.messages], rendered(dispatcher, domain_dict)


async def test_confident_faq_answer_comes_from_the_knowledge_base(domain_dict):
    tracker = make_tracker("几点可以入住", "faq", response_selector=selector("checkin_time", 0.9))
    names, texts = await run(ActionAnswerFaq(), domain_dict, tracker)
    assert names == ["utter_faq"]
    assert texts == [knowledge.faq()["checkin_time"].answer]


async def test_unsure_selector_falls_back_to_search_of_the_answers(domain_dict):
    tracker = make_tracker("能不能带狗狗一起住", "faq", response_selector=selector("wifi", 0.2))
    names, texts = await run(ActionAnswerFaq(), domain_dict, tracker)
    assert names == ["utter_faq_best_guess"]
    assert knowledge.faq()["pets"].answer in texts[0]


async def test_nothing_matches_offers_the_hotline(domain_dict):
    tracker = make_tracker("量子纠缠怎么解释", "faq", response_selector=selector("wifi", 0.1))
    names, texts = await run(ActionAnswerFaq(), domain_dict, tracker)
    assert names == ["utter_faq_unsure"]
    assert "400-820-6688" in texts[0]


async def test_first_misunderstanding_asks_to_rephrase(domain_dict):
    tracker = make_tracker("啊吧啊吧", "nlu_fallback")
    names, _ = await run(ActionHandleFallback(), domain_dict, tracker)
    assert names == ["utter_ask_rephrase"]


async def test_second_misunderstanding_in_a_row_offers_a_person(domain_dict):
    earlier = {"event": "user", "text": "啊吧", "parse_data": {"intent": {"name": "nlu_fallback"}}}
    tracker = make_tracker("啊吧啊吧", "nlu_fallback", events=[earlier, {"event": "bot", "text": "?"}])
    dispatcher = CollectingDispatcher()
    await ActionHandleFallback().run(dispatcher, tracker, domain_dict)
    assert dispatcher.messages[0]["response"] == "utter_fallback_human"
    assert domain_dict["responses"]["utter_fallback_human"][0]["buttons"][0]["payload"] == "转人工"


async def test_understood_message_resets_the_count(domain_dict):
    events = [
        {"event": "user", "text": "啊", "parse_data": {"intent": {"name": "nlu_fallback"}}},
        {"event": "user", "text": "你好", "parse_data": {"intent": {"name": "greet"}}},
    ]
    names, _ = await run(ActionHandleFallback(), domain_dict, make_tracker("啊吧", "nlu_fallback", events=events))
    assert names == ["utter_ask_rephrase"]


async def test_human_request_gives_hotline_and_hours(domain_dict):
    names, texts = await run(ActionHumanContact(), domain_dict, make_tracker("转人工", "request_human"))
    assert names[0] == "utter_human_contact"
    assert names[1] in ("utter_human_open_now", "utter_human_closed_now")
    assert "400-820-6688" in texts[0]


@pytest.mark.parametrize("text, advice_word", [("护照丢了怎么办", "使（领）馆"), ("出车祸了", "120"), ("孩子在景区走丢了", "原地")])
async def test_emergency_gets_the_right_advice_and_numbers(domain_dict, text, advice_word):
    names, texts = await run(ActionEmergencyContacts(), domain_dict, make_tracker(text, "emergency"))
    assert names == ["utter_emergency_contacts"]
    assert "400-820-6699" in texts[0] and advice_word in texts[0] and "110" in texts[0]



async def test_selector_and_search_disagreeing_ask_which_topic_with_buttons(domain_dict):
    tracker = make_tracker("行李", "faq", response_selector=selector("baggage", 0.4))
    dispatcher = CollectingDispatcher()
    await ActionAnswerFaq().run(dispatcher, tracker, domain_dict)
    faq = knowledge.faq()
    assert [m["response"] for m in dispatcher.messages] == ["utter_faq_clarify"]
    assert button_titles(dispatcher.messages) == [faq["baggage"].title, faq["luggage_storage"].title]
    assert not any(faq[t].answer in "".join(rendered(dispatcher, domain_dict)) for t in faq)


async def test_pressing_a_topic_button_answers_that_topic(domain_dict):
    press = clarify_payload("luggage_storage")
    tracker = make_tracker(press, "faq", entities=[{"entity": "faq_topic", "value": "luggage_storage"}],
                           response_selector=selector("baggage", 0.4))
    names, texts = await run(ActionAnswerFaq(), domain_dict, tracker)
    assert names == ["utter_faq"] and texts == [knowledge.faq()["luggage_storage"].answer]


def ranked(*names_and_confidences):
    return [{"name": n, "confidence": c} for n, c in names_and_confidences]


async def test_first_misunderstanding_offers_the_two_likeliest_intents_and_a_person(domain_dict):
    tracker = make_tracker("那个东西我想弄一下", "nlu_fallback")
    tracker.latest_message["intent_ranking"] = ranked(
        ("nlu_fallback", 0.45), ("greet", 0.3), ("change_booking", 0.28), ("inform", 0.1), ("cancel_booking", 0.1))
    dispatcher = CollectingDispatcher()
    await ActionHandleFallback().run(dispatcher, tracker, domain_dict)
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_rephrase_or_pick"]
    buttons = dispatcher.messages[0]["buttons"]
    assert [b["title"] for b in buttons] == ["改签/改期", "取消订单/退票", "转人工"]  # greet, inform have no title
    assert [b["payload"] for b in buttons] == ["/change_booking", "/cancel_booking", "转人工"]


@pytest.mark.parametrize("before, read", [
    ("nlu_fallback", "明天上海那个"),  # the message not understood, read again with the chosen intent
    ("greet", "/search_hotel"),  # a menu button pressed after an understood message: as sent
])
def test_a_pressed_intent_button_rereads_the_message_not_understood(before, read):
    original = {"text": "明天上海那个", "intent": {"name": before, "confidence": 0.45},
                "entities": [{"entity": "city", "value": "上海", "start": 2, "end": 4}]}
    tracker = make_tracker("/search_hotel", "search_hotel", with_rule_entities=False,
                           events=[{"event": "user", "text": original["text"], "parse_data": original},
                                   {"event": "bot", "text": "?"}])
    assert latest_text(tracker) == read and latest_intent(tracker) == "search_hotel"
    assert bool(first_entity_value(tracker, "city")) == (before == "nlu_fallback")


def test_every_intent_offered_after_a_misunderstanding_is_a_domain_intent_with_a_title(domain_dict):
    from actions.fallback import INTENT_BUTTONS

    assert set(INTENT_BUTTONS) <= set(domain_dict["intents"])
    assert all(domain_dict["responses"][title][0]["text"] for title in INTENT_BUTTONS.values())


# Card F07: a complaint without the word 投诉, then the traveller's details and a partial
# refund question; those stayed a new hotel search ("请问您想住在哪个城市？").
COMPLAINT = "我昨晚住进了西安钟楼云景酒店，卫生间有头发，床单没换过，能不能帮我跟酒店说一下换一间"
AFTER_COMPLAINT = [{"event": "user", "text": COMPLAINT, "parse_data": {"intent": {"name": "complaint"}}},
                   {"event": "action", "name": "action_complaint_contact"},
                   {"event": "bot", "text": "非常抱歉"}]


@pytest.mark.parametrize("action", [ActionSearch(), ActionAnswerInquiry()], ids=["search", "inquiry"])
@pytest.mark.parametrize("text,intent", [
    ("我叫郑凯，手机15829370164，房号1207。另外这种情况能退一部分房费吗", "search_hotel"),
    ("我不是要订房，我已经住在西安钟楼云景酒店1207了，想让酒店给我换房", "ask_attribute"),
])
async def test_details_after_a_complaint_stay_with_the_complaint(action, text, intent, domain_dict, monkeypatch):
    monkeypatch.setattr(contacts, "agents_available", lambda at=None: True)
    names, texts = await run(action, domain_dict, make_tracker(text, intent, events=AFTER_COMPLAINT))
    assert names[0] == "utter_complaint_follow_up"
    assert "400-820-6688" in texts[0] and "不是新的预订" in texts[0]
    assert "utter_ask_hotel_city" not in names and not any("元/晚" in t for t in texts)


async def test_a_partial_refund_question_after_a_complaint_gets_the_refund_rules(domain_dict, monkeypatch):
    monkeypatch.setattr(contacts, "agents_available", lambda at=None: True)
    names, texts = await run(ActionSearch(), domain_dict,
                             make_tracker("房间不干净的话，能退一部分钱吗", "search_hotel", events=AFTER_COMPLAINT))
    assert names[0] == "utter_complaint_follow_up" and "utter_faq" in names


async def test_a_search_long_after_a_complaint_is_a_search(domain_dict):
    later = AFTER_COMPLAINT + [{"event": "user", "text": "好"}] * 3
    names, _ = await run(ActionSearch(), domain_dict, make_tracker("西安的酒店，房间要大", "search_hotel", events=later))
    assert "utter_complaint_follow_up" not in names


@pytest.mark.parametrize("hour,weekday_date,response,opens", [
    (8, "2026-12-02", "utter_hotline_opens_today", "09:00"),     # a Wednesday morning
    (22, "2026-12-04", "utter_hotline_opens_tomorrow", "10:00"),  # Friday night: Saturday's hours
])
async def test_a_complaint_while_the_hotline_is_closed_says_when_it_opens(
        hour, weekday_date, response, opens, domain_dict, monkeypatch):
    moment = datetime.fromisoformat(f"{weekday_date}T{hour:02d}:00").replace(tzinfo=settings.business_timezone)
    monkeypatch.setattr(contacts, "agents_available", lambda at=None: False)
    real_next_opening = contacts.next_opening
    monkeypatch.setattr(contact_actions.contacts, "next_opening", lambda at=None: real_next_opening(moment))
    names, texts = await run(ActionComplaintContact(), domain_dict, make_tracker(COMPLAINT, "complaint"))
    assert names == ["utter_complaint_contact", response]
    assert opens in texts[1] and "400-820-6699" in texts[1]


@pytest.mark.parametrize("text", ["陈志强 H12345678，黄嘉欣 H23456789", "杨秀英 430602195812034526",
                                  "陈晨，身份证440304199002181015；李梦，身份证440304199002180442"])
async def test_names_with_document_numbers_in_a_booking_are_no_emergency(domain_dict, text):
    tracker = make_tracker(text, "emergency")
    tracker.active_loop = {"name": "book_form"}
    names, _ = await run(ActionEmergencyContacts(), domain_dict, tracker)
    assert names == []


async def test_a_lost_passport_with_its_number_is_still_an_emergency(domain_dict):
    names, texts = await run(ActionEmergencyContacts(), domain_dict, make_tracker("护照丢了，陈晨 E12345678", "emergency"))
    assert names == ["utter_emergency_contacts"] and "110" in texts[0]
