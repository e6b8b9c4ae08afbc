"""Shared fixtures: the real knowledge base, the real domain, a fixed 'now'."""
from __future__ import annotations

import os
import socket
import time
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


@pytest.fixture(scope="session")
def trained_model() -> Path:
    if not MODEL.exists():
        pytest.fail("no trained model at models/tripdesk.tar.gz: run `make test` (it trains first)")
    return MODEL


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_ready(port: int, action_port: int, processes, log_dir: Path, timeout: float = 480) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            logs = "\n".join(f.read_text()[-2000:] for f in log_dir.glob("*.log"))
            pytest.fail(f"a server exited during start-up:\n{logs}")
        try:
            # Rasa listens only once the model is loaded; "/" needs neither the API nor a token.
            rasa_ready = requests.get(f"http://127.0.0.1:{port}/", timeout=2).ok
            actions_ready = requests.get(f"http://127.0.0.1:{action_port}/health", timeout=2).ok
            if rasa_ready and actions_ready:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    pytest.fail("servers did not become ready in time")


@pytest.fixture(scope="session")
def bot_server(trained_model, tmp_path_factory) -> Iterator[Dict[str, Any]]:
    """The real Rasa server and action server over a fresh, seeded booking database."""
    from bot.booking.seed import seed
    from bot.booking.store import BookingStore
    from bot.cli import start_services, stop_services

    log_dir = tmp_path_factory.mktemp("logs")
    saved = {k: os.environ.get(k) for k in ("TRIPDESK_TRACKER_DB", "DATABASE_URL", "TRIPDESK_CORS_ORIGINS")}
    os.environ["TRIPDESK_TRACKER_DB"] = str(log_dir / "tracker.db")
    # The widget's embedding test serves its travel site from localhost on a free port.
    os.environ["TRIPDESK_CORS_ORIGINS"] = LOCAL_TEST_SITES
    os.environ["DATABASE_URL"] = f"sqlite:///{log_dir / 'tripdesk.db'}"
    store = BookingStore(os.environ["DATABASE_URL"])
    seed(store, demo=True)
    port, action_port = free_port(), free_port()
    processes = start_services(port=port, action_port=action_port, log_dir=log_dir)
    try:
        wait_until_ready(port, action_port, processes, log_dir)
    except BaseException:  # never leave a half-started server behind
        stop_services(processes)
        raise
    state = {"port": port, "action_port": action_port, "processes": processes, "log_dir": log_dir,
             "store": store}
    yield state
    stop_services(state["processes"])
    store.close()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def rasa_api(port: int, path: str, method: str = "get", **kwargs: Any) -> Any:
    """Rasa's HTTP API with the token start_services gave the server (bot.cli.api_token)."""
    import requests

    params = dict(kwargs.pop("params", {}), token=os.environ["TRIPDESK_API_TOKEN"])
    response = requests.request(method, f"http://127.0.0.1:{port}{path}", params=params,
                                timeout=kwargs.pop("timeout", 60), **kwargs)
    response.raise_for_status()
    return response.json()
