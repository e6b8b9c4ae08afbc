"""Replies follow the traveller's script."""
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.nlg import ScriptAwareNLG

DOMAIN = Domain.from_dict({
    "version": "3.1",
    "responses": {
        "utter_ask": [{"text": "请问几位出行？{city}的酒店", "buttons": [{"title": "两个人", "payload": "两个人"}]}],
    },
})


def tracker_with(*texts):
    tracker = DialogueStateTracker("traveller", slots=[])
    for text in texts:
        tracker.update(UserUttered(text, {"name": "inform"}))
    return tracker


async def generate(*texts):
    return await ScriptAwareNLG(domain=DOMAIN).generate("utter_ask", tracker_with(*texts), "rest", city="台北")


async def test_simplified_writer_gets_simplified():
    reply = await generate("台北的酒店")
    assert reply["text"] == "请问几位出行？台北的酒店"


async def test_traditional_writer_gets_traditional_text_and_buttons():
    reply = await generate("請問台北的飯店")
    assert reply["text"] == "請問幾位出行？台北的酒店"
    assert reply["buttons"][0]["title"] == "兩個人"
    assert reply["buttons"][0]["payload"] == "两个人"


async def test_script_of_the_latest_message_that_shows_one_counts():
    assert (await generate("請問台北的飯店", "OK"))["text"].startswith("請問")
    # a name, a seat class, a date read the same in both scripts: still Traditional
    assert (await generate("請問台北的飯店", "王小明", "二等座", "明天"))["text"].startswith("請問")
    assert (await generate("請問台北的飯店", "订明天的"))["text"].startswith("请问")


async def test_buttons_an_action_adds_follow_the_script_too():
    """Rasa adds an action's own buttons after the generator, from the list it passed us."""
    buttons = [{"title": "二等座", "payload": "二等座"}, {"title": "商务座", "payload": "商务座"}]
    await ScriptAwareNLG(domain=DOMAIN).generate("utter_ask", tracker_with("請問台北的飯店"), "rest",
                                                 city="台北", buttons=buttons)
    assert [b["title"] for b in buttons] == ["二等座", "商務座"]
    assert [b["payload"] for b in buttons] == ["二等座", "商务座"]


async def test_a_response_the_model_predates_comes_from_domain_yml():
    """Copy added with an action after the model was trained is still sent."""
    from bot.responses import file_responses

    assert file_responses()["utter_faq"] == [{"text": "{answer}"}] and "utter_faq" not in DOMAIN.responses
    reply = await ScriptAwareNLG(domain=DOMAIN).generate("utter_faq", tracker_with("台北的酒店"), "rest",
                                                         answer="可以寄存行李")
    assert reply is not None and reply["text"] == "可以寄存行李"
    # Rasa sets the responses again when it loads a model (Agent.load_model)
    generator = ScriptAwareNLG(domain=DOMAIN)
    generator.responses = DOMAIN.responses
    assert await generator.generate("utter_faq", tracker_with("台北"), "rest", answer="好") is not None
    # what the model has wins
    reply = await ScriptAwareNLG(domain=DOMAIN).generate("utter_ask", tracker_with("台北的酒店"), "rest", city="台北")
    assert reply["text"] == "请问几位出行？台北的酒店"
