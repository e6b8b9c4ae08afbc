"""The booking form hears corrections and references at every step: a new date, time or
count corrects that slot, a product named in full or in part selects it, a time alone
keeps the day already given, and what the traveller said while searching is not asked
again. Runs the form's validator against the real catalogue and a seeded SQLite store."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Dict, List, Optional

import pytest

from actions.book import ValidateBookForm, nights_in
from bot.nlu.dates import business_now
from tests.helpers import in_days, make_tracker, run_action


def said_before(*texts: str) -> List[Dict[str, Any]]:
    """Earlier user turns as the tracker holds them (normalised text in parse_data)."""
    return [{"event": "user", "text": t, "parse_data": {"text": t, "intent": {"name": "search_hotel"}}}
            for t in texts]


async def form_after(text: str, intent: str, domain: Dict[str, Any], earlier: Optional[List[str]] = None,
                     entities: Optional[List[Dict[str, Any]]] = None, **slots: Any) -> Dict[str, Any]:
    built = make_tracker(text, intent, entities=entities, slots=slots, events=said_before(*(earlier or [])))
    built.sender_id = "new-traveller"
    _, after, _ = await run_action(ValidateBookForm(), built, domain)
    return after


def confirming(**changes: Any) -> Dict[str, Any]:
    """A train booking waiting for its yes, with the summary on screen."""
    slots: Dict[str, Any] = {"book_product": "G7", "book_variant": "二等座", "book_date": in_days(7),
                             "book_people": 1.0, "guest_names": ["王芳"], "contact_phone": "13700137003",
                             "book_quote": {"total_fen": 55300}, "requested_slot": "book_confirm"}
    slots.update(changes)
    return slots


def next_day_numbered(day_of_month: int) -> date:
    today = business_now().date()
    candidate = today.replace(day=day_of_month) if today.day < day_of_month else None
    if candidate is None:
        candidate = (today.replace(day=1) + timedelta(days=32)).replace(day=day_of_month)
    return candidate


# --- corrections ------------------------------------------------------------------------

@pytest.mark.parametrize("intent", ["change_booking", "inform"])
async def test_a_new_day_during_a_new_booking_corrects_the_date_and_drops_the_summary(store, domain_dict, intent):
    day = next_day_numbered(12) if business_now().date().day != 12 else next_day_numbered(13)
    text = f"日期改成{day.day}号"
    after = await form_after(text, intent, domain_dict, **confirming())
    assert after["book_date"] == day.isoformat()
    assert after["book_quote"] is None and after["requested_slot"] == "book_confirm"


async def test_a_new_count_corrects_the_people_and_asks_the_names_again(store, domain_dict):
    after = await form_after("改成三个人", "change_booking", domain_dict, **confirming())
    assert after["book_people"] == 3 and after["guest_names"] is None
    assert after["requested_slot"] == "guest_names"


async def test_another_class_corrects_the_fare(store, domain_dict):
    after = await form_after("换成一等座", "change_booking", domain_dict, **confirming())
    assert after["book_variant"] == "一等座" and after["book_quote"] is None


# --- the product named in full, in part, by code, time or position ------------------------

CHENGDU = ["H-CD-001", "H-CD-002", "H-CD-003", "H-CD-004"]
FLIGHTS = ["MU5101", "CA1502", "CZ6731"]


@pytest.mark.parametrize("text,shown,item", [
    ("成都宽窄巷子栖云酒店", [], "H-CD-002"),
    ("我想订成都宽窄巷子栖云酒店", CHENGDU, "H-CD-002"),
    ("那就东站小憩酒店吧", CHENGDU, "H-CD-004"),
    ("订宽窄巷子那家", CHENGDU, "H-CD-002"),
    ("南航11点40那班", FLIGHTS, "CZ6731"),
    ("国航那班", FLIGHTS, "CA1502"),
    ("G7", [], "G7"),
    ("第二个", CHENGDU, "H-CD-002"),
])
async def test_a_product_named_during_the_form_is_selected(store, domain_dict, text, shown, item):
    after = await form_after(text, "book", domain_dict, search_shown=shown, requested_slot="book_product")
    assert after["book_product"] == item
    assert after["requested_slot"] != "book_product"


async def test_a_name_shared_by_two_listed_hotels_selects_neither(store, domain_dict):
    after = await form_after("云景那家", "book", domain_dict, search_shown=["H-CD-001", "H-SY-001"],
                             requested_slot="book_product")
    assert after.get("book_product") is None


# --- dates: a time alone keeps the day; a length is not a day ----------------------------

@pytest.mark.parametrize("text", ["9点05那趟G6305吧", "下午两点那班G6311"])
async def test_a_time_alone_keeps_the_day_searched(store, domain_dict, text):
    friday = in_days(10)
    after = await form_after(text, "book", domain_dict, search_shown=["G6301", "G6305", "G6311"],
                             search_date=friday, requested_slot="book_product")
    assert after["book_date"] == friday


@pytest.mark.parametrize("text, shown, code", [
    ("中午12点半那班", ["G6301", "G6305", "G6311"], "G6311"),
    ("下午两点那班", ["G7", "G13", "G19", "G25"], "G19"),
    ("3点那趟", ["G1379", "G1380", "G1381", "G1382"], "G1381"),  # 3 o'clock of a list is 15:00
    ("订9点那班", ["G7", "G13", "G19", "G25"], "G13"),
])
async def test_a_time_alone_picks_the_listed_service_that_leaves_then(store, domain_dict, text, shown, code):
    after = await form_after(text, "book", domain_dict, search_shown=shown,
                             search_date=in_days(10), requested_slot="book_product")
    assert after["book_product"] == code and after["book_date"] == in_days(10)


async def test_a_day_with_a_time_still_changes_the_day(store, domain_dict):
    after = await form_after("改成后天上午9点05那趟", "change_booking", domain_dict,
                             **confirming(book_product="G6305", book_date=in_days(10)))
    assert after["book_date"] == in_days(2)


# --- nothing said earlier is asked again ---------------------------------------------------

async def test_room_type_and_nights_given_while_searching_are_not_asked_again(store, domain_dict):
    after = await form_after("订第2个", "book", domain_dict,
                             earlier=["三亚的酒店，要海景双床房，住4晚，两个人"],
                             search_shown=["H-SY-001", "H-SY-002"], search_date=in_days(20),
                             search_people=2.0, requested_slot="book_product")
    assert after["book_product"] == "H-SY-002" and after["book_variant"] == "海景双床房"
    assert after["book_nights"] == 4 and after["book_date"] == in_days(20) and after["book_people"] == 2
    assert after["requested_slot"] == "guest_names"


async def test_a_room_type_without_its_last_character_is_understood(store, domain_dict):
    after = await form_after("大床", "inform", domain_dict, book_product="H-SY-003",
                             requested_slot="book_variant")
    assert after["book_variant"] == "大床房"


async def test_a_first_message_with_date_nights_and_people_leaves_only_the_choice(store, domain_dict):
    first = "订上海的酒店，12月24号入住两晚，一个人"
    after = await form_after(first, "book", domain_dict)
    assert after["requested_slot"] == "book_product"
    assert after["book_people"] == 1 and after["book_date"].endswith("-12-24")
    chosen = await form_after("第5个", "book", domain_dict, earlier=[first],
                              search_shown=["H-SH-001", "H-SH-002", "H-SH-003", "H-SH-004", "H-SH-005"],
                              **{k: v for k, v in after.items() if k.startswith("book_")})
    assert chosen["book_nights"] == 2 and chosen["book_people"] == 1
    assert chosen["requested_slot"] in ("book_variant", "guest_names")


async def test_an_ordinal_before_a_place_is_not_a_party_size(store, domain_dict):
    after = await form_after("第5个人民广场那家可以，14号入住住2晚", "book", domain_dict,
                             search_shown=["H-SH-001", "H-SH-002", "H-SH-003", "H-SH-004", "H-SH-005"],
                             search_people=1.0, search_date=in_days(13), requested_slot="book_product")
    assert after["book_people"] == 1


async def test_the_day_repeated_without_its_month_keeps_the_agreed_date(store, domain_dict):
    agreed = in_days(31)
    day = int(agreed[8:10])
    after = await form_after(f"四晚，前面说过了呀，{day}号到{day + 4 if day < 25 else 28}号", "inform", domain_dict,
                             book_product="H-SY-002", book_variant="海景双床房", book_date=agreed,
                             requested_slot="book_nights")
    assert after.get("book_date", agreed) == agreed and after["book_nights"] == 4


@pytest.mark.parametrize("text,names", [
    ("李娜、陈浩，还有小孩陈小雨", ["李娜", "陈浩", "陈小雨"]),
    ("入住人写我的名字吧，周静怡", ["周静怡"]),
])
async def test_names_said_with_who_they_are_are_taken(store, domain_dict, text, names):
    after = await form_after(text, "inform", domain_dict, book_product="H-SY-002", book_variant="海景双床房",
                             book_date=in_days(31), book_nights=4.0, book_people=3.0,
                             requested_slot="guest_names")
    assert after["guest_names"] == names and after["requested_slot"] == "contact_phone"


async def test_a_room_type_answer_does_not_switch_to_a_listed_hotel_sharing_a_word(store, domain_dict):
    after = await form_after("亲子房", "inform", domain_dict, search_shown=["H-CD-003", "H-SY-002"],
                             book_product="H-SY-002", requested_slot="book_variant")
    assert after["book_product"] == "H-SY-002" and after["book_variant"] == "亲子房"


# --- rooms: the summary's count is the count booked ------------------------------------------

async def test_three_guests_in_rooms_for_two_are_quoted_and_booked_as_two_rooms(store, domain_dict):
    from actions.book import ActionAskBookConfirm, ActionBook

    slots: Dict[str, Any] = {"book_product": "H-SH-004", "book_variant": "大床房", "book_date": in_days(9),
                             "book_nights": 2.0, "book_people": 3.0, "guest_names": ["李娜", "陈浩"],
                             "contact_phone": "13911119002"}
    built = make_tracker("", "inform", slots=slots)
    built.sender_id = "new-traveller"
    names, after, texts = await run_action(ActionAskBookConfirm(), built, domain_dict)
    assert names == ["utter_book_summary"] and "2间" in texts[0]
    confirmed = make_tracker("确认", "affirm", slots={**slots, "book_quote": after["book_quote"], "book_confirm": True})
    confirmed.sender_id = "new-traveller"
    names, _, texts = await run_action(ActionBook(), confirmed, domain_dict)
    assert names == ["utter_book_done"], texts


# --- booking the item in focus, details said before they are asked -----------------------

async def form_run(text: str, domain: Dict[str, Any], entities: Optional[List[Dict[str, Any]]] = None,
                   **slots: Any):
    """The form's step from a fresh start: the responses it names and the slots after it."""
    built = make_tracker(text, "book", entities=entities, slots=slots)
    built.sender_id = "new-traveller"
    names, after, texts = await run_action(ValidateBookForm(), built, domain)
    return names, after, texts


async def test_booking_this_hotel_after_asking_about_it_books_the_item_in_focus(store, domain_dict):
    names, after, texts = await form_run("就订这家的双床房吧，我一个人住，入住人王磊，手机13912345678",
                                         domain_dict, inquiry_focus="hotel:H-CD-002", search_date=in_days(5))
    assert after["book_product"] == "H-CD-002"
    assert after["guest_names"] == ["王磊"] and after["book_people"] == 1
    assert after["contact_phone"] == "13912345678"
    assert "utter_ask_guest_names" not in names


async def test_a_room_kind_without_its_grade_takes_the_plainest_room_of_that_kind(store, domain_dict):
    from actions.book import variants_of

    rooms = variants_of("H-BJ-001")
    big_beds = sorted((price, room) for room, price in rooms if "大床" in room)
    _, after, _ = await form_run("行，就它了，订一间大床房，就我一个人，名字刘建国，电话13812345678",
                                 domain_dict, inquiry_focus="hotel:H-BJ-001")
    assert after["book_product"] == "H-BJ-001"
    assert after["book_variant"] == big_beds[0][1]


async def test_a_sight_in_focus_is_never_the_product(store, domain_dict):
    from bot.catalogue.queries import catalogue
    from bot.catalogue.items import SightQuery

    sight = catalogue().find_sights(SightQuery(city="北京", limit=1))[0]
    _, after, _ = await form_run("就订这个吧", domain_dict, inquiry_focus=f"sight:{sight.id}",
                                 search_shown=[sight.id])
    assert after.get("book_product") is None


async def test_passengers_named_before_being_asked_are_taken_and_count_the_party(store, domain_dict):
    names, after, _ = await form_run("帮我订一张G7501，明天的，二等座，乘客陈晨，手机13712345678", domain_dict)
    assert after["book_product"] == "G7501"
    assert after["guest_names"] == ["陈晨"] and after["book_people"] == 1
    assert after["requested_slot"] == "book_confirm"


@pytest.mark.parametrize("text", ["联系人王芳，手机13912345678", "联系人孙丽 13912345678"])
async def test_a_tour_is_booked_under_one_contact_for_the_whole_party(store, domain_dict, text):
    from bot.catalogue.queries import catalogue
    from bot.catalogue.items import TourQuery

    tour = catalogue().find_tours(TourQuery(destination="桂林"))[0]
    after = await form_after(text, "inform", domain_dict, book_product=tour.id, book_variant="-",
                             book_date=in_days(10), book_people=2.0, requested_slot="guest_names")
    assert after["guest_names"] and len(after["guest_names"]) == 1
    assert after["book_people"] == 2 and after["requested_slot"] == "book_confirm"


async def test_a_change_said_at_the_summary_corrects_it_instead_of_stopping(store, domain_dict):
    slots = confirming(book_product="H-SH-002", book_variant="高级大床房", book_nights=2.0)
    names, after, _ = await form_run("等下，改成住三晚吧，会议延期了", domain_dict, **slots)
    assert after["book_nights"] == 3 and not after.get("flow_stopped")
    assert after["book_quote"] is None and after["requested_slot"] == "book_confirm"
    assert "utter_book_stopped" not in names and "utter_book_updated" in names


async def test_the_cheapest_room_when_asked_for_the_cheapest(store, domain_dict):
    from actions.book import variants_of

    cheapest = min(variants_of("H-CD-002"), key=lambda choice: choice[1])[0]
    after = await form_after("房型要最便宜的那种", "book", domain_dict, book_product="H-CD-002",
                                   requested_slot="book_variant")
    assert after["book_variant"] == cheapest


async def test_a_train_named_by_route_and_time_is_selected(store, domain_dict):
    from bot.catalogue.queries import catalogue

    service = catalogue().service("G6301")
    assert service is not None
    day = next(business_now().date() + timedelta(days=n) for n in range(1, 8)
               if (business_now().date() + timedelta(days=n)).isoweekday() in service.weekdays)
    moment = f"{day.isoformat()}T{service.depart}"
    text = f"帮我订{day.month}月{day.day}日早上{service.depart}广州南到深圳北那班高铁"
    entities = [{"entity": "city", "value": "广州", "start": 0, "end": 0},
                {"entity": "city", "value": "深圳", "start": 0, "end": 0},
                {"entity": "date", "value": moment, "start": 0, "end": 0}]
    built = make_tracker(text, "book", entities=entities, with_rule_entities=False)
    built.sender_id = "new-traveller"
    names, after, texts = await run_action(ValidateBookForm(), built, domain_dict)
    assert after["book_product"] == "G6301"


async def test_the_product_chosen_is_named_in_the_reply(store, domain_dict):
    names, after, texts = await form_run("我要订G7，就我一个人，二等座", domain_dict, search_date=in_days(3))
    assert after["book_product"] == "G7"
    assert "utter_book_chosen" in names and any("G7" in t for t in texts)


@pytest.mark.parametrize("text", ["联系人电话改成13912345678", "姓名要写全吗"])
async def test_a_label_followed_by_no_name_gives_no_names(store, domain_dict, text):
    after = await form_after(text, "inform", domain_dict, **confirming())
    assert after["guest_names"] == ["王芳"]


async def test_a_hotel_named_in_part_earlier_is_booked_when_nothing_else_is_in_focus(store, domain_dict):
    built = make_tracker("那就订江景双床房，入住人陈晓和李娜，手机13912345678", "book",
                         slots={"search_city": "上海", "search_shown": ["H-SH-002", "H-SH-003"]},
                         events=said_before("外滩云景酒店12月18号还有房吗？我们两个人，住两晚", "江景双床房多少钱一晚"))
    built.sender_id = "new-traveller"
    _, after, _ = await run_action(ValidateBookForm(), built, domain_dict)
    assert after["book_product"] == "H-SH-001"
    assert after["book_variant"] == "江景双床房" and after["guest_names"] == ["陈晓", "李娜"]
    assert after["book_nights"] == 2  # "多少钱一晚" asked in between is a price, not one night


@pytest.mark.parametrize("text, count", [
    ("住两晚", 2), ("三天两晚", 2), ("住一晚", 1), ("一晚", 1), ("订一晚多少钱", 1),
    ("江景双床房多少钱一晚", None), ("一晚1000以内的有吗", None), ("一晚上什么价", None), ("房价一晚", None),
])
def test_a_price_per_night_is_no_count_of_nights(text, count):
    assert nights_in(text) == count


@pytest.mark.parametrize("text, variant", [("二等", "二等座"), ("一等", "一等座"), ("商务", "商务座"), ("要二等的", "二等座")])
async def test_a_seat_class_without_its_last_character_is_understood(store, domain_dict, text, variant):
    after = await form_after(text, "inform", domain_dict, book_product="G7", requested_slot="book_variant")
    assert after["book_variant"] == variant


async def test_a_seat_class_short_form_in_the_request_is_not_asked_again(store, domain_dict):
    names, after, _ = await form_run("帮我订一张G7，二等，乘客王磊", domain_dict, book_date=in_days(7))
    assert after["book_variant"] == "二等座" and after["book_people"] == 1 and after["guest_names"] == ["王磊"]
    assert after["requested_slot"] == "contact_phone"


def day_of(text: str) -> str:
    from bot.nlu.dates import extract_dates
    return str(extract_dates(text)[0].value)


@pytest.mark.parametrize("text", ["哎呀等一下，我突然想起来周六要去看老人，能不能改成下周日那天？",
                                  "不对不对，{sat}号是这周六啊，我要的是下周日"])
async def test_a_day_corrected_at_the_summary_is_the_day_asked_for_not_another_day_named(store, domain_dict, text):
    saturday = day_of("周六")
    said = text.format(sat=int(saturday[8:10]))
    after = await form_after(said, "change_booking", domain_dict, **confirming(book_date=saturday))
    assert after["book_date"] == day_of("下周日") != saturday
    assert after["book_quote"] is None and after["requested_slot"] == "book_confirm"
