"""The real bot on free ports over a fresh, seeded booking database.

Shared by the end-to-end test fixture (tests/conftest.py ``bot_server``) and
``make eval-dialogues --start``, so both measure the bot the same way.
"""
from __future__ import annotations

import os
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

SERVICE_ENV = ("TRIPDESK_TRACKER_DB", "DATABASE_URL", "TRIPDESK_CORS_ORIGINS")


class NotReady(RuntimeError):
    """The servers exited or did not answer in time; the message carries their log tails."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_ready(port: int, action_port: int, processes: Sequence[subprocess.Popen], log_dir: Path,
                     timeout: float = 480) -> None:
    """Block until Rasa has loaded the model and the action server answers its health check."""
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            logs = "\n".join(f.read_text()[-2000:] for f in log_dir.glob("*.log"))
            raise NotReady(f"a server exited during start-up:\n{logs}")
        try:
            # Rasa listens only once the model is loaded; "/" needs neither the API nor a token.
            rasa_ready = requests.get(f"http://127.0.0.1:{port}/", timeout=2).ok
            actions_ready = requests.get(f"http://127.0.0.1:{action_port}/health", timeout=2).ok
            if rasa_ready and actions_ready:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise NotReady("servers did not become ready in time")


@dataclass
class LiveBot:
    """A started bot. ``processes`` may be replaced (a test restarts the servers); the
    ones held here when the context ends are stopped."""

    port: int
    action_port: int
    log_dir: Path
    store: Any
    processes: List[subprocess.Popen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def seeded_bot(log_dir: Path, cors_origins: Optional[str] = None, demo: bool = True) -> Iterator[LiveBot]:
    """Rasa and the action server on free ports, with their tracker and booking databases
    in ``log_dir`` (the booking database seeded with the catalogue and, if ``demo``, the
    demo customers). The environment is restored and the servers stopped on exit."""
    from bot.booking.seed import seed
    from bot.booking.store import BookingStore
    from bot.cli import start_services, stop_services

    saved: Dict[str, Optional[str]] = {key: os.environ.get(key) for key in SERVICE_ENV}
    os.environ["TRIPDESK_TRACKER_DB"] = str(log_dir / "tracker.db")
    if cors_origins:
        os.environ["TRIPDESK_CORS_ORIGINS"] = cors_origins
    os.environ["DATABASE_URL"] = f"sqlite:///{log_dir / 'tripdesk.db'}"
    store = BookingStore(os.environ["DATABASE_URL"])
    bot: Optional[LiveBot] = None
    try:
        seed(store, demo=demo)
        bot = LiveBot(port=free_port(), action_port=free_port(), log_dir=log_dir, store=store)
        bot.processes = start_services(port=bot.port, action_port=bot.action_port, log_dir=log_dir)
        wait_until_ready(bot.port, bot.action_port, bot.processes, log_dir)
        yield bot
    finally:  # never leave a half-started server behind
        if bot is not None:
            stop_services(bot.processes)
        store.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
