"""Shared fixtures: the real knowledge base, the real domain, a fixed 'now'."""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["RASA_TELEMETRY_ENABLED"] = "false"
warnings.filterwarnings("ignore", category=DeprecationWarning)

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "tripdesk.tar.gz"
LOCAL_TEST_SITES = r"http://localhost:\d+$"  # a sanic-cors pattern: any port on localhost


@pytest.fixture(scope="session")
def domain_dict() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session", autouse=True)
def catalogue_facade(tmp_path_factory) -> Iterator[Any]:
    """The catalogue the seed loads, in one SQLite file that the dialogue code reads
    through the facade (tests/helpers.seeded_store points it at its own store)."""
    from bot.catalogue import queries
    from tests.helpers import fresh_store_url

    facade = queries.Catalogue(fresh_store_url(tmp_path_factory.mktemp("catalogue")))
    queries.use(facade)
    yield facade
    queries.use(None)
    facade.close()


@pytest.fixture
def store(tmp_path, monkeypatch) -> Iterator[Any]:
    """The demo catalogue and customers in a fresh SQLite store that the actions use
    (tests/helpers.seeded_store); a test module may define its own ``store``."""
    from tests.helpers import seeded_store

    built = seeded_store(tmp_path, monkeypatch)
    yield built
    built.close()


@pytest.fixture(scope="session")
def trained_model() -> Path:
    if not MODEL.exists():
        pytest.fail("no trained model at models/tripdesk.tar.gz: run `make test` (it trains first)")
    return MODEL


def free_port() -> int:
    from bot.live import free_port as any_free_port

    return any_free_port()


def wait_until_ready(port: int, action_port: int, processes, log_dir: Path, timeout: float = 480) -> None:
    from bot.live import NotReady, wait_until_ready as wait_for_servers

    try:
        wait_for_servers(port, action_port, processes, log_dir, timeout)
    except NotReady as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def bot_server(trained_model, tmp_path_factory) -> Iterator[Dict[str, Any]]:
    """The real Rasa server and action server over a fresh, seeded booking database."""
    from bot.live import NotReady, seeded_bot

    log_dir = tmp_path_factory.mktemp("logs")
    # The widget's embedding test serves its travel site from localhost on a free port.
    try:
        started = seeded_bot(log_dir, cors_origins=LOCAL_TEST_SITES)
        bot = started.__enter__()
    except NotReady as error:
        pytest.fail(str(error))
    state = {"port": bot.port, "action_port": bot.action_port, "processes": bot.processes,
             "log_dir": log_dir, "store": bot.store}
    try:
        yield state
    finally:
        bot.processes = state["processes"]  # a test may have restarted them
        started.__exit__(None, None, None)


def rasa_api(port: int, path: str, method: str = "get", **kwargs: Any) -> Any:
    """Rasa's HTTP API with the token start_services gave the server (bot.cli.api_token)."""
    import requests

    params = dict(kwargs.pop("params", {}), token=os.environ["TRIPDESK_API_TOKEN"])
    response = requests.request(method, f"http://127.0.0.1:{port}{path}", params=params,
                                timeout=kwargs.pop("timeout", 60), **kwargs)
    response.raise_for_status()
    return response.json()
