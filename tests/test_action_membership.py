"""actions/membership.py against the real knowledge base (membership.yml: 1 point per yuan;
银卡 from 2000, 金卡 from 8000, 白金 from 20000) and a real, seeded SQLite store."""
from __future__ import annotations

from datetime import timedelta
from typing import Dict

import pytest
from sqlalchemy import func, select, update

from actions.common import today
from actions.membership import ActionMembership
from bot.booking.models import Booking, BookingEvent, Customer
from bot.booking.store import BookingStore
from tests.helpers import run_action, seeded_store, traveller

ZHANG = "rest:demo-zhang"  # past stay TD9WJE6TPL: 1 night at ¥828 → 828 points
WANG = "rest:demo-wang"  # past tour TD3PZ5DJ7B: ¥398 → 398 points


@pytest.fixture
def store(tmp_path, monkeypatch) -> BookingStore:
    store = seeded_store(tmp_path, monkeypatch)
    yield store
    store.close()


async def ask(domain: Dict, sender: str) -> tuple:
    names, _, texts = await run_action(ActionMembership(), traveller("我有多少积分", "membership", sender), domain)
    return names, texts


def points(store: BookingStore, sender: str) -> int:
    customer = store.customer_for("rest", sender)
    with store.transaction() as session:
        return session.execute(select(Customer.points).where(Customer.id == customer.id)).scalar_one()


@pytest.mark.parametrize("sender,earned,to_silver", [(ZHANG, 828, 1172), (WANG, 398, 1602)])
async def test_points_level_and_the_way_to_the_next_level(store, domain_dict, sender, earned, to_silver):
    names, texts = await ask(domain_dict, sender)
    assert names == ["utter_membership", "utter_membership_next"]
    assert "普通会员" in texts[0] and f"当前积分 {earned}" in texts[0]
    assert "· 生日当月赠送 200 积分" in texts[0].splitlines()
    assert f"再积 {to_silver} 分" in texts[1] and "银卡会员" in texts[1]
    assert points(store, sender) == earned


async def test_a_trip_that_has_ended_earns_its_points_once_before_the_answer(store, domain_dict):
    ended = today() - timedelta(days=1)
    with store.transaction() as session:
        session.execute(update(Booking).where(Booking.reference == "TD2H8KQ4MZ")
                        .values(start_date=ended - timedelta(days=2), end_date=ended))
    names, texts = await ask(domain_dict, ZHANG)
    assert names == ["utter_points_awarded", "utter_membership", "utter_membership_next"]
    assert "新获得 2776 积分" in texts[0]
    assert "银卡会员" in texts[1] and "当前积分 3604" in texts[1]  # 828 + 2776
    assert "再积 4396 分" in texts[2] and "金卡会员" in texts[2]
    names, texts = await ask(domain_dict, ZHANG)
    assert names == ["utter_membership", "utter_membership_next"] and "当前积分 3604" in texts[0]
    assert points(store, ZHANG) == 3604
    with store.transaction() as session:
        awards = session.execute(select(func.count()).select_from(BookingEvent).join(Booking).where(
            Booking.reference == "TD2H8KQ4MZ", BookingEvent.action == "points_awarded")).scalar_one()
        assert awards == 1
        assert session.execute(select(Booking.status).where(Booking.reference == "TD2H8KQ4MZ")
                               ).scalar_one() == "completed"


async def test_the_top_level_has_no_next_level(store, domain_dict):
    customer = store.customer_for("rest", WANG)
    with store.transaction() as session:
        session.execute(update(Customer).where(Customer.id == customer.id).values(points=25000))
    names, texts = await ask(domain_dict, WANG)
    assert names == ["utter_membership"]
    assert "白金会员" in texts[0] and "当前积分 25000" in texts[0] and "· 7×24 小时专属客服" in texts[0]


async def test_a_stranger_starts_at_the_first_level_with_no_points(store, domain_dict):
    names, texts = await ask(domain_dict, "rest:someone-new")
    assert names == ["utter_membership", "utter_membership_next"]
    assert "普通会员" in texts[0] and "当前积分 0" in texts[0]
    assert "再积 2000 分" in texts[1] and "银卡会员" in texts[1]
    assert points(store, ZHANG) == 828  # nobody else's points moved
