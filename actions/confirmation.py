"""Binding a traveller's yes to the terms on screen, and making it count once.

A summary or quote is stored in a slot when it is shown; the yes is checked against the
terms the store gives now, and the write's idempotency key is derived from those terms and
the conversation (both are bot.booking.policy.terms_of, the terms the store binds a
confirmed quote to). The key is therefore the same for a retried confirmation, a second yes,
or a fresh summary of the same terms after an answer that never arrived: the store finds
the first outcome instead of booking, changing or cancelling twice.
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Pattern, Text

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_text, question_asked_last, understood_message
from actions.store_access import StoreUnavailable, say_store_unavailable
from bot.booking import policy as rules
from bot.nlu.acts import DECLINE, QUESTION_OR_REQUEST, SOCIAL_PREFIX
from bot.booking.store import BookingError

# 算了 gives up; 算了一下 / 算了算 / 算了下 is reckoning ("我算了一下，总价对得上，确认预订").
SUANLE = r"算了(?![一下算])"
YES = re.compile(r"确认|确定|是的|好的?|好啊|好嘞|可以|没问题|对的?|^是|^嗯|行|就这样|同意|没错|要的"
                 r"|\bok\b|okay|yes|sure|yep", re.I)
REFUSAL = re.compile(rf"不要|不用|不行|不对|不是|不了|不想|不需要|没必要|别|{SUANLE}|取消|^不|\bno\b|nope", re.I)
LEADING_REFUSAL = re.compile(rf"^\s*(?:不|别|{SUANLE}|no\b|nope)", re.I)
# "不对，是后天", "不是3间，是1间": a correction of the terms, not a refusal of them.
WRONG = re.compile(r"不对|不是|错了|搞错|说错|弄错")
CORRECTION = re.compile(r"^\s*(?:不对|不是|错了)[^，,。!！]*[，,。!！\s]+\s*(?:是|要|改|应该|换)")
NOT_NOW = re.compile(r"先别|先不|等下|等一下|等等|稍等|再想想|想一想|考虑一下|回头再|晚点再|暂时不|以后再")
QUESTION = re.compile(r"[?？]|吗|呢\s*$|多少|几[点天个次号]|怎么|什么|哪|是不是|能不能|可不可以|会不会|有没有")
# The words that name what is being confirmed: "确认，取消吧" says yes to a cancellation,
# "不不不，别取消" says no to it; at a booking's summary "取消吧" is a no.
ACTION_WORDS = {
    "cancel": re.compile(r"取消|退订|退掉|退票|退款|退"),
    "book": re.compile(r"预订|下单|订"),
    "change": re.compile(r"修改|改签|改"),
}
NEGATION = re.compile(r"(?:不要?|别|先别|不用|没想)\s*(?:帮我|给我|再)?\s*")
NEGATED_ACTION = {action: re.compile(NEGATION.pattern + "(?:" + words.pattern + ")")
                  for action, words in ACTION_WORDS.items()}
NOT_YES_INTENTS = ("goodbye", "thank")
# "入住改成12月18号吧", "座位换成二等座", "等等，日期改成29日好了": a new value for one of the
# terms shown, said at the summary; the form takes the value and shows the summary again.
CHANGE_TO = re.compile(r"改成|改为|改到|改回|改订|换成|换为|换到|调成|调到|调整为|推迟到|提前到|延后到")
# "我没说不订", "不是不订喔": the traveller says this is not a no.
NOT_A_NO = re.compile(r"(?:没说|没有说|不是|并不是|又没说)(?:要)?(?:不订|不要|不去|取消)")
# Giving up the flow in hand, at any step of it ("算了", "不订了", "先不弄了", "不退了").
GIVING_UP = re.compile(SUANLE + r"|不(?:要|想|用)?预?订|不要了|先不要|不用了|不去了|不买了|不需要了|不想要了"
                       r"|不(?:弄|办|搞|改|退|查)了|先不(?:弄|办|搞|改|退|买)")
# What only a no says, whatever else the message changes ("算了，改成下次再说"); 取消
# gives up a booking being made, but names what is wanted in the flows on an existing one.
REAL_NO = re.compile(rf"{GIVING_UP.pattern}|取消(?:预订|订单|这个)?|退订")
# "算了，还是两个人吧": a change of mind about a term, not about the flow.
RATHER = re.compile(r"还是(?![不算])")


# "确认。", "好的没问题，", "可以 下单吧 ": a yes said as clauses of its own, before more.
YES_WORDS = (r"确认|确定|好的?|好啊|好嘞|可以|没问题|对的?|是的|没错|行|就这样|同意|嗯+|ok|okay|yes|sure"
             r"|下单|落单|提交|预订|订|帮我|麻烦|请|就|那就")
LEADING_YES = re.compile(rf"^\s*(?:(?:(?:{YES_WORDS})(?:吧|啊|呀|的|了|哈|哦|喔|嘞)*)+\s*[，,。.!！~～；;\s]+\s*)+", re.I)
# A yes clause says yes only with one of these in it ("就", "帮我" alone say nothing).
EXPLICIT_YES = re.compile(r"确认|确定|好|可以|没问题|对|是的|没错|行|就这样|同意|嗯|ok|yes|sure|下单|落单|提交|订", re.I)


def side_request(text: str) -> Optional[str]:
    """What a yes says besides ("确认。另外第二段……能一起订吗" → "另外第二段……能一起订吗"):
    the rest after the leading yes clauses, when that rest neither refuses, puts off nor
    corrects anything (then the message is not a yes: "好的，不过入住改成18号吧");
    None when there is no such yes, or nothing after it."""
    yes = LEADING_YES.match(text)
    rest = text[yes.end():].strip() if yes else ""
    if not yes or not QUESTION_OR_REQUEST.search(rest) or not EXPLICIT_YES.search(yes.group(0)):
        return None  # "确认，谢谢" is a plain yes
    if REAL_NO.search(rest) or NOT_NOW.search(rest) or CHANGE_TO.search(rest) or WRONG.search(rest) \
            or LEADING_REFUSAL.search(rest) or NEGATED_ACTION["book"].search(rest):
        return None
    return rest


def corrects_terms(text: str) -> bool:
    """A new value for a term on the summary, with no real no in the same message."""
    rest = NOT_A_NO.sub("", text)
    return bool(CHANGE_TO.search(rest)) and not REAL_NO.search(rest)


def gives_up(text: str, words: Pattern[str] = GIVING_UP) -> bool:
    """Whether the message gives up the flow ("算了", "太贵了，不要了", "算了，先不订了，我再
    想想"): one of ``words`` with neither a request nor a question beside it ("算了，帮我查下
    订单", "不要了的话能退吗") nor a new value ("算了，改成三个人", "算了，还是两个人吧")."""
    said = NOT_A_NO.sub("", text)
    if not words.search(said):
        return False
    rest = DECLINE.sub(" ", words.sub(" ", said))  # "我再想想" is part of giving up
    return not (QUESTION_OR_REQUEST.search(rest) or CHANGE_TO.search(rest) or RATHER.search(said))


def said_text(tracker: Tracker) -> str:
    """The latest message as said, with the greeting or acknowledgement the NLU set aside
    ("好的没问题，" before "顺便问下含早餐吗")."""
    prefix = str(understood_message(tracker).get(SOCIAL_PREFIX) or "")
    return (prefix + latest_text(tracker)).strip()


def side_request_of(tracker: Tracker) -> Optional[str]:
    """What the latest message asks besides its yes (:func:`side_request`)."""
    return side_request(said_text(tracker))


# A summary the traveller confirms: the form's yes slot, the slot holding the terms shown,
# the action words of the yes, and the action that carries it out.
SUMMARIES = {"book_form": ("book_confirm", "book_quote", "book", "action_book")}


def summary_was_asked(tracker: Tracker, form: str) -> bool:
    """Whether the form's summary is the question the traveller's latest message answers:
    still on screen, and the last question the form asked, while active, before it."""
    confirm_slot, quote_slot, _, _ = SUMMARIES[form]
    return bool(tracker.get_slot(quote_slot)) and question_asked_last(tracker) == confirm_slot


def confirmed_summary(tracker: Tracker) -> Optional[List[EventType]]:
    """A yes to the summary on screen, said in a message a rule served elsewhere (the
    classifier heard a no, a cancellation or a search in "确认。另外第二段……能一起订吗"):
    the events that confirm it and carry it out, which also serves what was asked
    besides; None for anything else."""
    for form, (confirm_slot, _, action, submit) in SUMMARIES.items():
        if summary_was_asked(tracker, form) and said_yes(tracker, action):
            return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet(confirm_slot, True),
                    FollowupAction(submit)]
    return None


def confirmation_answer(tracker: Tracker, action: str = "") -> Optional[bool]:
    """The traveller's answer to "确认…吗？": True for yes, False for no or not now
    ("不不不，别取消", "先别", "等下我再想想"), None for anything else (a question, thanks).

    Colloquial answers often repeat the action ("确认，取消吧"), so the action's own words
    are read as part of the yes unless negated; a message that asks something is not an
    answer unless it begins by refusing. Thanks or a goodbye is never a yes: money moves
    only on an explicit one.
    """
    text = said_text(tracker)  # "好，" before "取消吧"
    answer = _plain_answer(tracker, text, action)
    if answer is False and (corrects_terms(text) or gives_new_terms(tracker, text)):
        return None  # "等一下，入住改成18号吧" corrects the terms; it does not refuse them
    return answer


def gives_values(tracker: Tracker) -> bool:
    """Whether the message says a day or a party: new terms, whatever else it says."""
    entities = understood_message(tracker).get("entities") or []
    return any(e.get("entity") in ("date", "number_of_people") for e in entities)


def gives_new_terms(tracker: Tracker, text: str) -> bool:
    """"日期不对，我们是下周二出发，不是周一", "不对，是三个人": a day or a party said with
    what was wrong corrects the summary; only a real no beside it refuses."""
    return bool(gives_values(tracker) and WRONG.search(text) and not REAL_NO.search(text))


def _plain_answer(tracker: Tracker, text: str, action: str) -> Optional[bool]:
    intent = (understood_message(tracker).get("intent") or {}).get("name")
    words = ACTION_WORDS.get(action)
    if side_request(text) is not None and not gives_values(tracker):
        return True  # "确认。另外……能一起订吗": a yes, and a question to serve after it
    if intent == "deny":
        return False
    if words and NEGATED_ACTION[action].search(text):
        return False
    if CORRECTION.search(text):
        return None
    if LEADING_REFUSAL.search(text) or NOT_NOW.search(text):
        return False
    if QUESTION.search(text) or intent in NOT_YES_INTENTS:
        return None
    rest = words.sub("", text) if words else text
    if REFUSAL.search(rest):
        return False
    if intent == "affirm" or YES.search(rest):
        return True
    return None


def said_yes(tracker: Tracker, action: str = "") -> bool:
    """An explicit yes to the question just asked: the affirm intent, or a plain yes
    such as "确认取消" that the classifier may file under the flow's own intent."""
    return confirmation_answer(tracker, action) is True


def said_no(tracker: Tracker, action: str = "") -> bool:
    """A clear no or not-now that the classifier did not file as deny (the deny rules
    stop the form for those): the form stops instead of asking again."""
    intent = (understood_message(tracker).get("intent") or {}).get("name")
    return intent != "deny" and confirmation_answer(tracker, action) is False


def stopped_at_confirmation(dispatcher: CollectingDispatcher, response: str,
                            confirm_slot: str) -> Dict[Text, Any]:
    """A no at the confirmation: say nothing was done and end the flow."""
    dispatcher.utter_message(response=response)
    return {confirm_slot: None, "requested_slot": None, "flow_stopped": True}


def confirmation_key(purpose: str, conversation_id: str, terms: Mapping[str, Any]) -> str:
    """The idempotency key of a confirmed write: the same terms in the same conversation
    give the same key, whatever the attempt (fits the store's 128-character keys)."""
    binding = {k: v for k, v in terms.items() if k != "id"}  # ids of older slot values
    canonical = json.dumps([conversation_id, binding], sort_keys=True, ensure_ascii=False, default=str)
    return f"{purpose}:{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"


def quote_to_slot(quote: rules.Quote) -> Dict[str, Any]:
    """The exact terms shown, for the yes to be bound to."""
    return rules.terms_of(quote)


def quote_from_slot(value: Mapping[str, Any]) -> rules.Quote:
    return rules.Quote(**{k: v for k, v in value.items() if k != "id"})


def quote_terms(value: Mapping[str, Any]) -> Dict[str, Any]:
    """The part of a quote slot a confirmation is bound to: the store's terms of it."""
    return rules.terms_of(quote_from_slot(value))


def same_terms(shown: Optional[Mapping[str, Any]], fresh: rules.Quote) -> bool:
    """Whether the quote on screen has the terms the store gives now."""
    return bool(shown) and quote_terms(shown or {}) == rules.terms_of(fresh)


async def confirm_if_still_quoted(
    value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, confirm_slot: str,
    quote_slot: str, fresh_quote: Callable[[], Awaitable[Optional[rules.Quote]]],
) -> Dict[Text, Any]:
    """A yes counts only for the quote on screen, and only while the policy still gives
    those terms; otherwise the quote is dropped so the form shows the new one."""
    if value is not True:
        return {confirm_slot: None}
    try:
        fresh = await fresh_quote()
    except StoreUnavailable:
        say_store_unavailable(dispatcher)
        return {confirm_slot: None, "requested_slot": None, "flow_stopped": True}
    except BookingError:
        fresh = None
    if fresh is None or not same_terms(tracker.get_slot(quote_slot), fresh):
        dispatcher.utter_message(response="utter_quote_changed")
        return {confirm_slot: None, quote_slot: None}
    return {confirm_slot: True}
