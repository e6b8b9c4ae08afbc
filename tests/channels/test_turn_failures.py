"""Every channel answers a turn that failed or timed out: the real Rasa server without its actions.

One Rasa server (trained model, every channel configured, platform APIs on the
recording server) is started once. First its action server is stopped: Rasa logs the
failed action and ends the turn without a word. Then a server that accepts connections
and never answers takes the action server's port: Rasa would wait 300 s. In both cases
REST, Telegram (real Update JSON), WeChat (signed official XML) and the widget (real
socket.io client) must answer with the domain's service-unavailable response, which
names the hotline, within the turn timeout (TRIPDESK_TURN_TIMEOUT_SECONDS).
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import requests

from bot.contacts import hotline_values
from connectors.base import SERVICE_UNAVAILABLE
from tests.channels import test_telegram as telegram
from tests.channels import test_wechat as wechat
from tests.channels.recording_server import RecordingServer
from tests.channels.test_webchat import Traveller, new_session
from tests.conftest import free_port, rasa_api, wait_until_ready

pytestmark = pytest.mark.model

TURN_TIMEOUT_S = 6.0  # the server's TRIPDESK_TURN_TIMEOUT_SECONDS in these tests
SLACK_S = 4.0  # start-up of a turn, rendering and sending the apology
NEEDS_AN_ACTION = "帮我查一下我的订单"  # answered by the action server only


class HangingServer:
    """Accepts TCP connections on a port and never answers (an action server that hangs)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._socket = socket.socket()
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.settimeout(0.2)
        self._stopped = threading.Event()
        self._held: List[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> "HangingServer":
        self._socket.bind(("127.0.0.1", self.port))
        self._socket.listen(64)
        self._thread.start()
        return self

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._socket.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self._held.append(connection)  # read nothing, answer nothing

    def __exit__(self, *_: object) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)  # accept() returns within its timeout: the port is free again
        self._socket.close()
        for connection in self._held:
            connection.close()


@pytest.fixture(scope="module")
def server(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Any]]:
    """The Rasa server with every channel; its action server is stopped before the tests."""
    from bot.cli import start_services, stop_services

    log_dir = tmp_path_factory.mktemp("turn-failures")
    api = RecordingServer().__enter__()
    api.respond(wechat.TOKEN_PATH, (200, {"access_token": wechat.ACCESS_TOKEN, "expires_in": 7200}))
    api.respond(wechat.SEND_PATH, (200, {"errcode": 0, "errmsg": "ok"}))
    api.respond(telegram.path("sendMessage"), telegram.sent_message())
    env = {**wechat.environment(api, log_dir),
           "TRIPDESK_TELEGRAM_TOKEN": telegram.TOKEN, "TRIPDESK_TELEGRAM_SECRET": telegram.SECRET,
           "TRIPDESK_TELEGRAM_API_BASE": f"{api.url}/bot",
           "TRIPDESK_WEBCHAT_SECRET": "turn-failure-tests-webchat-secret",
           "TRIPDESK_TURN_TIMEOUT_SECONDS": str(TURN_TIMEOUT_S),
           "TRIPDESK_TRACKER_DB": str(log_dir / "tracker.db"),
           "DATABASE_URL": f"sqlite:///{log_dir / 'tripdesk.db'}"}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    wechat._seeded_database(env["DATABASE_URL"])
    port, action_port = free_port(), free_port()
    processes = start_services(port=port, action_port=action_port, log_dir=log_dir)
    try:
        wait_until_ready(port, action_port, processes, log_dir, timeout=600)  # a loaded machine
        actions = processes[0]
        os.killpg(actions.pid, signal.SIGTERM)
        actions.wait(timeout=30)
        yield {"port": port, "action_port": action_port, "api": api, "rasa": processes[1]}
    finally:
        stop_services(processes)
        api.__exit__()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def apology(server: Dict[str, Any]) -> str:
    """The apology as the running server's domain words it, hotline filled in."""
    responses = rasa_api(server["port"], "/domain", headers={"Accept": "application/json"})["responses"]
    name = next(name for name in SERVICE_UNAVAILABLE if name in responses)
    return responses[name][0]["text"].format(**hotline_values())


@pytest.fixture(params=["down", "hanging"])
def action_server(request: Any, server: Dict[str, Any]) -> Iterator[str]:
    """The action server stopped, or replaced by one that never answers."""
    if request.param == "down":
        yield "down"
        return
    with HangingServer(server["action_port"]):
        yield "hanging"


def rest_turn(port: int, text: str) -> List[Dict[str, Any]]:
    answer = requests.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                           json={"sender": f"turn-{uuid.uuid4().hex[:8]}", "message": text},
                           params={"token": os.environ.get("TRIPDESK_REST_TOKEN", "")}, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


def within_bound(began: float) -> None:
    assert time.monotonic() - began < TURN_TIMEOUT_S + SLACK_S


def test_rest_turn_gets_the_apology_in_time(server: Dict[str, Any], apology: str,
                                            action_server: str) -> None:
    began = time.monotonic()
    texts = [message.get("text") for message in rest_turn(server["port"], NEEDS_AN_ACTION)]
    within_bound(began)
    assert apology in texts


def test_telegram_turn_gets_the_apology_in_time(server: Dict[str, Any], apology: str,
                                                action_server: str) -> None:
    api, chat_id = server["api"], 700_000 + int(uuid.uuid4().int % 100_000)
    began = time.monotonic()
    accepted = requests.post(f"http://127.0.0.1:{server['port']}/webhooks/telegram/webhook",
                             json=telegram.text_update(chat_id, NEEDS_AN_ACTION),
                             headers={telegram.SECRET_HEADER: telegram.SECRET}, timeout=10)
    assert accepted.status_code == 200
    api.wait_for(lambda _: bool(telegram.sent_to(api, chat_id)), timeout=TURN_TIMEOUT_S + SLACK_S)
    within_bound(began)
    assert apology in [sent["text"] for sent in telegram.sent_to(api, chat_id)]


def test_wechat_turn_gets_the_apology_passively_or_through_the_api(
        server: Dict[str, Any], apology: str, action_server: str) -> None:
    api, openid = server["api"], wechat.new_openid()
    began = time.monotonic()
    answer = wechat.post_real(server["port"], wechat.sample("text", openid, content=NEEDS_AN_ACTION))
    assert answer.status_code == 200 and time.monotonic() - began < 5  # WeChat's window
    if answer.text != "success":  # ready within the passive window (action server down)
        assert wechat.passive_text(answer.text, openid) == apology
        assert action_server == "down"
        return
    api.wait_for(lambda _: bool(wechat.sent_to(api, openid)), timeout=TURN_TIMEOUT_S + SLACK_S)
    within_bound(began)
    assert [sent["text"]["content"] for sent in wechat.sent_to(api, openid)] == [apology]


def test_widget_turn_gets_the_apology_in_time(server: Dict[str, Any], apology: str,
                                              action_server: str) -> None:
    base = f"http://127.0.0.1:{server['port']}"

    async def talk() -> List[str]:
        traveller = Traveller(base, new_session(base)["session_token"])
        try:
            await traveller.connect()
            return [bubble.get("text", "") for bubble in
                    (await traveller.send({"message": NEEDS_AN_ACTION}))["bubbles"]]
        finally:
            await traveller.close()

    began = time.monotonic()
    bubbles = asyncio.run(talk())
    within_bound(began)
    assert apology in bubbles


def test_a_turn_without_actions_is_still_answered_normally(server: Dict[str, Any], apology: str) -> None:
    texts = [message.get("text") for message in rest_turn(server["port"], "你好")]
    assert texts and apology not in texts


def test_messages_in_flight_at_shutdown_are_answered_before_the_server_exits(
        server: Dict[str, Any], apology: str) -> None:
    """Telegram and WeChat were told 200 already: SIGTERM must not lose their answers.

    Runs last: it stops the module's server.
    """
    api, chat_id, openid = server["api"], 800_000 + int(uuid.uuid4().int % 100_000), wechat.new_openid()
    with HangingServer(server["action_port"]):  # each turn stays in flight until the turn timeout
        accepted = requests.post(f"http://127.0.0.1:{server['port']}/webhooks/telegram/webhook",
                                 json=telegram.text_update(chat_id, NEEDS_AN_ACTION),
                                 headers={telegram.SECRET_HEADER: telegram.SECRET}, timeout=10)
        assert accepted.status_code == 200
        acknowledged = wechat.post_real(server["port"], wechat.sample("text", openid, content=NEEDS_AN_ACTION))
        assert acknowledged.text == "success"  # the passive window passed; the turn goes on
        assert not telegram.sent_to(api, chat_id) and not wechat.sent_to(api, openid)
        rasa = server["rasa"]
        os.killpg(rasa.pid, signal.SIGTERM)
        rasa.wait(timeout=TURN_TIMEOUT_S + 30)
    assert apology in [sent["text"] for sent in telegram.sent_to(api, chat_id)]
    assert [sent["text"]["content"] for sent in wechat.sent_to(api, openid)] == [apology]
