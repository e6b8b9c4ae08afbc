"""Several acts in one message: a greeting or an acknowledgement before a request, thanks
before a goodbye, an angry demand for a person.

Two small rule components around the classifier, because the classifier sees one message
and gives it one intent, and the short social clauses outweigh the request in a short
text ("你好，想订上海的酒店…" came out as a greeting or as not understood):

* :class:`LeadingClauseTrimmer` (before the tokenizer) drops a leading greeting or
  acknowledgement clause ("你好，", "好的，", "行，", "在吗？") when what follows is a request
  or a question of its own, so the classifier, the entity extractors and the actions all
  see the substantive part. It never drops a clause holding an entity, and a message
  that is only social ("好的", "你好呀") is left as it is. The dropped clause is kept in
  the parse data as ``social_prefix``.
* :class:`SocialActOverride` (after the classifier) files a message made only of
  acknowledgements, thanks and a goodbye ("好的，谢谢，再见", "谢谢啦拜拜", "OK了，多谢",
  "…那就先这样吧，再见") as ``goodbye`` or ``thank``, and a demand for a person ("给我找个活人",
  "叫你们经理来", "我要人工客服马上") as ``request_human``, whatever the classifier said.

Both are deterministic and need no training; the same trimming is applied to the
training data so the classifier learns on what it will be shown.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.catalogue.attributes import attributes_in, kinds_of
from bot.nlu.booking_request import GUEST_DETAILS, booking_intent
from bot.identifiers import REFERENCE_LIKE_IN_TEXT
from bot.privacy import ID_CARD, PASSPORT

SOCIAL_PREFIX = "social_prefix"
# Entities that name one bookable item ("我要订成都宽窄巷子栖云酒店").
NAMED_ITEMS = ("hotel_name",)
# What only a booking needs to know: a day and a party ("18号出发，两个人能订吗").
BOOKING_DETAILS = ("date", "number_of_people")

SEPARATOR = r"[，,。.!！~～?？\s、]"
_GREETING = r"(?:您好|你好|哈喽|哈啰|嗨|hello|hi|在吗|在不在|在么|早上好|上午好|中午好|下午好|晚上好|早安|客服|小达|亲)"
_ACK = (r"(?:好的|好滴|好嘞|好吧|好|行吧|行|嗯嗯|嗯|哦哦|哦|噢|喔|ok|okay|OK|明白了|明白|知道了|了解了?|收到"
        r"|可以|没问题|谢谢你?|多谢|感谢)")
_FILLER = r"(?:呀|啊|哈|啦|了|呢|哦|的|喔)*"
# One or more social clauses at the start, each ended by a separator.
LEADING_SOCIAL = re.compile(rf"^(?:\s*(?:(?:{_GREETING}|{_ACK}){_FILLER})+{SEPARATOR}+)+", re.I)
# What a message made only of social clauses may contain.
_THANKS = r"(?:谢谢|多谢|感谢|谢啦|谢了|thx|thanks|thank you|辛苦了?|麻烦你了?)"
# (not 就这样: "可以的，就这样" says yes at a confirmation; not 不用了: a no)
_GOODBYE = (r"(?:再见|拜拜|拜|bye|88|回头见|回见|下次见|先这样吧?|没事了|没有了|"
            r"先不聊了|不聊了|先忙了?|晚安)")
_SOCIAL_WORD = rf"(?:{_GREETING}|{_ACK}|{_THANKS}|{_GOODBYE}|就这样吧?|那就|那|就|先|你|您|啦|了|哈|呀|啊|吧|哦|的|喔|很|非常|太|大家|小达)"
ONLY_SOCIAL = re.compile(rf"^(?:{_SOCIAL_WORD}|{SEPARATOR})+$", re.I)
GOODBYE = re.compile(_GOODBYE, re.I)
THANKS = re.compile(_THANKS, re.I)
ENDS_WITH_GOODBYE = re.compile(rf"(?:{_GOODBYE}){_FILLER}{SEPARATOR}*$", re.I)
# What makes a clause a question or a request of its own.
QUESTION_OR_REQUEST = re.compile(r"[?？]|吗|怎么|多少|几[点天个位号晚次]|哪|什么|能不能|可以.{0,4}吗|有没有|帮我|我要|我想|想要|订|查|改|退|取消")
# A demand for a person, however rude; not a question about when people answer.
HUMAN_DEMAND = re.compile(
    r"(?:找|叫|要|给我|换|来|转)(?:你们|您们|你们的)?[个一位名]*(?:活人|真人|人工|经理|领导|负责人|主管|客服人员|真的客服)"
    r"|(?:活人|真人|人工客服|人工|经理|领导)\s*(?:来|呢|在哪|出来|马上|立刻|赶紧|快点)"
    r"|听不懂人话|不要机器人|别用机器人|跟机器人说不(?:清|通)"
)
# Declining before taking leave ("先不订，谢谢，再见") is not a request.
DECLINE = re.compile(r"(?:先|暂时|还是|就)?(?:不订了?|不用订了?|不买了?|不预订了?|不需要了?|不用了|不要了)"
                     r"|(?:我|我们)?(?:再|先)?(?:考虑考虑|考虑一下|考虑下|想想|想一想|商量一下|商量商量)")
HUMAN_HOURS = re.compile(r"几点|时间|什么时候|上班|下班|电话多少|热线")
NO_HUMAN = re.compile(r"(?:不|别|不用|不需要|没)(?:要|用|转|找|叫)?(?:人工|真人|经理)")


def _clauses_substantive(text: str) -> bool:
    """Whether the text is more than social words: a request, a question, any content."""
    stripped = text.strip()
    return bool(stripped) and not ONLY_SOCIAL.match(stripped)


def leading_social_clause(text: str, entity_spans: Sequence[Tuple[int, int]] = ()) -> int:
    """How many leading characters are a greeting or acknowledgement clause that can be
    dropped: 0 when there is none, when the rest is only social too, or when an entity
    lies in it."""
    match = LEADING_SOCIAL.match(text)
    if not match:
        return 0
    end = match.end()
    if not _clauses_substantive(text[end:]):
        return 0
    if any(start < end for start, _ in entity_spans):
        return 0
    return end


def social_intent(text: str) -> Optional[str]:
    """``goodbye`` or ``thank`` for a message that only acknowledges, thanks and takes
    leave (the goodbye may close a longer message that asks nothing); else None."""
    stripped = text.strip()
    if not stripped:
        return None
    if ONLY_SOCIAL.match(stripped):
        if GOODBYE.search(stripped):
            return "goodbye"
        if THANKS.search(stripped):
            return "thank"
        return None
    if ENDS_WITH_GOODBYE.search(stripped) and not QUESTION_OR_REQUEST.search(DECLINE.sub("", stripped)):
        return "goodbye"
    declined = DECLINE.sub("", stripped)
    if declined != stripped and ONLY_SOCIAL.match(declined or "了") and THANKS.search(declined):
        return "goodbye"  # "先不订了，再考虑考虑，谢谢你": leaving for now, politely
    return None


# A yes/no word inside a question about a place ("能洗衣服不", "有早餐没有") is not an answer.
YES_NO_INTENTS = ("affirm", "deny")
# Social and out-of-scope readings a question about an item's fact also gets ("几点退房？我早上6点
# 就得走" as a goodbye, "能洗衣服不" as out of scope); a price or "怎么样" alone could be anything's.
MISREAD_QUESTION_INTENTS = ("goodbye", "thank", "out_of_scope")
ANYTHINGS_ATTRIBUTES = ("介绍",)
ANYTHINGS_WORDS = re.compile(r"^(?:多少钱|价格|怎么样)$")
ATTRIBUTE_QUESTION = re.compile(r"(?:不|吗|么|没有|没|[?？])\s*$|几|多少|哪")
# "电话给我一下" about a hotel is not a request for a person unless it names one.
PERSON_WORDS = re.compile(r"人工|客服|真人|活人|经理|主管|转人|找人|人来|投诉")
# A clause that asks ("几点退房？", "确定有无烟房吧？"), and what makes a message a complaint
# whatever it also asks.
ASKS_IN_A_CLAUSE = re.compile(r"[?？]|吗|几(?:点|星|号|晚|天|个|分|公里|站)|多少|哪|有没有|能不能|可不可以|什么\s*$")
COMPLAINT_WORDS = re.compile(
    r"投诉|差评|太差|很差|真差|垃圾|骗|坑|退钱|赔偿|赔钱|不满|生气|气死|恶心|失望|糟糕|过分|离谱|态度|脏|坏了|吵|臭|"
    r"烟味很重|一股|没人管|没人接|没人理|打不通|不是说|说好的|明明|居然|竟然|怎么回事|搞什么|什么破")
SEARCH_INTENT_OF_KIND = {"hotel": "search_hotel", "sight": "search_tour", "tour": "search_tour",
                         "service": "search_ticket"}


def attribute_question_intent(text: str, intent: Optional[str]) -> Optional[str]:
    """The search intent for a question about an item's fact that the classifier filed as
    a yes, a no, a request for a person or a complaint (the action then answers it about
    the item in focus): "几点退房？我早上6点就得走", "第一个确定有无烟房吧？我对烟味很敏感"."""
    if intent == "request_human":
        if PERSON_WORDS.search(text):
            return None  # "人工客服电话多少" does want a person
    elif intent == "complaint":
        if COMPLAINT_WORDS.search(text) or not ASKS_IN_A_CLAUSE.search(text):
            return None  # "不是说无烟房吗？一屋子烟味" is a complaint
    elif intent not in YES_NO_INTENTS + MISREAD_QUESTION_INTENTS or not ATTRIBUTE_QUESTION.search(text):
        return None
    asked = attributes_in(text)
    if not asked:
        return None
    if intent in MISREAD_QUESTION_INTENTS and (asked[0].name in ANYTHINGS_ATTRIBUTES
                                              or ANYTHINGS_WORDS.match(text[asked[0].start:asked[0].end])):
        return None
    kinds = kinds_of(asked[0].name)
    return SEARCH_INTENT_OF_KIND.get(kinds[0]) if kinds else None


def details_not_a_person(text: str, intent: Optional[str]) -> Optional[str]:
    """``inform`` for a traveller's details filed as a request for a person
    ("13911000009，联系人郭宇": 联系人 is who to call, not a call for a person)."""
    if intent == "request_human" and GUEST_DETAILS.search(text) and not PERSON_WORDS.search(text):
        return "inform"
    return None


# Intents that act on the values a bare message gives (a booking reference pasted alone).
ACTS_ON_VALUES = ("inform", "check_booking", "cancel_booking", "change_booking", "refund_status",
                  "payment_issue", "book")
VALUE_ENTITIES = ("date", "number_of_people", "booking_ref", "phone")
A_SCORE = re.compile(r"^\s*[1-5一二三四五]\s*[分星]?\s*$")  # "5", "4分": a satisfaction score
VALUE_WORDS = re.compile(r"手机号?码?|电话号?码?|联系方式|号码|订单号?码?|单号|身份证号?码?|证件号?码?|护照号?码?"
                         r"|我的|就是|是|嗯+|呃|哦|[\s\d,，.。、:：;；/\-]")


def only_values(text: str, entities: Sequence[Dict[Text, Any]], intent: Optional[str]) -> Optional[str]:
    """``inform`` for a message that is only values ("13911826345", "下星期三", an ID number),
    which the classifier, with no words to go on, filed as a goodbye or a rating."""
    if intent in ACTS_ON_VALUES or (intent == "give_rating" and A_SCORE.match(text)):
        return None
    spans = sorted((int(e["start"]), int(e["end"])) for e in entities if e.get("entity") in VALUE_ENTITIES)
    rest, last = [], 0
    for start, end in spans:
        rest.append(text[last:start])
        last = max(last, end)
    rest.append(text[last:])
    left = ID_CARD.sub("", PASSPORT.sub("", "".join(rest)))
    had_value = bool(spans) or left != "".join(rest) or any(c.isdigit() for c in text)
    return "inform" if had_value and not VALUE_WORDS.sub("", left) else None


def order_quoted_not_booked(text: str, intent: Optional[str]) -> Optional[str]:
    """``check_booking`` for an order quoted by its number that the classifier took for a new
    booking ("订单号是TD2611260457，预订手机…，入住人何佳": 预订 and 入住人 read as booking)."""
    if intent == "book" and REFERENCE_LIKE_IN_TEXT.search(text):
        return "check_booking"
    return None


def demands_person(text: str) -> bool:
    """An explicit demand for a human ("给我找个活人", "叫你们经理来", "我要人工客服马上")."""
    return bool(HUMAN_DEMAND.search(text)) and not HUMAN_HOURS.search(text) and not NO_HUMAN.search(text)


# A person asked for in the plain words a traveller uses mid-form, where the message is
# otherwise read as an answer ("转人工" looked like a name): a demand as above, or these.
PERSON_WANTED = re.compile(r"转人工|转接人工|人工客服|人工服务|找人工|真人客服|真人服务|找客服|联系客服|"
                           r"找个人(?![少多气])")


def asks_for_person(text: str) -> bool:
    """Whether the message asks for a person ("转人工", "算了，找客服吧", "帮我找个人"); a
    question about when people answer or a "不用转人工" is not a request."""
    wanted = bool(HUMAN_DEMAND.search(text) or PERSON_WANTED.search(text))
    return wanted and not HUMAN_HOURS.search(text) and not NO_HUMAN.search(text)


def _shift_entities(message: Message, offset: int) -> None:
    entities: List[Dict[Text, Any]] = []
    for entity in message.get(ENTITIES) or []:
        moved = dict(entity)
        moved[ENTITY_ATTRIBUTE_START] = int(entity[ENTITY_ATTRIBUTE_START]) - offset
        moved[ENTITY_ATTRIBUTE_END] = int(entity[ENTITY_ATTRIBUTE_END]) - offset
        entities.append(moved)
    if entities:
        message.set(ENTITIES, entities)


def trim_message(message: Message, keep_in_output: bool) -> None:
    """Drop the message's leading social clause, moving its entity spans along."""
    text = message.get(TEXT)
    if not isinstance(text, str):
        return
    spans = [(int(e[ENTITY_ATTRIBUTE_START]), int(e[ENTITY_ATTRIBUTE_END])) for e in message.get(ENTITIES) or []]
    cut = leading_social_clause(text, spans)
    if not cut:
        return
    message.set(TEXT, text[cut:])
    if spans:
        _shift_entities(message, cut)
    if keep_in_output:
        message.set(SOCIAL_PREFIX, text[:cut], add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class LeadingClauseTrimmer(GraphComponent):
    """Drops "你好，" / "好的，那" before a request or a question (see the module)."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LeadingClauseTrimmer":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            trim_message(example, keep_in_output=False)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            trim_message(message, keep_in_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SocialActOverride(GraphComponent):
    """Closings, demands for a person and misfiled booking requests, recognised by rule
    after the classifier."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SocialActOverride":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str):
                continue
            intent = "request_human" if demands_person(text) else social_intent(text)
            classified = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            entities = message.get(ENTITIES) or []
            intent = intent or attribute_question_intent(text, classified) or details_not_a_person(text, classified) \
                or only_values(text, entities, classified) or order_quoted_not_booked(text, classified)
            named = any(e.get("entity") in NAMED_ITEMS for e in entities)
            details = any(e.get("entity") in BOOKING_DETAILS for e in entities)
            if intent is None and booking_intent(str((message.get(INTENT) or {}).get(INTENT_NAME_KEY)), text,
                                                 named, details):
                intent = "book"  # bot/nlu/booking_request.py
            if intent:
                override_intent(message, intent)
        return messages


def override_intent(message: Message, name: str) -> None:
    """Put ``name`` first with full confidence, keeping the classifier's ranking after it."""
    current = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
    if current == name:
        return
    # The others keep their order but not their confidence: left as they were, the
    # classifier's own top intent would tie with the chosen one and the fallback
    # classifier would call the message ambiguous.
    ranking = [{**r, PREDICTED_CONFIDENCE_KEY: 0.0}
               for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != name]
    chosen = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0}
    message.set(INTENT, chosen, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [chosen, *ranking], add_to_output=True)
