"""End to end: a traveller gives a mobile number, names and a verification answer to the
real servers, logging at DEBUG (the most they ever write); neither server's log, nor the
booking events, holds them in full, and the files the servers create are private."""
from __future__ import annotations

import json
import os
import re
import stat
import uuid
from datetime import timedelta
from typing import Any, Dict, Iterator

import pytest
import requests
from sqlalchemy import select

from bot.catalogue.items import HotelQuery
from bot.catalogue.queries import catalogue as catalogue_facade
from bot.booking.models import BookingEvent
from bot.nlu.dates import business_now
from tests.conftest import free_port, wait_until_ready

pytestmark = pytest.mark.model
PHONE = "13812345678"


@pytest.fixture(scope="module")
def debug_servers(trained_model, tmp_path_factory) -> Iterator[Dict[str, Any]]:
    """Both servers started as `make run` starts them, with LOG_LEVEL=DEBUG."""
    from bot.booking.seed import seed
    from bot.booking.store import BookingStore
    from bot.cli import start_services, stop_services

    log_dir = tmp_path_factory.mktemp("private-logs")
    names = ("TRIPDESK_TRACKER_DB", "DATABASE_URL", "LOG_LEVEL")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(TRIPDESK_TRACKER_DB=str(log_dir / "tracker.db"),
                      DATABASE_URL=f"sqlite:///{log_dir / 'tripdesk.db'}", LOG_LEVEL="DEBUG")
    store = BookingStore(os.environ["DATABASE_URL"])
    seed(store, demo=True)  # a stranger verifies 张伟's demo booking below
    port, action_port = free_port(), free_port()
    processes = start_services(port=port, action_port=action_port, log_dir=log_dir)
    try:
        wait_until_ready(port, action_port, processes, log_dir, timeout=600)  # a busy machine
        yield {"port": port, "log_dir": log_dir, "store": store}
    finally:
        stop_services(processes)
        store.close()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def say(server: Dict[str, Any], sender: str, text: str) -> str:
    url = f"http://127.0.0.1:{server['port']}/webhooks/rest/webhook"
    response = requests.post(url, json={"sender": sender, "message": text}, timeout=120)
    response.raise_for_status()
    return "\n".join(m.get("text", "") for m in response.json())


def test_a_phone_number_names_and_a_verification_answer_stay_out_of_both_logs(debug_servers):
    sender = f"privacy-{uuid.uuid4().hex[:8]}"
    day = business_now().date() + timedelta(days=6)
    hotel = catalogue_facade().find_hotels(HotelQuery(city="上海"))[0]  # the first one shown
    say(debug_servers, sender, f"帮我找下{day.month}月{day.day}日上海的酒店，两个人")
    say(debug_servers, sender, "订第一个")
    say(debug_servers, sender, hotel.rooms[0].type)
    say(debug_servers, sender, "住两晚")
    assert "手机" in say(debug_servers, sender, "欧阳娜娜、司马相如")
    assert "请核对订单" in say(debug_servers, sender, PHONE)
    done = say(debug_servers, sender, "确认")
    assert "预订成功" in done
    # A stranger proves they hold 张伟's demo booking with the last four digits.
    stranger = f"privacy-{uuid.uuid4().hex[:8]}"
    say(debug_servers, stranger, "查订单 TD2H8KQ4MZ")
    assert "TD2H8KQ4MZ" in say(debug_servers, stranger, "手机尾号8001")

    logs = {path.name: path.read_text(encoding="utf-8")
            for path in debug_servers["log_dir"].glob("*.log")}
    assert set(logs) == {"rasa.log", "actions.log"}
    assert "DEBUG" in logs["rasa.log"]  # Rasa logged the conversation, slots and events
    names = "|".join(re.escape(form) for name in ("欧阳娜娜", "司马相如")
                     for form in (name, json.dumps(name)[1:-1]))  # structlog writes JSON
    for name, text in logs.items():
        assert PHONE not in text, name
        assert not re.search(rf"guest(_name)?s\W{{0,20}}({names})", text), name  # slot, quote
        assert not re.search(r"verify_last4\W{0,20}8001", text), name
        assert sender not in text and stranger not in text, name

    with debug_servers["store"].transaction() as session:
        details = [str(e.details) for e in session.execute(select(BookingEvent)).scalars()]
    assert details and not any(PHONE in d or "欧阳娜娜" in d for d in details)


def test_the_files_the_servers_create_are_private(debug_servers):
    made = [debug_servers["log_dir"] / name
            for name in ("tracker.db", "tripdesk.db", "rasa.log", "actions.log")]
    assert {path.name: stat.S_IMODE(path.stat().st_mode) for path in made} == {
        path.name: 0o600 for path in made}
