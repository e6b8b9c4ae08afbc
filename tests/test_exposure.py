"""How the running servers are exposed (issue 8, items 1 and 3), probed as an attacker would.

Against the real Rasa server and action server that `bot.cli start_services` starts:
forged action calls are refused and change nothing in the booking store, while Rasa's
own calls still work; REST needs a sender (and, when configured, a token); the API token
never shows in `ps`; nothing answers cross-origin requests from any site.
"""
from __future__ import annotations

import gzip
import json
import os
import secrets
import sqlite3
import uuid
import zlib
from dataclasses import asdict
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

import pytest
import requests

from bot import exposure
from bot.booking.store import BookingStore
from tests.conftest import free_port, rasa_api, wait_until_ready

pytestmark = pytest.mark.model

ZHANG_TELEGRAM_ID = "100001"  # bot/booking/seed.py: 张伟's Telegram identity
ZHANG_BOOKING = "TD5NX7RB3C"  # paid, departs in 3 days, cancellable with a refund
SECRET_HEADER = "X-TripDesk-Action-Secret"  # noqa: S105 (what endpoints.yml sends)


# --- forged action calls -------------------------------------------------------------

def forged_call(domain: Dict[str, Any], action: str, slots: Dict[str, Any]) -> Dict[str, Any]:
    """An action call as Rasa would send it for 张伟 writing on Telegram."""
    user = {"event": "user", "text": "取消订单", "input_channel": "telegram",
            "parse_data": {"intent": {"name": "cancel_booking", "confidence": 1.0}, "entities": []}}
    return {
        "next_action": action, "sender_id": ZHANG_TELEGRAM_ID, "version": "3.6.21", "domain": domain,
        "tracker": {"sender_id": ZHANG_TELEGRAM_ID, "slots": slots, "latest_message": user,
                    "events": [user], "paused": False, "followup_action": None,
                    "active_loop": {}, "latest_action_name": "action_listen"},
    }


def forged_cancel(store: BookingStore, domain: Dict[str, Any]) -> Dict[str, Any]:
    """Cancel 张伟's booking under the refund quote the store gives right now."""
    booking = store.find(ZHANG_BOOKING, store.customer_for("telegram", ZHANG_TELEGRAM_ID))
    quote = {**asdict(store.quote_cancellation(booking)), "id": uuid.uuid4().hex}
    return forged_call(domain, "action_cancel_booking",
                       {"order_ref": ZHANG_BOOKING, "cancel_confirm": True, "cancel_quote": quote})


def booking_facts(store: BookingStore) -> Tuple[str, List[Any], List[Any]]:
    """Status, refunds and payments of 张伟's booking: what a forged call must not change."""
    booking = store.find(ZHANG_BOOKING, store.customer_for("telegram", ZHANG_TELEGRAM_ID))
    return booking.status, store.refunds_for(booking), store.payments_for(booking)


def post_action(server: Dict[str, Any], body: bytes, headers: Dict[str, str]) -> requests.Response:
    return requests.post(f"http://127.0.0.1:{server['action_port']}/webhook", data=body,
                         headers={"Content-Type": "application/json", **headers}, timeout=30)


def secret() -> str:
    return os.environ[exposure.ACTIONS_SECRET_ENV]


@pytest.mark.parametrize("headers, status", [
    ({}, 401),
    ({SECRET_HEADER: "guessed"}, 403),
    ({"Authorization": "Bearer guessed"}, 401),
], ids=["no secret", "wrong secret", "secret elsewhere"])
def test_forged_cancel_without_the_secret_is_refused_and_changes_nothing(
        bot_server: Dict[str, Any], domain_dict: Dict[str, Any], headers: Dict[str, str],
        status: int) -> None:
    store = bot_server["store"]
    before = booking_facts(store)
    reply = post_action(bot_server, json.dumps(forged_cancel(store, domain_dict)).encode(), headers)
    assert reply.status_code == status
    assert booking_facts(store) == before
    assert before[0] == "confirmed"


@pytest.mark.parametrize("encoding, compress", [
    ("gzip", gzip.compress), ("deflate", zlib.compress), ("br", lambda body: body),
])
def test_compressed_action_call_is_refused_before_it_is_inflated(
        bot_server: Dict[str, Any], domain_dict: Dict[str, Any], encoding: str, compress: Any) -> None:
    store = bot_server["store"]
    before = booking_facts(store)
    body = compress(json.dumps(forged_cancel(store, domain_dict)).encode())
    reply = post_action(bot_server, body, {SECRET_HEADER: secret(), "Content-Encoding": encoding})
    assert reply.status_code == 415
    assert booking_facts(store) == before


def test_oversized_action_call_is_refused(bot_server: Dict[str, Any], domain_dict: Dict[str, Any]) -> None:
    store = bot_server["store"]
    before = booking_facts(store)
    call = forged_cancel(store, domain_dict)
    call["tracker"]["events"] *= 12_000  # ≈ 2.5 MB of JSON
    body = json.dumps(call).encode()
    assert len(body) > 2 * 1024 * 1024
    reply = post_action(bot_server, body, {SECRET_HEADER: secret()})
    assert reply.status_code == 413
    assert booking_facts(store) == before


def test_the_guard_is_what_stops_a_forged_call(bot_server: Dict[str, Any], domain_dict: Dict[str, Any]) -> None:
    """The same forged identity with the secret is served (read-only: list the bookings),
    so the refusals above come from the secret, not from a malformed body."""
    call = forged_call(domain_dict, "action_check_booking", {})
    reply = post_action(bot_server, json.dumps(call).encode(), {SECRET_HEADER: secret()})
    assert reply.status_code == 200
    listed = [r for r in reply.json()["responses"] if r.get("response") == "utter_booking_list"]
    assert ZHANG_BOOKING in listed[0]["lines"]


def test_action_list_needs_the_secret_and_health_does_not(bot_server: Dict[str, Any]) -> None:
    base = f"http://127.0.0.1:{bot_server['action_port']}"
    assert requests.get(f"{base}/actions", timeout=10).status_code == 401
    assert requests.get(f"{base}/health", timeout=10).json() == {"status": "ok"}


def say(server: Dict[str, Any], sender: str, text: str, **kwargs: Any) -> requests.Response:
    return requests.post(f"http://127.0.0.1:{server['port']}/webhooks/rest/webhook",
                         json={"sender": sender, "message": text}, timeout=60, **kwargs)


def test_rasa_own_action_calls_carry_the_secret(bot_server: Dict[str, Any]) -> None:
    """A REST turn that needs a custom action (张伟 lists his bookings) is answered."""
    reply = say(bot_server, "demo-zhang", "查看我的订单")
    assert reply.status_code == 200
    assert ZHANG_BOOKING in "\n".join(m.get("text", "") for m in reply.json())


# --- what listens where --------------------------------------------------------------

def listening_addresses(port: int) -> Set[str]:
    """Local addresses with a listening TCP socket on ``port`` (from /proc/net/tcp{,6})."""
    found: Set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:
                found.add(_address(address))
    return found


def _address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    words = [raw[i:i + 4][::-1] for i in range(0, len(raw), 4)]  # little-endian 32-bit words
    packed = b"".join(words)
    if len(packed) == 4:
        return ".".join(str(b) for b in packed)
    import ipaddress
    return str(ipaddress.IPv6Address(packed))


def test_both_servers_listen_on_loopback_only_by_default(bot_server: Dict[str, Any]) -> None:
    assert listening_addresses(bot_server["action_port"]) == {"127.0.0.1"}
    assert listening_addresses(bot_server["port"]) == {"127.0.0.1"}


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_no_secret_is_visible_in_the_process_list(bot_server: Dict[str, Any]) -> None:
    for process in bot_server["processes"]:
        argv = command_line(process.pid)
        assert os.environ[exposure.API_TOKEN_ENV] not in argv
        assert secret() not in argv
        assert "--auth-token" not in argv


# --- Rasa's HTTP API and cross-origin requests ------------------------------------------

@pytest.mark.parametrize("params", [{}, {"token": "guessed"}], ids=["no token", "wrong token"])
def test_api_without_the_token_is_refused(bot_server: Dict[str, Any], params: Dict[str, str]) -> None:
    url = f"http://127.0.0.1:{bot_server['port']}/conversations/rest:demo-zhang/tracker"
    assert requests.get(url, params=params, timeout=10).status_code == 401


def test_no_response_invites_any_site(bot_server: Dict[str, Any]) -> None:
    base = f"http://127.0.0.1:{bot_server['port']}"
    evil = {"Origin": "https://evil.example"}
    answers = [
        say(bot_server, f"cors-{uuid.uuid4().hex[:6]}", "你好", headers=evil),
        requests.get(f"{base}/status", params={"token": os.environ[exposure.API_TOKEN_ENV]},
                     headers=evil, timeout=10),
        requests.get(f"{base}/", timeout=10),
        requests.options(f"{base}/webhooks/rest/webhook", timeout=10, headers={
            **evil, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"}),
    ]
    for answer in answers:
        assert answer.headers.get("Access-Control-Allow-Origin") in (None, ""), answer.url


# --- REST -------------------------------------------------------------------------------

def stored_events(tracker_db: Path, sender_id: str) -> int:
    """Events Rasa stored for a conversation, read from its SQLite tracker store."""
    with sqlite3.connect(tracker_db) as db:
        return db.execute("select count(*) from events where sender_id = ?", (sender_id,)).fetchone()[0]


def conversation_events(server: Dict[str, Any], sender_id: str) -> List[Dict[str, Any]]:
    return rasa_api(server["port"], f"/conversations/{sender_id}/tracker")["events"]


@pytest.mark.parametrize("body", [
    {"message": "我要取消订单"},
    {"sender": "", "message": "我要取消订单"},
    {"sender": 42, "message": "我要取消订单"},
    {"sender": "x", "message": ""},
    {"sender": "x", "message": "   "},
    {"sender": "x", "message": ["你好"]},
    {"sender": "x"},
], ids=["no sender", "empty sender", "number sender", "empty message", "blank message",
        "list message", "no message"])
def test_rest_request_without_sender_or_text_is_400(bot_server: Dict[str, Any], body: Dict[str, Any]) -> None:
    reply = requests.post(f"http://127.0.0.1:{bot_server['port']}/webhooks/rest/webhook",
                          json=body, timeout=30)
    assert reply.status_code == 400
    assert reply.json()["error"]
    for shared in ("default", "rest:None", "rest:", "rest:42", "rest:x"):
        assert stored_events(bot_server["log_dir"] / "tracker.db", shared) == 0


def test_rest_cannot_claim_another_channel(bot_server: Dict[str, Any]) -> None:
    sender = f"claim-{uuid.uuid4().hex[:6]}"
    reply = requests.post(f"http://127.0.0.1:{bot_server['port']}/webhooks/rest/webhook", timeout=60,
                          json={"sender": sender, "message": "你好", "input_channel": "telegram"})
    assert reply.status_code == 200
    users = [e for e in conversation_events(bot_server, f"rest:{sender}") if e["event"] == "user"]
    assert [e["input_channel"] for e in users] == ["rest"]


# --- production: REST behind a token, API off ----------------------------------------------

@pytest.fixture(scope="module")
def production_server(trained_model: Path, tmp_path_factory: Any) -> Iterator[Dict[str, Any]]:
    """The servers as a production deployment runs them, with a REST token configured.

    Bound to loopback here (TRIPDESK_HOST) so the test exposes nothing."""
    from bot.booking.seed import seed
    from bot.cli import start_services, stop_services

    log_dir = tmp_path_factory.mktemp("production")
    settings = {"TRIPDESK_ENV": "production", "TRIPDESK_HOST": "127.0.0.1",
                exposure.REST_TOKEN_ENV: secrets.token_urlsafe(16),
                "TRIPDESK_TRACKER_DB": str(log_dir / "tracker.db"),
                "DATABASE_URL": f"sqlite:///{log_dir / 'tripdesk.db'}"}
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    store = BookingStore(settings["DATABASE_URL"])
    seed(store)
    port, action_port = free_port(), free_port()
    processes = start_services(port=port, action_port=action_port, log_dir=log_dir)
    try:
        wait_until_ready(port, action_port, processes, log_dir)
        yield {"port": port, "action_port": action_port, "processes": processes,
               "tracker_db": Path(settings["TRIPDESK_TRACKER_DB"]),
               "token": settings[exposure.REST_TOKEN_ENV]}
    finally:
        stop_services(processes)
        store.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.mark.parametrize("authorization", [None, "Bearer guessed", "guessed"],
                         ids=["no token", "wrong token", "not bearer"])
def test_rest_without_the_token_is_refused_and_nothing_is_processed(
        production_server: Dict[str, Any], authorization: Optional[str]) -> None:
    sender = f"anon-{uuid.uuid4().hex[:6]}"
    headers = {"Authorization": authorization} if authorization else {}
    reply = say(production_server, sender, "你好", headers=headers)
    assert reply.status_code == 403
    assert stored_events(production_server["tracker_db"], f"rest:{sender}") == 0


def test_rest_with_the_token_is_answered(production_server: Dict[str, Any]) -> None:
    sender = f"backend-{uuid.uuid4().hex[:6]}"
    reply = say(production_server, sender, "你好",
                headers={"Authorization": f"Bearer {production_server['token']}"})
    assert reply.status_code == 200
    assert "途达" in "\n".join(m.get("text", "") for m in reply.json())
    assert stored_events(production_server["tracker_db"], f"rest:{sender}") > 0


def test_api_is_off_in_production(production_server: Dict[str, Any]) -> None:
    url = f"http://127.0.0.1:{production_server['port']}/status"
    reply = requests.get(url, params={"token": os.environ[exposure.API_TOKEN_ENV]}, timeout=10)
    assert reply.status_code == 404


# --- the settings behind it ------------------------------------------------------------------

@pytest.mark.parametrize("environ, host, api", [
    ({}, "127.0.0.1", True),
    ({"TRIPDESK_ENV": "production"}, "0.0.0.0", False),  # noqa: S104
    ({"TRIPDESK_ENV": "production", "TRIPDESK_ENABLE_API": "1"}, "0.0.0.0", True),  # noqa: S104
    ({"TRIPDESK_ENV": "production", "TRIPDESK_HOST": "10.0.0.5"}, "10.0.0.5", False),
])
def test_rasa_binding_and_api_follow_the_environment(environ: Dict[str, str], host: str, api: bool) -> None:
    assert (exposure.rasa_host(environ), exposure.api_enabled(environ)) == (host, api)
    assert exposure.actions_host(environ) == "127.0.0.1"


def rest_request(authorization: Optional[str]) -> Any:
    from sanic.compat import Header
    from sanic.request import Request

    headers = Header({"Authorization": authorization} if authorization else {})
    return Request(b"/webhooks/rest/webhook", headers, "1.1", "POST", None, None)


@pytest.mark.parametrize("environ, token, refused", [
    ({}, None, {None: False, "Bearer any": False}),
    ({"TRIPDESK_ENV": "production"}, None, {None: True, "Bearer any": True}),
    ({"TRIPDESK_ENV": "production"}, "s3cret", {None: True, "Bearer any": True, "Bearer s3cret": False}),
    ({}, "s3cret", {None: True, "Bearer any": True, "s3cret": True, "Bearer s3cret": False}),
], ids=["development", "production", "production with token", "development with token"])
def test_who_may_use_rest(monkeypatch: pytest.MonkeyPatch, environ: Dict[str, str],
                          token: Optional[str], refused: Dict[Optional[str], bool]) -> None:
    from connectors.rest import SafeRestInput

    monkeypatch.delenv("TRIPDESK_ENV", raising=False)
    for key, value in {**environ, **({exposure.REST_TOKEN_ENV: token} if token else {})}.items():
        monkeypatch.setenv(key, value)
    if not token:
        monkeypatch.delenv(exposure.REST_TOKEN_ENV, raising=False)
    channel = SafeRestInput.from_credentials(None)
    assert {auth: channel.refused(rest_request(auth)) for auth in refused} == refused


@pytest.mark.parametrize("setting, environ", [
    (exposure.cors_origins, {"TRIPDESK_CORS_ORIGINS": "*"}),
    (exposure.cors_origins, {"TRIPDESK_CORS_ORIGINS": "https://a.example,.*"}),
    (exposure.deployment, {"TRIPDESK_ENV": "staging"}),
])
def test_settings_that_would_open_everything_are_refused(setting: Any, environ: Dict[str, str]) -> None:
    with pytest.raises(exposure.ExposureError):
        setting(environ)


def test_widget_origins_allow_cross_origin_but_any_site_never_does() -> None:
    listed = {"TRIPDESK_WEBCHAT_ALLOWED_ORIGINS": "https://www.travel.example/, https://m.travel.example"}
    assert exposure.cors_origins(listed) == ["https://www.travel.example", "https://m.travel.example"]
    assert exposure.cors_origins({"TRIPDESK_WEBCHAT_ALLOWED_ORIGINS": "*"}) == []
