"""Reply copy lives in domain.yml and reaches the traveller through the NLG (issue 8, item 16):
actions name responses and fill values; they do not write Chinese sentences themselves."""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, Iterator, Set, Tuple

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk.executor import CollectingDispatcher

from actions.change_booking import ActionAskChangeConfirm, ActionAskChangeKind
from bot.booking.store import BookingStore
from bot.nlg import ScriptAwareNLG
from tests.helpers import seeded_store, traveller

ACTIONS = Path(__file__).resolve().parent.parent / "actions"
CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# Chinese in actions that is not copy: what the traveller types (button payloads are
# words the NLU and the extractors read back), words the parsers skip, and the unit of
# the one money format. Anything else Chinese in an action is a reply and belongs in
# domain.yml.
NOT_COPY: Set[Tuple[str, str]] = {
    ("inquiry.py", "房型"),  # an attribute of the closed set (vocabulary/attributes.yml)
    ("confirmation.py", "算了(?![一下算])"),  # a fragment of the refusal patterns
    # the words of a yes at a summary, a fragment of the confirmation patterns
    ("confirmation.py", "确认|确定|好的?|好啊|好嘞|可以|没问题|对的?|是的|没错|行|就这样|同意|嗯+|ok|okay|yes|sure"
                        "|下单|落单|提交|预订|订|帮我|麻烦|请|就|那就"),
    ("book.py", "联系人"), ("book.py", "联络人"),  # labels naming who is called, read from a message
    ("names.py", " ,，"),  # separators stripped from a name
    ("book.py", "订第{}个"),  # payload of a "pick a listed product" button
    ("change_booking.py", "改日期"), ("change_booking.py", "改房型"),  # payloads of the kind buttons
    ("change_booking.py", "改车次/航班"), ("change_booking.py", "改出行人姓名"),
    ("change_booking.py", "换成{}"),  # payload of a room / departure button
    ("change_booking.py", "个种班。."),  # trailing words an ordinal answer may carry
    ("confirmation.py", "确认取消"), ("confirmation.py", "确定取消"),  # "yes, cancel" is a yes
    ("confirmation.py", "确认"), ("confirmation.py", "确定"),
    ("names.py", "你好"), ("names.py", "谢谢"), ("names.py", "好的"), ("names.py", "可以"),
    ("names.py", "算了"), ("names.py", "不用"), ("names.py", "不要"), ("names.py", "没有"),
    ("names.py", "不知道"), ("names.py", "取消"), ("names.py", "确认"),  # words that are not names
    ("search.py", "的"), ("inquiry.py", "的"),  # a particle the parsers insert or strip, never shown
    ("places.py", "站|机场|车站"),  # a pattern for station names
    ("names.py", "。.！!～~ "), ("names.py", "。.！!"), ("names.py", ",，"),  # punctuation around typed names
    ("wording.py", "{}元"),  # the money format (wording.amount, then 元): 1280元, 12.50元
}


@pytest.fixture
def store(tmp_path, monkeypatch) -> BookingStore:
    store = seeded_store(tmp_path, monkeypatch)
    yield store
    store.close()


def literal_text(node: ast.AST) -> str:
    """A string literal, or an f-string with its placeholders as ``{}``."""
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""


def chinese_literals(path: Path) -> Iterator[str]:
    """Chinese string literals outside docstrings and regular expressions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: Set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skipped.add(id(first.value))
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "compile":
            skipped.update(id(n) for arg in node.args for n in ast.walk(arg))
    for node in ast.walk(tree):
        if id(node) in skipped:  # a regular expression, raw or f-string
            continue
        if isinstance(node, ast.Constant) and any(node is v for j in ast.walk(tree)
                                                  if isinstance(j, ast.JoinedStr) for v in j.values):
            continue  # part of an f-string: checked as the whole f-string
        text = literal_text(node)
        if text and CHINESE.search(text):
            yield text


def test_no_action_writes_reply_copy_itself():
    found = {(path.name, text) for path in ACTIONS.glob("*.py") for text in chinese_literals(path)}
    assert found - NOT_COPY == set()


def test_every_response_an_action_names_is_in_the_domain(domain_dict):
    named = {name for path in ACTIONS.glob("*.py")
             for name in re.findall(r"[\"'](utter_[a-z0-9_]+)[\"']", path.read_text(encoding="utf-8"))}
    assert named and named - set(domain_dict["responses"]) == set()


def tracker_written_in(text: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker("traveller", slots=[])
    tracker.update(UserUttered(text, {"name": "change_booking"}))
    return tracker


async def reply_as_rasa_renders(domain_dict: Dict, message: Dict, written: str) -> Dict:
    """What the traveller receives for an action's message: the NLG fills the response,
    then Rasa adds the action's own buttons (converted by the NLG in place)."""
    values = {k: v for k, v in message.items() if k not in ("response", "template", "text")}
    buttons = values.pop("buttons", None) or []
    nlg = ScriptAwareNLG(domain=Domain.from_dict(domain_dict))
    reply = await nlg.generate(message["response"], tracker_written_in(written), "rest", buttons=buttons,
                               **values)
    return {**reply, "buttons": (reply.get("buttons") or []) + buttons}


async def test_a_traditional_writer_reads_the_whole_change_quote_in_traditional(store, domain_dict):
    dispatcher = CollectingDispatcher()
    slots = {"order_ref": "TD6RT9GC5X", "order_verified": True, "change_kind": "departure", "change_value": "CA1502"}
    await ActionAskChangeConfirm().run(dispatcher, traveller("", "inform", "rest:demo-wang", **slots), domain_dict)
    reply = await reply_as_rasa_renders(domain_dict, dispatcher.messages[0], "我想換一班飛機")
    assert "需補差價40元" in reply["text"] and "手續費 196元" in reply["text"]
    assert [b["title"] for b in reply["buttons"]] == ["確認修改", "先不改了"]
    assert [b["payload"] for b in reply["buttons"]] == ["/affirm", "/deny"]


async def test_button_titles_follow_the_script_and_payloads_stay_what_the_parser_reads(store, domain_dict):
    dispatcher = CollectingDispatcher()
    await ActionAskChangeKind().run(dispatcher, traveller("", "change_booking", "rest:demo-wang",
                                                          order_ref="TD6RT9GC5X"), domain_dict)
    reply = await reply_as_rasa_renders(domain_dict, dispatcher.messages[0], "我要改機票")
    assert [b["title"] for b in reply["buttons"]] == ["改日期", "改車次/航班", "改出行人姓名"]
    assert [b["payload"] for b in reply["buttons"]] == ["改日期", "改车次/航班", "改出行人姓名"]
    assert "車次/航班" in reply["text"]


def test_a_piece_of_copy_the_model_predates_is_filled_from_domain_yml():
    """An action's piece of copy added since the model was trained is not lost."""
    from actions.common import template

    assert template({"responses": {}}, "utter_duration_hours_minutes", hours=3, minutes=40) == "3小时40分钟"
