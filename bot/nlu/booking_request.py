"""A booking request the classifier filed as slot values or as a question.

Travellers book the item they were just asking about in one breath, with the party and
their contact details ("行，就订这家的双床房吧，我一个人住，入住人王磊，手机139…",
"我想报桂林漓江阳朔精华三日游，下周六出发，两个大人"). The classifier sees the phone number,
a room type or a tour's name and says ``inform`` or ``search_hotel``; the dialogue then
answers a room-price or phone question, or asks what to search. A booking request wins
over an attribute question: :func:`asks_to_book` recognises one by rule, and
:class:`bot.nlu.acts.SocialActOverride` files it as ``book``.
"""
from __future__ import annotations

import re

from bot.identifiers import MOBILE_IN_TEXT, REFERENCE_LIKE_IN_TEXT

# 订/预订/报名 as a request; not 订单 (an order), 订了/订过/订好 (one already made),
# 退订/取消预订, nor a question about how booking works (怎么订).
BOOK_VERB = re.compile(
    r"(?<![退消已])(?:预订|预定|订|报名)(?![单了过好的])|(?:我想|我要|帮我|给我|想)报(?![价销警道])")
NEGATED = re.compile(r"(?:不|别|不想|不要|不用|没)(?:帮我|给我|再)?(?:预订|预定|订|报名|报)")
HOW = re.compile(r"怎么|如何|怎样|在哪")
# "就它了", "就这家吧": choosing the item in focus.
CHOICE = re.compile(r"就(?:它|这家|这个|这间|这趟|这班|那家|那个|那趟|那班)(?:了|吧)")
# The item in focus or on the list: 这家, 它, 那班, 第二个.
POINTS_AT_ITEM = re.compile(r"这家|那家|这个|那个|这间|它|这趟|那趟|这班|那班|第[一二三四五六七八九十\d]{1,2}[个家间趟班]"
                            r"|(?<![A-Za-z0-9])[A-Za-z]{1,2}\d{1,4}(?![0-9])")
# Details only a booking needs: the traveller's own phone, whose name it is under.
GUEST_DETAILS = re.compile(
    MOBILE_IN_TEXT.pattern + r"|入住人|住客|乘客|乘机人|出行人|联系人|联络人|旅客|游客|名字|姓名")
QUESTION = re.compile(r"[?？]|吗|多少|几[点天个号晚]|哪|什么|有没有|怎么")
# Looking for something to book, not booking it: 有推荐吗, 有没有, 想报个五天的团, 订个酒店.
SEARCHING = re.compile(r"推荐|有没有|有哪些|哪些|哪个|什么|看看|(?:订|报|报名|找)(?:一|几)?个(?!人)")
# "两个人能订吗", "下周六出发可以报名吗": whether it can be booked, asked as the request itself.
CAN_BOOK = re.compile(r"(?:能|可以|可不可以|能不能)(?:预订|预定|订|报名|报)(?:吗|么|嘛|不)?\s*[?？]?\s*$")
# A tour named by its own name ("九寨沟黄龙四日跟团游"), which the classifier labels as
# anything or nothing.
TOUR_NAMED = re.compile(r"[\u4e00-\u9fff]{2,}(?:[一二两三四五六七八九十\d]+日|[一二两三四五六七八九十\d]+天)?(?:跟团游|日游)")
# An order already made, quoted by its number ("订单号是TD2611260457，预订手机…"): about that
# booking, never a new one.
ORDER_QUOTED = re.compile(r"订单号|单号|订单编号|" + REFERENCE_LIKE_IN_TEXT.pattern, re.IGNORECASE)
# Intents a booking request is misfiled under; any other intent is left as it is.
MISFILED = ("inform", "search_hotel", "search_ticket", "search_tour")


def asks_to_book(text: str, names_item: bool = False, gives_details: bool = False) -> bool:
    """Whether the message asks to book something specific, not to search or to ask.

    With the traveller's own details (a mobile number, 入住人…) a booking verb or a choice
    ("就它了") is a booking; without them, only when it points at an item ("这家", "G8",
    or a hotel named in full: ``names_item``) and asks nothing, or asks only whether it
    can be booked for the day or party it gives (``gives_details``: "九寨沟黄龙四日跟团游，
    18号出发，两个人能订吗").
    """
    if NEGATED.search(text) or HOW.search(text) or ORDER_QUOTED.search(text):
        return False  # an order quoted by its number is about that booking
    if SEARCHING.search(text) and not GUEST_DETAILS.search(text):
        return False
    wants = bool(BOOK_VERB.search(text) or CHOICE.search(text))
    if not wants:
        return False
    if GUEST_DETAILS.search(text) or CHOICE.search(text):
        return True
    points = bool(names_item or POINTS_AT_ITEM.search(text) or TOUR_NAMED.search(text))
    can_book = CAN_BOOK.search(text)
    if can_book and gives_details:
        return points and not QUESTION.search(text[:can_book.start()])
    return bool(names_item or POINTS_AT_ITEM.search(text)) and not QUESTION.search(text)


def booking_intent(intent: str, text: str, names_item: bool = False, gives_details: bool = False) -> bool:
    """Whether a message filed as ``intent`` is really a booking request."""
    if intent not in MISFILED or ORDER_QUOTED.search(text):
        return False
    if intent == "inform":  # slot values with a booking verb: 我想报…三日游，下周六出发
        return asks_to_book(text, names_item, gives_details) or (
            bool(BOOK_VERB.search(text)) and not NEGATED.search(text)
            and not HOW.search(text) and not SEARCHING.search(text))
    return asks_to_book(text, names_item, gives_details)
