"""Issue 8, item 2: one request must not take the service down.

The real Rasa server (``bot_server``): a 300 000-character REST message is refused at
once with the polite answer while another traveller's turn is answered, and a body
larger than the server's limit gets 413. The REST channel in a Sanic server with a
scripted bot in the agent's place (the real domain, NLG and tracker store) for the
rates, which need their own small limits. The token bucket itself with a fake clock.
"""
from __future__ import annotations

import http.client
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, AsyncIterator, Callable, Dict, List

import httpx
import pytest
import requests
from rasa.core.channels.channel import UserMessage, register
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from sanic import Sanic

from bot.nlg import ScriptAwareNLG
from connectors.base import (
    MAX_TEXT_CHARS,
    REFUSAL_RESPONSES,
    InputPolicy,
    Rate,
    RateLimiter,
    max_text_chars,
)
from connectors.rest import SafeRestInput
from tests.conftest import ROOT, rasa_api

HUGE = ("帮我查一下明天上海的酒店，" * 25_000)[:300_000]


def domain_text(domain: Dict[str, Any], reason: str, **values: Any) -> str:
    """The first response of the refusal's chain the domain has, filled in."""
    name = next(n for n in REFUSAL_RESPONSES[reason] if n in domain["responses"])
    return domain["responses"][name][0]["text"].format(**values)


def post_rest(port: int, sender: str, text: str, timeout: float = 60) -> requests.Response:
    body = json.dumps({"sender": sender, "message": text}, ensure_ascii=False).encode("utf-8")
    return requests.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook", data=body,
                         headers={"Content-Type": "application/json"}, timeout=timeout)


# --- the real server ----------------------------------------------------------------------------

@pytest.mark.model
@pytest.mark.timeout(300)
def test_a_300000_character_message_is_refused_at_once_while_another_traveller_is_answered(
        bot_server: Dict[str, Any], domain_dict: Dict[str, Any]) -> None:
    port = bot_server["port"]
    flooder, traveller = f"huge-{uuid.uuid4().hex[:8]}", f"normal-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=2) as pool:
        huge = pool.submit(post_rest, port, flooder, HUGE)
        normal = pool.submit(post_rest, port, traveller, "你好")
        refused, answered = huge.result(), normal.result()

    assert refused.status_code == 413
    [reply] = refused.json()
    limit = MAX_TEXT_CHARS["rest"]
    assert reply["text"] == domain_text(domain_dict, "too_long", max_chars=limit)
    assert str(limit) in reply["text"]
    assert rasa_api(port, f"/conversations/rest:{flooder}/tracker")["latest_message"].get("text") is None

    assert answered.status_code == 200
    assert "途达" in "\n".join(m.get("text", "") for m in answered.json())


@pytest.mark.model
def test_a_body_over_the_servers_limit_gets_413_and_the_server_keeps_serving(
        bot_server: Dict[str, Any]) -> None:
    """A client announcing a 2 MiB body is refused before it sends it (Sanic's default: 100 MB)."""
    port = bot_server["port"]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.putrequest("POST", "/webhooks/rest/webhook")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(2 << 20))
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()
    assert post_rest(port, f"after-{uuid.uuid4().hex[:8]}", "你好").status_code == 200


# --- the REST channel with its own limits -------------------------------------------------------

class ScriptedBot:
    """In the agent's place: the real domain, NLG and tracker store; answers every message."""

    def __init__(self, domain: Domain) -> None:
        self.domain = domain
        self.nlg = ScriptAwareNLG(domain=domain)
        self.tracker_store = InMemoryTrackerStore(domain)
        self.received: List[UserMessage] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        await message.output_channel.send_response(message.sender_id, {"text": f"收到：{message.text}"})


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


Serve = Callable[..., Any]


@pytest.fixture
async def rest_channel(domain: Domain, monkeypatch: pytest.MonkeyPatch,
                       unused_tcp_port_factory: Callable[[], int]) -> AsyncIterator[Serve]:
    """Start the REST channel; keyword arguments become environment variables (read at start)."""
    servers: List[Any] = []

    async def serve(**env: str) -> Any:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        Sanic.test_mode = True  # lets Sanic 21.12 start more than one app in a process
        app = Sanic(f"rest_policy_{uuid.uuid4().hex[:8]}")
        bot = ScriptedBot(domain)
        app.ctx.agent = bot
        register([SafeRestInput()], app, "/webhooks/")
        port = unused_tcp_port_factory()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True,
                                         access_log=False)
        await server.startup()
        await server.start_serving()
        servers.append(server)
        return f"http://127.0.0.1:{port}/webhooks/rest/webhook", bot

    yield serve
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_a_sender_over_the_rate_gets_429_and_the_polite_reply_once_others_go_on(
        rest_channel: Serve, domain_dict: Dict[str, Any]) -> None:
    url, bot = await rest_channel(TRIPDESK_RATE_PER_SENDER="3/60")
    async with httpx.AsyncClient(timeout=30) as client:
        statuses = [(await client.post(url, json={"sender": "a", "message": f"第{i}句"})).status_code
                    for i in range(3)]
        refused = await client.post(url, json={"sender": "a", "message": "第4句"})
        again = await client.post(url, json={"sender": "a", "message": "第5句"})
        other = await client.post(url, json={"sender": "b", "message": "你好"})
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 20
    assert [m["text"] for m in refused.json()] == [domain_text(domain_dict, "too_many")]
    assert again.status_code == 429 and again.json() == []  # told once per flood
    assert other.status_code == 200
    assert [m.text for m in bot.received] == ["第0句", "第1句", "第2句", "你好"]


async def test_an_address_over_its_rate_gets_429_whatever_sender_it_claims(
        rest_channel: Serve, domain_dict: Dict[str, Any]) -> None:
    url, bot = await rest_channel(TRIPDESK_RATE_PER_ADDRESS="4/60")
    async with httpx.AsyncClient(timeout=30) as client:
        statuses = [(await client.post(url, json={"sender": f"s{i}", "message": "你好"})).status_code
                    for i in range(6)]
    assert statuses == [200, 200, 200, 200, 429, 429]
    assert len(bot.received) == 4


async def test_too_long_text_is_refused_with_the_limit_named_and_never_reaches_the_bot(
        rest_channel: Serve, domain_dict: Dict[str, Any]) -> None:
    url, bot = await rest_channel(TRIPDESK_REST_MAX_CHARS="50")
    async with httpx.AsyncClient(timeout=30) as client:
        refused = await client.post(url, json={"sender": "a", "message": "好" * 51})
        fits = await client.post(url, json={"sender": "a", "message": "好" * 50})
    assert refused.status_code == 413
    assert [m["text"] for m in refused.json()] == [domain_text(domain_dict, "too_long", max_chars=50)]
    assert fits.status_code == 200
    assert [m.text for m in bot.received] == ["好" * 50]


# --- the pieces -------------------------------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_bucket_allows_bursts_then_one_message_per_refill() -> None:
    clock = Clock()
    limiter = RateLimiter(Rate(3, 30), clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("a") == pytest.approx(10)  # one message per 10 s
    assert limiter.take("b") == 0  # other keys have their own bucket
    clock.now += 10
    assert limiter.take("a") == 0 and limiter.take("a") > 0


def test_the_limiter_remembers_a_bounded_number_of_keys() -> None:
    limiter = RateLimiter(Rate(1, 60), max_keys=100, clock=Clock())
    for index in range(10_000):
        limiter.take(f"sender-{index}")
    assert len(limiter._buckets) == 100


def test_rates_and_limits_are_read_from_the_environment_with_safe_fallbacks() -> None:
    assert Rate.from_environment("sender", {"TRIPDESK_RATE_PER_SENDER": "5/10"}) == Rate(5, 10)
    assert Rate.from_environment("sender", {"TRIPDESK_RATE_PER_SENDER": "lots"}) == Rate.parse("30/60")
    assert max_text_chars("webchat", {"TRIPDESK_WEBCHAT_MAX_CHARS": "500"}) == 500
    assert max_text_chars("telegram", {}) == 4096


def test_a_message_exactly_at_the_limit_passes_and_one_more_character_does_not() -> None:
    policy = InputPolicy("rest", 10, Rate(100, 1), Rate(100, 1))
    assert policy.check("a", "好" * 10) is None
    refusal = policy.check("a", "好" * 11)
    assert refusal is not None and (refusal.reason, refusal.status) == ("too_long", 413)


def test_the_limits_agree_with_the_platform_and_the_widget() -> None:
    """Telegram's own limit, and the widget's input box, are the policy's numbers."""
    import re

    from telegram.constants import MessageLimit

    assert MAX_TEXT_CHARS["telegram"] == MessageLimit.MAX_TEXT_LENGTH
    widget = (ROOT / "connectors" / "webchat" / "static" / "widget.js").read_text(encoding="utf-8")
    assert int(re.search(r"var MAX_CHARS = (\d+);", widget).group(1)) == MAX_TEXT_CHARS["webchat"]
