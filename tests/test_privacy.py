"""Personal data in logs: one set of formats and masks (bot/privacy.py), applied to every
record the Rasa server and the action server log, whatever logging set-up they run."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.booking.models import OutboundMessage
from bot.outbound import Outbound
from bot.privacy import PersonalDataFilter, mask_details, mask_identifier, mask_text

ROOT = Path(__file__).resolve().parent.parent
PHONE = "13912345678"
OPENID = "oAbCdEfGhIjKlMnOpQrStUvWxYz1"


@pytest.mark.parametrize("text, shown", [
    ("我的手机13912345678", "我的手机139********"),
    ("电话 139 1234 5678 或 139-1234-5678", "电话 139******** 或 139********"),
    ("身份证110105199001011234", "身份证1*****************"),
    ("护照E12345678，通行证C12345678", "护照E********，通行证C********"),
    ("卡号 6222 0212 3456 7894 / 4111111111111111", "卡号 ************7894 / ************1111"),
    (f"openid {OPENID}", "openid oAbC…Wxz1".replace("Wxz1", OPENID[-4:])),
    ("SlotSet(key: verify_last4, value: 5678)", "SlotSet(key: verify_last4, value: ***)"),
    ("\\n\\tguest_names: ['欧阳娜娜', '司马相如']\\n", "\\n\\tguest_names: [***]\\n"),
    ("{'total_fen': 277600, 'guests': ['欧阳娜娜']}", "{'total_fen': 277600, 'guests': [***]}"),
    ("Recreating tracker from sender id 'telegram:100001234'", "Recreating tracker from sender id 'telegram:…'"),
    ("button press in chat 100001234 ignored", "button press in chat … ignored"),
], ids=["phone", "grouped-phones", "id-card", "passport-permit", "cards", "openid", "last4",
        "json-slot-names", "quote-guests", "sender-id", "chat-id"])
def test_personal_data_is_masked_wherever_it_stands(text, shown):
    assert mask_text(text) == shown
    assert mask_text(shown) == shown  # masking twice changes nothing


@pytest.mark.parametrize("text", [
    "订单 TD2H8KQ4MZ 2026-12-13 入住，共 2776元，G7 次 08:00，timestamp 1764590000000",
    "terminal chat log, phone number, conversation log unavailable",
    "{'name': 'inform', 'confidence': 1.0}",
])
def test_ordinary_text_is_left_alone(text):
    assert mask_text(text) == text


def test_audit_details_are_masked_by_key_and_by_format():
    details = {"travellers": ["欧阳娜娜"], "contact_phone": PHONE, "last4": "5678",
               "openid": OPENID, "note": f"call {PHONE}", "total_fen": 277600}
    assert mask_details(details) == {
        "travellers": ["欧***"], "contact_phone": "139********", "last4": "***",
        "openid": mask_identifier(OPENID), "note": "call 139********", "total_fen": 277600}


def test_the_filter_masks_arguments_tracebacks_and_extras():
    record = logging.LogRecord("connectors.telegram", logging.ERROR, __file__, 1,
                               "reply to %s not delivered", (PHONE,), None)
    try:
        raise ValueError(f"bad contact {PHONE}")
    except ValueError:
        record.exc_info = sys.exc_info()
    record.wechat_undelivered = {"openid": OPENID, "text": f"联系 {PHONE}"}
    assert PersonalDataFilter().filter(record) is True
    shown = logging.Formatter().format(record) + json.dumps(record.wechat_undelivered)
    assert PHONE not in shown and OPENID not in shown and "139********" in shown


RASA_SERVER = """
from rasa.utils.common import configure_logging_and_warnings
from rasa.utils.io import configure_colored_logging
from rasa.utils.log_utils import configure_structlog
configure_logging_and_warnings(logging.DEBUG)  # what rasa/__main__.py does, in order
configure_colored_logging(logging.DEBUG)
configure_structlog(logging.DEBUG)
import connectors.telegram  # Rasa loads our input channels from credentials.yml
from sanic import Sanic
Sanic("rasa_server")  # rasa.server.create_app: Sanic adds its own logging configuration
import structlog
structlog.get_logger().debug("processor.slots.log", slot_values="\\n\\tguest_names: ['欧阳娜娜']")
"""
ACTION_SERVER = """
from rasa_sdk import utils
utils.configure_colored_logging(logging.DEBUG)  # what rasa_sdk/__main__.py does
utils.configure_file_logging(logging.getLogger("rasa_sdk"), None, logging.DEBUG, None)
from rasa_sdk.executor import ActionExecutor
ActionExecutor().register_package("actions")
"""
LOG_LINES = f"""
logging.getLogger("rasa.core.processor").debug(
    "Received user message '%s' from sender id '%s'", "我的手机{PHONE}", "{OPENID}")
logging.getLogger("rasa.core.processor").debug("SlotSet(key: verify_last4, value: 5678)")
logging.getLogger("sanic.error").error("Exception occurred handling contact_phone={PHONE}")
try:
    raise ValueError("bad contact {PHONE}")
except ValueError:
    logging.getLogger("rasa_sdk.executor").exception("action failed")
"""


@pytest.mark.parametrize("setup", [RASA_SERVER, ACTION_SERVER], ids=["rasa", "actions"])
def test_a_server_configured_as_it_starts_logs_no_personal_data(setup):
    script = "import logging\n" + setup + LOG_LINES
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=300, check=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "DEBUG"})
    output = result.stdout + result.stderr
    for shown in ("我的手机139********", "oAbC…", "value: ***)", "contact_phone=***",  # logged,
                  "bad contact 139********"):                                       # masked
        assert shown in output
    for personal in (PHONE, OPENID, "verify_last4: 5678", "欧阳娜娜", json.dumps("欧阳娜娜")[1:-1]):
        assert personal not in output


class RefusingSender:
    """A channel whose platform refuses with an error that quotes the recipient."""

    channel = "wechat"

    async def send(self, recipient_id: str, text: str, buttons: Any = ()) -> None:
        error = RuntimeError(f"invalid openid {recipient_id}")
        error.retryable = False  # type: ignore[attr-defined]
        raise error


async def test_an_outbound_row_keeps_a_deliverable_text_and_a_masked_error(tmp_path, caplog):
    """The row's text is what a retry sends, so it stays whole; the error is masked."""
    url = f"sqlite:///{tmp_path / 'outbound.db'}"
    outbound = Outbound({"wechat": RefusingSender()}, url=url, retry_delays=())
    try:
        with caplog.at_level(logging.WARNING, logger="bot.outbound"):
            result = await outbound.send("wechat", OPENID, f"您的联系电话 {PHONE} 已登记")
        with outbound.records.store.transaction() as session:
            row = session.execute(select(OutboundMessage)).scalar_one()
            stored = (row.recipient_id, row.text, row.last_error)
    finally:
        outbound.close()
    assert result.status == "failed"
    assert stored == (OPENID, f"您的联系电话 {PHONE} 已登记", f"invalid openid {mask_identifier(OPENID)}")
    assert OPENID not in caplog.text and mask_identifier(OPENID) in caplog.text
