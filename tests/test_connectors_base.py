"""The steps every channel shares (connectors/base.py), tested once here.

The channels' own tests (tests/channels/) cover them again through real platform
payloads; these pin down the shared behaviour without a server.
"""
from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from types import SimpleNamespace
from typing import Any, Dict, List, Optional, Tuple

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered

from bot.nlg import ScriptAwareNLG
from bot.text import normalize
from connectors.base import (
    DEFAULT_TURN_TIMEOUT_S,
    NOISY_LIBRARIES,
    AgentReplies,
    BackgroundWork,
    RecentlyUsed,
    Secret,
    as_plain_text,
    record_seen,
    run_turn,
    secret_from_environment,
    turn_timeout,
    without_control_characters,
)

# --- Secret -----------------------------------------------------------------------------------


def test_secret_never_shows_its_value_in_repr_str_or_a_containing_repr() -> None:
    secret = Secret("hunter2-bot-token")
    assert "hunter2" not in repr(secret) and "hunter2" not in str(secret)
    assert "hunter2" not in f"{secret}" and "hunter2" not in repr({"token": secret})
    assert secret.reveal() == "hunter2-bot-token"


def test_a_secret_from_the_environment_is_trimmed_masked_and_absent_when_blank() -> None:
    env = {"TOKEN": "  hunter2-bot-token\n", "BLANK": "   "}
    token = secret_from_environment(env, "TOKEN")
    assert token is not None and token.reveal() == "hunter2-bot-token" and "hunter2" not in repr(token)
    assert secret_from_environment(env, "BLANK") is None and secret_from_environment(env, "UNSET") is None


def test_loading_any_channel_quiets_the_libraries_that_log_secret_urls() -> None:
    """A fresh process that loads only the WeChat channel (as Rasa does from credentials.yml)."""
    script = ("import logging; logging.basicConfig(level=logging.DEBUG)\nimport connectors.wechat\n"
              f"print([logging.getLogger(n).getEffectiveLevel() for n in {sorted(NOISY_LIBRARIES)!r}])")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.stdout.strip().splitlines()[-1] == str([logging.WARNING] * len(NOISY_LIBRARIES))


def test_typed_control_characters_are_dropped_but_tabs_and_newlines_kept() -> None:
    assert without_control_characters("a\x00b\tc\nd\x1be\x85f") == "ab\tc\ndef"


def test_per_traveller_memory_forgets_the_least_recently_stored_first() -> None:
    memory: RecentlyUsed[str, int] = RecentlyUsed(max_entries=2)
    memory.put("a", 1)
    memory.put("b", 2)
    memory.put("a", 3)  # stored again: now the most recent
    memory.put("c", 4)
    assert ("a" in memory, "b" in memory, "c" in memory, len(memory)) == (True, False, True, 2)
    assert (memory.get("a"), memory.pop("a"), memory.get("a")) == (3, 3, None)


def test_secrets_compare_and_hash_by_value_so_frozen_settings_can_be_cache_keys() -> None:
    assert Secret("a") == Secret("a") and Secret("a") != Secret("b")
    assert Secret("a") != "a"  # never equal to the bare string
    assert len({Secret("a"), Secret("a"), Secret("b")}) == 2


def test_secret_takes_no_other_attributes() -> None:
    with pytest.raises(AttributeError):
        Secret("a").value = "b"  # type: ignore[attr-defined]


# --- typed text and offered payloads ------------------------------------------------------------


@pytest.mark.parametrize("typed", ["/restart", '/inform{"booking_ref": "TD2X7K9QPM"}', "  /affirm"])
def test_typed_commands_are_escaped_and_the_normaliser_keeps_them_text(typed: str) -> None:
    escaped = as_plain_text(typed)
    assert escaped is not None and escaped != typed
    assert not normalize(escaped).text.startswith("/")


@pytest.mark.parametrize("text", ["你好", "明天上海的酒店 /2人", "", None])
def test_other_text_is_passed_unchanged(text: Optional[str]) -> None:
    assert as_plain_text(text) == text


def test_an_offered_payload_handed_over_as_it_is_stays_a_command() -> None:
    assert normalize("/affirm").text == "/affirm"


# --- AgentReplies -------------------------------------------------------------------------------

DOMAIN = Domain.from_dict({
    "version": "3.1",
    "slots": {"city": {"type": "text", "mappings": [{"type": "custom"}]}},
    "responses": {
        "utter_greet": [{"text": "您好，我是小达"}],
        "utter_main_menu": [{"text": "请选择酒店服务", "buttons": [{"title": "查酒店", "payload": "/search_hotel"}]}],
        "utter_message_too_long": [{"text": "消息超过 {max_chars} 字"}],
    },
})


def agent(domain: Optional[Domain] = DOMAIN) -> Any:
    """What AgentReplies uses of Rasa's Agent: the domain, its NLG and the tracker store."""
    return SimpleNamespace(domain=domain, nlg=ScriptAwareNLG(domain=domain),
                           tracker_store=InMemoryTrackerStore(domain or Domain.empty()))


async def test_the_first_response_name_the_domain_has_is_rendered() -> None:
    replies = AgentReplies(agent(), "telegram")
    assert replies.first_known(("utter_welcome", "utter_greet", "utter_main_menu")) == "utter_greet"
    [greeting] = await replies.render(("utter_welcome", "utter_greet"), "42")
    assert greeting["text"] == "您好，我是小达"
    [menu] = await replies.render(("utter_main_menu", "utter_greet"), "42")
    assert menu["text"] == "请选择酒店服务" and menu["buttons"][0]["payload"] == "/search_hotel"


async def test_no_known_response_sends_nothing_and_says_which_names_are_missing(caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="connectors.base"):
        assert await AgentReplies(agent(), "wechat").render(("utter_nope", "utter_neither"), "o1") == []
    assert "utter_nope" in caplog.text and "utter_neither" in caplog.text
    assert AgentReplies(agent(), "wechat").first_known(("utter_nope",)) is None


async def test_before_a_model_is_loaded_nothing_is_known() -> None:
    replies = AgentReplies(agent(domain=None), "webchat")
    assert replies.first_known(("utter_greet",)) is None
    assert await replies.render(("utter_greet",), "wc1") == []


async def test_values_fill_the_responses_placeholders() -> None:
    [reply] = await AgentReplies(agent(), "webchat").render(("utter_message_too_long",), "wc1", max_chars=2000)
    assert reply["text"] == "消息超过 2000 字"


async def test_a_traveller_who_writes_traditional_is_answered_in_traditional() -> None:
    bot = agent()
    tracker = await bot.tracker_store.get_or_create_tracker("42")
    tracker.update(UserUttered("請問飯店幾點入住"))
    await bot.tracker_store.save(tracker)
    [menu] = await AgentReplies(bot, "telegram").render(("utter_main_menu",), "42")
    assert menu["text"] == "請選擇酒店服務" and menu["buttons"][0]["title"] == "查酒店"


# --- BackgroundWork -------------------------------------------------------------------------------


async def test_background_work_is_held_until_done_and_drain_waits_for_work_started_meanwhile() -> None:
    work = BackgroundWork()
    done: List[str] = []

    async def later(name: str, then: Optional[str] = None) -> None:
        await asyncio.sleep(0.05)
        done.append(name)
        if then:
            work.start(later(then))

    work.start(later("turn", then="record"))
    assert done == []  # the webhook answered; the turn goes on
    await work.drain()
    assert done == ["turn", "record"]


async def test_a_failure_in_background_work_does_not_stop_drain() -> None:
    work = BackgroundWork()

    async def fails() -> None:
        raise RuntimeError("store down")

    work.start(fails())
    await work.drain()  # returns; the failure belongs to the work's own logging


# --- record_seen ----------------------------------------------------------------------------------


async def test_the_traveller_is_recorded_as_seen_on_the_channel() -> None:
    calls: List[Tuple[str, str]] = []
    await record_seen(lambda channel, sender: calls.append((channel, sender)), "wechat", "oTD123")
    assert calls == [("wechat", "oTD123")]


async def test_a_store_that_is_down_is_logged_with_the_masked_sender_and_not_raised(caplog: Any) -> None:
    def down(channel: str, sender: str) -> Dict[str, Any]:
        raise ConnectionError("database unreachable")

    with caplog.at_level(logging.ERROR, logger="connectors.base"):
        await record_seen(down, "wechat", "oTD1234567890abcdef", shown_as="oTD1…cdef")
    assert "oTD1…cdef" in caplog.text and "oTD1234567890abcdef" not in caplog.text
    assert "wechat" in caplog.text


# --- run_turn: a failed, silent or hanging turn gets the apology ----------------------------------


@pytest.fixture(scope="module")
def project_agent() -> Any:
    from tests.conftest import ROOT

    return agent(Domain.load(str(ROOT / "domain.yml")))


def apology_text(project_agent: Any) -> str:
    from bot.contacts import hotline_values

    template = project_agent.domain.responses["utter_service_unavailable"][0]["text"]
    return template.format(**hotline_values())


async def _silent(message: UserMessage) -> None:  # the action server is down: Rasa says nothing
    return None


async def _raises(message: UserMessage) -> None:
    raise ConnectionError("lock store unreachable")


async def _hangs(message: UserMessage) -> None:  # the action server accepts and never answers
    await asyncio.sleep(3600)


async def _answers(message: UserMessage) -> None:
    await message.output_channel.send_response(message.sender_id, {"text": "您好，我是小达"})


@pytest.mark.parametrize("turn", [_silent, _raises, _hangs], ids=["silent", "raises", "hangs"])
async def test_a_failed_silent_or_hanging_turn_gets_the_apology_with_the_hotline_in_time(
        project_agent: Any, turn: Any) -> None:
    from bot.contacts import hotline

    collector = CollectingOutputChannel()
    began = time.monotonic()
    answered = await run_turn(turn, UserMessage("你好", collector, "42", input_channel="rest"),
                              AgentReplies(project_agent, "rest"), timeout=0.3)
    assert time.monotonic() - began < 2
    assert answered is False
    assert [m["text"] for m in collector.messages] == [apology_text(project_agent)]
    assert hotline() in collector.messages[0]["text"]


async def test_a_turn_that_answers_gets_no_apology(project_agent: Any) -> None:
    collector = CollectingOutputChannel()
    assert await run_turn(_answers, UserMessage("你好", collector, "42"), AgentReplies(project_agent, "rest"))
    assert [m["text"] for m in collector.messages] == ["您好，我是小达"]


def test_the_turn_timeout_is_one_setting(monkeypatch: Any) -> None:
    turn_timeout.cache_clear()
    monkeypatch.setenv("TRIPDESK_TURN_TIMEOUT_SECONDS", "7.5")
    assert turn_timeout() == 7.5
    turn_timeout.cache_clear()
    monkeypatch.setenv("TRIPDESK_TURN_TIMEOUT_SECONDS", "soon")
    assert turn_timeout() == DEFAULT_TURN_TIMEOUT_S
    turn_timeout.cache_clear()
