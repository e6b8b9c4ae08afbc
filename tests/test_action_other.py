"""FAQ, fallback and contact actions against the real knowledge base."""
import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.common import first_entity_value, latest_intent, latest_text
from actions.contacts import ActionEmergencyContacts, ActionHumanContact
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
