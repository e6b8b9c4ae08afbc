"""actions/change_booking.py against the real knowledge base and a real, seeded SQLite store:
the fee and price difference quoted from the policy, the change applied once on a
confirmed yes, the money that moves with it, and the changes that are refused."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, List

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.change_booking import (
    ActionAskChangeConfirm,
    ActionAskChangeKind,
    ActionAskChangeValue,
    ActionChangeBooking,
    ValidateChangeBookingForm,
)
from bot.booking.models import Booking, BookingChange, Payment, Refund
from bot.booking.store import BookingStore
from bot.catalogue.items import ServiceQuery
from bot.catalogue.queries import catalogue
from tests.helpers import run_action, seeded_store, traveller

ZHANG = "rest:demo-zhang"  # 张伟: TD2H8KQ4MZ 上海外滩 高级大床房 ¥1388 x 2 nights in 12 days; TD9WJE6TPL past
WANG = "rest:demo-wang"  # 王芳: TD6RT9GC5X MU5101 经济舱 ¥980, departs tomorrow 08:00


@pytest.fixture
def store(tmp_path, monkeypatch) -> BookingStore:
    store = seeded_store(tmp_path, monkeypatch)
    yield store
    store.close()


def slots_for(reference: str, kind: str, value: Any) -> Dict[str, Any]:
    return {"order_ref": reference, "order_verified": True, "change_kind": kind, "change_value": value}


async def quote(domain: Dict[str, Any], sender: str, slots: Dict[str, Any]) -> tuple:
    names, after, texts = await run_action(ActionAskChangeConfirm(), traveller("", "inform", sender, **slots), domain)
    assert names == ["utter_change_quote"]
    return after["change_quote"], texts[0]


async def confirm(domain: Dict[str, Any], sender: str, slots: Dict[str, Any], shown: Dict[str, Any]) -> tuple:
    built = traveller("确认修改", "affirm", sender, **slots, change_confirm=True, change_quote=shown)
    names, _, texts = await run_action(ActionChangeBooking(), built, domain)
    return names, texts


def rows(store: BookingStore, model: Any, reference: str) -> List[Any]:
    with store.transaction() as session:
        found = session.execute(select(model).join(Booking).where(Booking.reference == reference)
                                .order_by(model.id)).scalars().all()
        session.expunge_all()
        return list(found)


# --- quotes: fee and difference from the policy -----------------------------------------

@pytest.mark.parametrize("sender,reference,kind,value,fee,difference,payable", [
    # economy class changes 4–48 h before take-off cost 20 % of ¥980; CA1502 is ¥1020
    (WANG, "TD6RT9GC5X", "departure", "CA1502", "196元", "需补差价40元", "236元"),
    # HO1251 is ¥760: ¥220 back, less the ¥196 fee
    (WANG, "TD6RT9GC5X", "departure", "HO1251", "196元", "差价退还220元", "0元"),
    # a hotel change before the cutoff is free; 江景双床房 is ¥200 a night dearer, 2 nights
    (ZHANG, "TD2H8KQ4MZ", "room", "江景双床房", "0元", "需补差价400元", "400元"),
])
async def test_the_quote_states_the_policy_fee_the_difference_and_what_is_due(
        store, domain_dict, sender, reference, kind, value, fee, difference, payable):
    shown, text = await quote(domain_dict, sender, slots_for(reference, kind, value))
    assert f"订单 {reference}" in text and value in text
    assert f"手续费 {fee}" in text and difference in text and f"本次需支付 {payable}" in text
    assert rows(store, BookingChange, reference) == []  # a quote changes nothing


async def test_a_date_change_quote_names_the_new_stay(store, domain_dict):
    booking = store.find("TD2H8KQ4MZ", store.customer_for("rest", ZHANG))
    start, end = booking.start_date + timedelta(days=1), booking.end_date + timedelta(days=1)
    _, text = await quote(domain_dict, ZHANG, slots_for("TD2H8KQ4MZ", "dates", f"{start}/{end}"))
    assert f"日期改为{start.month}月{start.day}日–{end.month}月{end.day}日" in text
    assert "手续费 0元" in text and "无差价" in text


async def test_a_dearer_departure_is_applied_once_and_its_fee_and_difference_are_charged_once(store, domain_dict):
    slots = slots_for("TD6RT9GC5X", "departure", "CA1502")
    shown, _ = await quote(domain_dict, WANG, slots)
    first = await confirm(domain_dict, WANG, slots, shown)
    again = await confirm(domain_dict, WANG, slots, shown)
    assert first == again
    names, texts = first
    assert names == ["utter_change_done", "utter_payment_pending"]
    assert "CA1502" in texts[0] and "待支付 236元" in texts[1] and "TD6RT9GC5X" in texts[1]
    changes = rows(store, BookingChange, "TD6RT9GC5X")
    assert [(c.kind, c.fee_fen, c.difference_fen) for c in changes] == [("departure", 19600, 4000)]
    pending = [p.amount_fen for p in rows(store, Payment, "TD6RT9GC5X") if p.status == "pending"]
    assert pending == [23600]
    booking = store.find("TD6RT9GC5X", store.customer_for("rest", WANG))
    assert booking.product.code == "CA1502/经济舱" and booking.total_fen == 102000


async def test_a_cheaper_departure_refunds_the_difference_less_the_fee(store, domain_dict):
    slots = slots_for("TD6RT9GC5X", "departure", "HO1251")
    shown, _ = await quote(domain_dict, WANG, slots)
    names, texts = await confirm(domain_dict, WANG, slots, shown)
    assert names == ["utter_change_done", "utter_change_refund"]
    assert "HO1251" in texts[0] and "差价 24元" in texts[1]
    refunds = rows(store, Refund, "TD6RT9GC5X")
    assert [(r.amount_fen, r.fee_fen, r.rule, r.status) for r in refunds] == [
        (2400, 19600, "change.price_difference", "pending")]
    assert [p for p in rows(store, Payment, "TD6RT9GC5X") if p.status == "pending"] == []


async def test_a_new_date_moves_the_stay_and_reads_back_the_new_dates(store, domain_dict):
    booking = store.find("TD2H8KQ4MZ", store.customer_for("rest", ZHANG))
    start = booking.start_date + timedelta(days=2)
    slots = slots_for("TD2H8KQ4MZ", "dates", start.isoformat())
    shown, _ = await quote(domain_dict, ZHANG, slots)
    names, texts = await confirm(domain_dict, ZHANG, slots, shown)
    end = start + timedelta(days=2)
    assert names == ["utter_change_done"]
    assert f"{start.month}月{start.day}日" in texts[0] and f"{end.month}月{end.day}日" in texts[0]
    assert "共2晚" in texts[0] and "张伟、刘芳" in texts[0]
    moved = store.find("TD2H8KQ4MZ", store.customer_for("rest", ZHANG))
    assert (moved.start_date, moved.end_date, moved.total_fen) == (start, end, booking.total_fen)


async def test_without_the_confirmation_nothing_changes(store, domain_dict):
    slots = slots_for("TD6RT9GC5X", "departure", "CA1502")
    shown, _ = await quote(domain_dict, WANG, slots)
    built = traveller("确认修改", "affirm", WANG, **slots, change_confirm=None, change_quote=shown)
    names, after, _ = await run_action(ActionChangeBooking(), built, domain_dict)
    assert names == [] and after["change_kind"] is None and after["change_quote"] is None
    assert rows(store, BookingChange, "TD6RT9GC5X") == []
    assert store.find("TD6RT9GC5X", store.customer_for("rest", WANG)).product.code == "MU5101/经济舱"


# --- refused changes ---------------------------------------------------------------------

async def test_a_past_trip_cannot_be_changed(store, domain_dict):
    built = traveller("改签TD9WJE6TPL", "change_booking", ZHANG)
    names, slots, texts = await run_action(ValidateChangeBookingForm(), built, domain_dict)
    assert names == ["utter_cannot_change"] and "TD9WJE6TPL" in texts[0] and "400-820-6688" in texts[0]
    assert slots["order_ref"] is None and slots["flow_stopped"] is True
    assert rows(store, BookingChange, "TD9WJE6TPL") == []


async def test_a_cancelled_booking_cannot_be_changed(store, domain_dict):
    booking = store.find("TD2H8KQ4MZ", store.customer_for("rest", ZHANG))
    store.cancel(booking, store.quote_cancellation(booking), "test-cancel")
    built = traveller("TD2H8KQ4MZ改到后天", "change_booking", ZHANG)
    names, slots, texts = await run_action(ValidateChangeBookingForm(), built, domain_dict)
    assert names == ["utter_cannot_change"] and "TD2H8KQ4MZ" in texts[0]
    assert slots["flow_stopped"] is True
    assert rows(store, BookingChange, "TD2H8KQ4MZ") == []


async def test_a_change_confirmed_after_the_booking_was_cancelled_is_not_applied(store, domain_dict):
    slots = slots_for("TD2H8KQ4MZ", "room", "江景双床房")
    shown, _ = await quote(domain_dict, ZHANG, slots)
    booking = store.find("TD2H8KQ4MZ", store.customer_for("rest", ZHANG))
    store.cancel(booking, store.quote_cancellation(booking), "test-cancel")
    names, _ = await confirm(domain_dict, ZHANG, slots, shown)
    assert names in (["utter_change_invalid"], ["utter_quote_changed"])
    assert rows(store, BookingChange, "TD2H8KQ4MZ") == []
    assert store.find("TD2H8KQ4MZ", store.customer_for("rest", ZHANG)).product.code == "H-SH-001/高级大床房"


async def test_a_new_date_in_the_past_is_asked_again(store, domain_dict):
    built = traveller("改到昨天", "change_booking", ZHANG, **slots_for("TD2H8KQ4MZ", "dates", None),
                      requested_slot="change_value")
    names, slots, _ = await run_action(ValidateChangeBookingForm(), built, domain_dict)
    assert names == ["utter_date_in_past_change"] and slots["change_value"] is None
    assert rows(store, BookingChange, "TD2H8KQ4MZ") == []


# --- what is offered ----------------------------------------------------------------------

async def test_the_kinds_offered_follow_the_product_and_the_caller(store, domain_dict):
    dispatcher = CollectingDispatcher()
    await ActionAskChangeKind().run(dispatcher, traveller("", "change_booking", WANG, order_ref="TD6RT9GC5X"),
                                    domain_dict)
    buttons = dispatcher.messages[0]["buttons"]
    assert [b["title"] for b in buttons] == ["改日期", "改车次/航班", "改出行人姓名"]
    assert dispatcher.messages[0]["kinds"] == "日期、车次/航班、出行人姓名"
    assert store.verify_contact("TD6RT9GC5X", "7003", "stranger").ok
    dispatcher = CollectingDispatcher()
    await ActionAskChangeKind().run(dispatcher, traveller("", "change_booking", "stranger",
                                                          order_ref="TD6RT9GC5X"), domain_dict)
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == ["改日期", "改车次/航班"]


async def test_other_flights_on_the_route_are_listed_with_their_times(store, domain_dict):
    built = traveller("", "change_booking", WANG, **slots_for("TD6RT9GC5X", "departure", None))
    names, _, texts = await run_action(ActionAskChangeValue(), built, domain_dict)
    assert names == ["utter_ask_new_departure"]
    booking = store.find("TD6RT9GC5X", store.customer_for("rest", WANG))
    current = catalogue().service("MU5101")
    others = [s for s in catalogue().find_services(ServiceQuery(
        origin=current.origin, destination=current.destination, modes=("flight",),
        weekday=booking.start_date.isoweekday())) if s.code != "MU5101"]
    assert len(others) >= 3  # the catalogue's other flights that day, earliest first (six shown)
    assert "、".join(f"{s.code}（{s.depart}起飞）" for s in others[:6]) in texts[0]
