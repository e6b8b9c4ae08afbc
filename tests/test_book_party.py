"""Families and parties in the booking form: the children of a party ("两大一小", "其中一个
是小孩", "王小宇（小孩）") pay a tour's child fare, in the summary and in the booking stored;
a hotel booking takes the rooms asked for ("只要一间房", "开两间"); a message that changes
nothing is not acknowledged as a change. Runs the form, the summary and the booking
against the real catalogue and a seeded SQLite store."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, List, Optional, Tuple

import pytest

from actions.book import ActionAskBookConfirm, ActionBook, ValidateBookForm
from bot.nlu.dates import business_now
from tests.helpers import in_days, make_tracker, run_action

SENDER = "family-traveller"
DISNEY = "T-SH-001"  # 上海迪士尼亲子两日游: 1680元 an adult, 1280元 a child (demo tours.yml)
ADULT_FEN, CHILD_FEN = 168000, 128000


def said_before(*texts: str) -> List[Dict[str, Any]]:
    return [{"event": "user", "text": t, "parse_data": {"text": t, "intent": {"name": "search_tour"}}}
            for t in texts]


async def form_step(text: str, domain: Dict[str, Any], intent: str = "inform",
                    earlier: Optional[List[str]] = None, **slots: Any) -> Tuple[List[str], Dict[str, Any], List[str]]:
    """The booking form's step on ``text``: the responses it names, the slots after it, the texts."""
    built = make_tracker(text, intent, slots=slots, events=said_before(*(earlier or [])))
    built.sender_id = SENDER
    return await run_action(ValidateBookForm(), built, domain)


async def summary(domain: Dict[str, Any], **slots: Any) -> Tuple[List[str], Dict[str, Any], List[str]]:
    built = make_tracker("", "inform", slots=slots)
    built.sender_id = SENDER
    return await run_action(ActionAskBookConfirm(), built, domain)


async def confirm(domain: Dict[str, Any], **slots: Any) -> Tuple[List[str], Dict[str, Any], List[str]]:
    built = make_tracker("确认", "affirm", slots={**slots, "book_confirm": True})
    built.sender_id = SENDER
    return await run_action(ActionBook(), built, domain)


def booking_slots(slots: Dict[str, Any]) -> Dict[str, Any]:
    """The terms the form gathered, without the summary and its answer."""
    return {k: v for k, v in slots.items()
            if (k.startswith("book_") or k in ("guest_names", "contact_phone")) and k not in ("book_quote", "book_confirm")}


def family_tour(**changes: Any) -> Dict[str, Any]:
    """The Disney tour for three, waiting for the contact's name and phone."""
    slots: Dict[str, Any] = {"book_product": DISNEY, "book_variant": "-", "book_date": in_days(10),
                             "book_people": 3.0, "requested_slot": "guest_names"}
    slots.update(changes)
    return slots


def stored(store: Any) -> Any:
    [booking] = store.bookings_for(store.customer_for("rest", SENDER))
    return booking


# --- children said while searching are priced and booked at the child fare ---------------------

async def test_a_family_said_while_searching_is_quoted_and_booked_at_the_child_fare(store, domain_dict):
    names, after, _ = await form_step("好的，就订这个", domain_dict, intent="book",
                                      earlier=["我们两大一小，想报个上海迪士尼两日游"],
                                      inquiry_focus=f"tour:{DISNEY}", search_date=in_days(10), search_people=3.0)
    assert after["book_product"] == DISNEY and after["book_people"] == 3 and after["book_children"] == 1
    assert after["requested_slot"] == "guest_names"

    _, after, _ = await form_step("联系人黄蓉，手机15012345678", domain_dict, **after)
    assert after["requested_slot"] == "book_confirm"
    names, shown, texts = await summary(domain_dict, **booking_slots(after))
    assert names == ["utter_book_summary"]
    assert "3人（成人2位×1680元，儿童1位×1280元）" in texts[0] and "总价：4640元" in texts[0]

    names, _, texts = await confirm(domain_dict, **booking_slots(after), book_quote=shown["book_quote"])
    assert names == ["utter_book_done"] and "4640元" in texts[0]
    booking = stored(store)
    assert (booking.quantity, booking.children, booking.total_fen) == (3, 1, 2 * ADULT_FEN + CHILD_FEN)


@pytest.mark.parametrize("earlier", ["两个大人一个小孩，下周想去迪士尼", "2成人1儿童", "我们两个大人带个5岁的孩子"])
async def test_every_way_of_saying_the_family_counts_the_party_and_its_child(store, domain_dict, earlier):
    """Said in a message the search did not take the party from: still not asked again."""
    _, after, _ = await form_step("就订这个", domain_dict, intent="book", earlier=[earlier],
                                  inquiry_focus=f"tour:{DISNEY}", search_date=in_days(10))
    assert after["book_people"] == 3 and after["book_children"] == 1
    assert after["requested_slot"] == "guest_names"


# --- names noted as children ------------------------------------------------------------------

@pytest.mark.parametrize("text", ["王大明、李芳、王小宇（小孩）", "王大明、李芳、王小宇(儿童)",
                                  "王大明、李芳，还有小孩王小宇", "王大明、李芳、王小宇 8岁"])
async def test_names_noted_as_children_are_names_and_count_the_children(store, domain_dict, text):
    _, after, _ = await form_step(text, domain_dict, **family_tour())
    assert after["guest_names"] == ["王大明", "李芳", "王小宇"]
    assert after["book_children"] == 1 and after["requested_slot"] == "contact_phone"


async def test_a_count_said_wins_over_the_names_noted(store, domain_dict):
    _, after, _ = await form_step("王大明（小孩）、李芳（小孩）、王小宇（小孩）", domain_dict,
                                  earlier=["我们两大一小"], **family_tour(book_children=1.0))
    assert after["guest_names"] == ["王大明", "李芳", "王小宇"] and after.get("book_children", 1) == 1


# --- a correction at the summary --------------------------------------------------------------

async def adult_summary(domain: Dict[str, Any]) -> Dict[str, Any]:
    """The family's tour on the summary at three adult fares, as booked before it knew better."""
    slots = family_tour(guest_names=["黄蓉"], contact_phone="15012345678")
    _, shown, texts = await summary(domain, **slots)
    assert "总价：5040元" in texts[0]
    return {**slots, "book_quote": shown["book_quote"], "requested_slot": "book_confirm"}


@pytest.mark.parametrize("text", ["其中一个是小孩", "有一个是儿童", "不对，是两大一小"])
async def test_a_child_named_at_the_summary_is_quoted_again_at_the_child_fare(store, domain_dict, text):
    slots = await adult_summary(domain_dict)
    names, after, _ = await form_step(text, domain_dict, intent="inform", **slots)
    assert "utter_book_updated" in names and "utter_book_stopped" not in names
    assert after["book_children"] == 1 and after["book_quote"] is None and after["requested_slot"] == "book_confirm"
    _, shown, texts = await summary(domain_dict, **booking_slots(after))
    assert "儿童1位×1280元" in texts[0] and "总价：4640元" in texts[0]
    names, _, _ = await confirm(domain_dict, **booking_slots(after), book_quote=shown["book_quote"])
    assert names == ["utter_book_done"]
    assert (stored(store).children, stored(store).total_fen) == (1, 2 * ADULT_FEN + CHILD_FEN)


async def test_a_party_of_only_children_is_explained_and_priced_as_adults(store, domain_dict):
    slots = family_tour(book_people=2.0, guest_names=["黄蓉"], contact_phone="15012345678",
                        book_quote={"total_fen": 2 * ADULT_FEN}, requested_slot="book_confirm")
    names, after, texts = await form_step("其中两个是小孩", domain_dict, **slots)
    assert "utter_book_children_need_adult" in names and after["book_children"] == 0
    assert "utter_book_updated" not in names


# --- what is said is true: no "changed" when nothing changed ------------------------------------

async def test_the_same_family_said_again_is_told_it_already_is_so(store, domain_dict):
    slots = {**await adult_summary(domain_dict), "book_children": 1.0}
    names, after, _ = await form_step("我们是两大一小", domain_dict, **slots)
    assert names == ["utter_book_already_so"]
    assert after["requested_slot"] == "book_confirm" and not after.get("flow_stopped")


async def test_a_price_that_changed_under_a_yes_is_not_called_a_change_the_traveller_made(store, domain_dict):
    slots = {**await adult_summary(domain_dict)}
    slots["book_quote"] = {**slots["book_quote"], "total_fen": 1}  # not what the store quotes now
    names, after, _ = await form_step("确认", domain_dict, intent="affirm", **slots)
    assert names == ["utter_quote_changed"] and after["book_quote"] is None


# --- children where no child fare applies: hotels and tickets ---------------------------------

async def test_a_family_in_a_hotel_is_booked_by_the_room_without_children(store, domain_dict):
    slots = {"book_product": "H-SH-004", "book_variant": "大床房", "book_date": in_days(9), "book_nights": 2.0,
             "book_people": 3.0, "book_children": 1.0, "guest_names": ["李娜", "陈浩"],
             "contact_phone": "13911119002"}
    names, shown, texts = await summary(domain_dict, **slots)
    assert names == ["utter_book_summary"] and "数量：2间" in texts[0] and "儿童" not in texts[0]
    assert shown["book_quote"]["children"] == 0
    names, _, _ = await confirm(domain_dict, **slots, book_quote=shown["book_quote"])
    assert names == ["utter_book_done"] and stored(store).children == 0


async def test_a_child_on_a_train_travels_on_the_fare_booked(store, domain_dict):
    day = store.first_sale_day("G7/二等座", business_now().date() + timedelta(days=7))
    slots = {"book_product": "G7", "book_variant": "二等座", "book_date": day.isoformat(), "book_people": 2.0,
             "book_children": 1.0, "guest_names": ["王芳", "王小宇"], "contact_phone": "13700137003"}
    names, shown, texts = await summary(domain_dict, **slots)
    assert "数量：2人\n" in texts[0] and "儿童" not in texts[0]
    names, _, _ = await confirm(domain_dict, **slots, book_quote=shown["book_quote"])
    assert names == ["utter_book_done"] and stored(store).children == 0


# --- rooms asked for --------------------------------------------------------------------------

def hotel_for_two(**changes: Any) -> Dict[str, Any]:
    slots: Dict[str, Any] = {"book_product": "H-SH-004", "book_variant": "大床房", "book_date": in_days(9),
                             "book_nights": 2.0, "book_people": 2.0, "guest_names": ["李娜", "陈浩"],
                             "contact_phone": "13911119002"}
    slots.update(changes)
    return slots


@pytest.mark.parametrize("text,intent", [("开两间", "inform"), ("订2间房就行", "inform"), ("我们要两间房", "book")])
async def test_rooms_asked_for_at_the_summary_are_quoted_and_booked(store, domain_dict, text, intent):
    _, shown, texts = await summary(domain_dict, **hotel_for_two())
    assert "数量：1间" in texts[0]
    one_room = shown["book_quote"]["total_fen"]
    slots = hotel_for_two(book_quote=shown["book_quote"], requested_slot="book_confirm")
    names, after, _ = await form_step(text, domain_dict, intent=intent, **slots)
    assert after["book_rooms"] == 2 and after["book_quote"] is None and not after.get("book_confirm")
    assert "utter_book_updated" in names
    _, shown, texts = await summary(domain_dict, **booking_slots(after))
    assert "数量：2间" in texts[0] and shown["book_quote"]["total_fen"] == 2 * one_room
    names, _, _ = await confirm(domain_dict, **booking_slots(after), book_quote=shown["book_quote"])
    assert names == ["utter_book_done"] and stored(store).quantity == 2


@pytest.mark.parametrize("intent", ["deny", "inform"])
async def test_only_one_room_is_a_correction_not_a_no(store, domain_dict, intent):
    _, shown, _ = await summary(domain_dict, **hotel_for_two(book_rooms=2.0))
    slots = hotel_for_two(book_rooms=2.0, book_quote=shown["book_quote"], requested_slot="book_confirm")
    names, after, _ = await form_step("只要一间房", domain_dict, intent=intent, **slots)
    assert after["book_rooms"] == 1 and not after.get("flow_stopped") and "utter_book_stopped" not in names
    assert after["requested_slot"] == "book_confirm"


async def test_too_few_rooms_for_the_party_are_explained_and_the_fewest_that_fit_are_quoted(store, domain_dict):
    slots = hotel_for_two(book_people=3.0, guest_names=None, contact_phone=None, requested_slot="guest_names")
    names, after, texts = await form_step("只要一间房", domain_dict, **slots)
    assert "utter_book_rooms_too_few" in names and after["book_rooms"] == 2
    assert any("至少需要2间" in t for t in texts)


async def test_a_room_count_is_not_a_party_size(store, domain_dict):
    slots = hotel_for_two(book_people=None, guest_names=None, contact_phone=None, requested_slot="book_people")
    _, after, _ = await form_step("2间", domain_dict, **slots)
    assert after.get("book_people") is None and after["book_rooms"] == 2


async def test_rooms_said_while_searching_are_taken_when_the_hotel_is_chosen(store, domain_dict):
    _, after, _ = await form_step("订第2个", domain_dict, intent="book",
                                  earlier=["三亚的酒店，海景双床房，住4晚，我们四个人开两间"],
                                  search_shown=["H-SY-001", "H-SY-002"], search_date=in_days(20))
    assert after["book_product"] == "H-SY-002" and after["book_rooms"] == 2 and after["book_people"] == 4
    assert after["requested_slot"] == "guest_names"


# --- the party and its names said together -------------------------------------------------

def train_for_two(**changes: Any) -> Dict[str, Any]:
    """A train booking waiting for the party's size."""
    slots: Dict[str, Any] = {"book_product": "G7", "book_variant": "二等座", "book_date": in_days(7),
                             "requested_slot": "book_people"}
    slots.update(changes)
    return slots


@pytest.mark.parametrize("text", ["两张", "兩張", "2张", "两张票"])
async def test_tickets_counted_at_the_party_step_are_the_party(store, domain_dict, text):
    _, after, _ = await form_step(text, domain_dict, **train_for_two())
    assert after["book_people"] == 2 and after["requested_slot"] == "guest_names"


@pytest.mark.parametrize("text", ["唔该帮我订两张G7二等座", "帮我订2张G7二等座", "唔该帮我订两张下礼拜六G7二等"])
async def test_tickets_counted_with_the_request_are_not_asked_again(store, domain_dict, text):
    _, after, _ = await form_step(text, domain_dict, intent="book", book_date=in_days(7))
    assert after["book_product"] == "G7" and after["book_variant"] == "二等座"
    assert after["book_people"] == 2 and after["requested_slot"] == "guest_names"


async def test_two_beds_are_not_two_travellers(store, domain_dict):
    _, after, _ = await form_step("要两张床的", domain_dict, book_product="H-SY-002", requested_slot="book_people")
    assert after.get("book_people") is None


@pytest.mark.parametrize("text, slots, people, names", [
    ("1位，赵敏", {"book_product": "H-SY-003", "book_variant": "大床房", "book_nights": 1.0}, 1, ["赵敏"]),
    ("两位，陳嘉欣同梁俊傑", {}, 2, ["陈嘉欣", "梁俊杰"]),
    ("兩位：CHAN TAI MAN 同 LEUNG MEI LING", {}, 2, ["CHAN TAI MAN", "LEUNG MEI LING"]),
    ("张三和李四", {}, 2, ["张三", "李四"]),
])
async def test_names_said_with_the_count_are_taken_with_it(store, domain_dict, text, slots, people, names):
    _, after, _ = await form_step(text, domain_dict, **train_for_two(**slots))
    assert after["book_people"] == people and after["guest_names"] == names
    assert after["requested_slot"] == "contact_phone"


@pytest.mark.parametrize("text", ["两大一小", "一家三口"])
async def test_a_count_that_reads_like_a_name_names_no_one(store, domain_dict, text):
    _, after, _ = await form_step(text, domain_dict, **family_tour(requested_slot="book_people", book_people=None))
    assert after["book_people"] == 3 and not after.get("guest_names")


@pytest.mark.parametrize("text, names", [
    ("陈志强 H12345678，黄嘉欣 H23456789", ["陈志强", "黄嘉欣"]),
    ("陈晨，身份证440304199002181015；李梦，身份证440304199002180442", ["陈晨", "李梦"]),
    ("CHAN TAI MAN 同 LEUNG MEI LING", ["CHAN TAI MAN", "LEUNG MEI LING"]),
])
async def test_names_said_with_their_document_numbers_are_the_names(store, domain_dict, text, names):
    _, after, _ = await form_step(text, domain_dict, **train_for_two(book_people=2.0, requested_slot="guest_names"))
    assert after["guest_names"] == names and after["requested_slot"] == "contact_phone"


async def test_one_name_with_an_id_number_is_the_name(store, domain_dict):
    _, after, _ = await form_step("杨秀英 430602195812034526", domain_dict,
                                  **train_for_two(book_people=1.0, requested_slot="guest_names"))
    assert after["guest_names"] == ["杨秀英"]
