"""TripDesk command line: `python -m bot.cli {lookups,train,run,chat,eval}`.

The Makefile calls these; they are the same commands CI runs.
"""
from __future__ import annotations

import argparse
import hashlib
import secrets
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import IO, Any, Dict, Iterable, List, Optional

from bot import exposure
from bot.settings import PROJECT_ROOT

logger = logging.getLogger("tripdesk")

MODEL_DIR = PROJECT_ROOT / "models"
MODEL_NAME = "tripdesk"
MODEL_PATH = MODEL_DIR / f"{MODEL_NAME}.tar.gz"
FINGERPRINT_PATH = MODEL_DIR / f"{MODEL_NAME}.fingerprint"
TRAINING_INPUTS = ("config.yml", "domain.yml", "data", "knowledge_base", "bot/nlu", "bot/text.py")
LOOKUP_FILE = PROJECT_ROOT / "data" / "nlu" / "lookups" / "city.yml"
VENV_BIN = Path(sys.executable).parent


def _rasa() -> str:
    return str(VENV_BIN / "rasa")


def secret_from_env_or_file(name: str, filename: str) -> str:
    """A secret from the environment variable ``name``, else generated once into
    ``var/<filename>`` (mode 0600) for the embedded default. Either way it is put in this
    process's environment, so the servers start_services launches inherit it (never argv)."""
    value = os.environ.get(name, "").strip()
    if not value:
        path = PROJECT_ROOT / "var" / filename
        path.parent.mkdir(exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            path.chmod(0o600)  # one written by an older version may be readable by others
        else:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(secrets.token_urlsafe(24))
        value = path.read_text(encoding="utf-8").strip()
        os.environ[name] = value
    return value


def api_token() -> str:
    """The token Rasa's HTTP API demands (``?token=``); without one, anybody who can reach
    the port could read or drive any conversation and get round every channel's
    identity checks. From TRIPDESK_API_TOKEN, else generated once into var/api.token."""
    return secret_from_env_or_file(exposure.API_TOKEN_ENV, "api.token")


def actions_secret() -> str:
    """The secret Rasa sends on every action call (endpoints.yml) and the action server
    demands: without it anybody who reaches the port could run actions as any traveller.
    From TRIPDESK_ACTIONS_SECRET, else generated once into var/actions.secret."""
    return secret_from_env_or_file(exposure.ACTIONS_SECRET_ENV, "actions.secret")


def service_environment() -> Dict[str, str]:
    """Environment for the Rasa and action servers, with the embedded defaults."""
    (PROJECT_ROOT / "var").mkdir(exist_ok=True)
    api_token()
    actions_secret()
    env = dict(os.environ)
    env.setdefault("TRIPDESK_ACTION_SERVER_URL", "http://localhost:5055/webhook")
    env.setdefault("TRIPDESK_TRACKER_DB", str(PROJECT_ROOT / "var" / "tracker.db"))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("SANIC_REQUEST_MAX_SIZE", str(1 << 20))  # 1 MiB, not Sanic's 100 MB
    # Rasa's telemetry and error reports would try to reach the internet.
    env["RASA_TELEMETRY_ENABLED"] = "false"
    # The action server refuses compressed bodies (bot/action_server.py): Rasa sends plain JSON.
    env["COMPRESS_ACTION_SERVER_REQUEST"] = "false"
    env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


# --- lookups ---------------------------------------------------------------------

def render_lookups() -> str:
    """The city lookup table and synonyms, generated from knowledge_base/destinations.yml."""
    from bot import knowledge

    names: List[str] = []
    synonyms: List[str] = []
    for destination in knowledge.destinations():
        names.append(destination.name)
        aliases = [a for a in destination.aliases if a != destination.name]
        names.extend(a for a in aliases if not a.isascii() and len(a) >= 2)
        if aliases:
            synonyms.append(f"- synonym: {destination.name}\n  examples: |\n"
                            + "".join(f"    - {alias}\n" for alias in aliases))
    unique = list(dict.fromkeys(names))
    header = ("# Generated from knowledge_base/destinations.yml by `make lookups`; "
              "do not edit by hand.\nversion: \"3.1\"\nnlu:\n")
    lookup = "- lookup: city\n  examples: |\n" + "".join(f"    - {name}\n" for name in unique)
    return header + lookup + "".join(synonyms)


def write_lookups() -> bool:
    content = render_lookups()
    LOOKUP_FILE.parent.mkdir(parents=True, exist_ok=True)
    if LOOKUP_FILE.exists() and LOOKUP_FILE.read_text(encoding="utf-8") == content:
        return False
    LOOKUP_FILE.write_text(content, encoding="utf-8")
    return True


# --- training --------------------------------------------------------------------

def _files(paths: Iterable[str]) -> List[Path]:
    found: List[Path] = []
    for name in paths:
        path = PROJECT_ROOT / name
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.is_file() and "__pycache__" not in p.parts)
    return found


def training_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in _files(TRAINING_INPUTS):
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def train(force: bool = False) -> int:
    write_lookups()
    fingerprint = training_fingerprint()
    if (
        not force
        and MODEL_PATH.exists()
        and FINGERPRINT_PATH.exists()
        and FINGERPRINT_PATH.read_text().strip() == fingerprint
    ):
        print(f"model up to date: {MODEL_PATH.relative_to(PROJECT_ROOT)} (training data and config unchanged)")
        return 0
    print("training the model (training data or config changed)...")
    started = time.monotonic()
    result = subprocess.run(
        [_rasa(), "train", "--fixed-model-name", MODEL_NAME, "--out", str(MODEL_DIR),
         "--config", "config.yml", "--domain", "domain.yml", "--data", "data"],
        cwd=PROJECT_ROOT, env=service_environment(), check=False,
    )
    if result.returncode != 0:
        print("training failed; see the messages above", file=sys.stderr)
        return result.returncode
    FINGERPRINT_PATH.write_text(fingerprint)
    print(f"trained in {time.monotonic() - started:.0f} s: {MODEL_PATH.relative_to(PROJECT_ROOT)}")
    return 0


# --- running ---------------------------------------------------------------------

def _pump(name: str, stream: IO[str]) -> None:
    for line in iter(stream.readline, ""):
        sys.stdout.write(f"[{name}] {line}")
        sys.stdout.flush()


def start_services(
    port: int = 5005, action_port: int = 5055, log_dir: Optional[Path] = None
) -> List[subprocess.Popen]:
    """Start the action server and the Rasa server; logs to this terminal or to log_dir.

    Both run from our own entry modules, so secrets reach them through the environment
    (never argv, which `ps` shows) and the bindings follow bot/exposure.py."""
    env = service_environment()
    actions_address = exposure.reachable_address(exposure.actions_host(env))
    env["TRIPDESK_ACTION_SERVER_URL"] = f"http://{actions_address}:{action_port}/webhook"
    python = sys.executable
    commands = {
        "actions": [python, "-m", "bot.action_server", "--port", str(action_port)],
        "rasa": [python, "-m", "bot.rasa_server", "--model", str(MODEL_PATH),
                 "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
                 "--port", str(port)],
    }
    processes = []
    for name, command in commands.items():
        if log_dir:  # the child keeps its own copy of the file; ours is closed at once
            with open(log_dir / f"{name}.log", "w") as log_file:
                process = _spawn(command, env, log_file)
        else:
            process = _spawn(command, env, subprocess.PIPE)
            threading.Thread(target=_pump, args=(name, process.stdout), daemon=True).start()
        processes.append(process)
    return processes


def _spawn(command: List[str], env: Dict[str, str], output: Any) -> subprocess.Popen:
    """A server in its own session (so Ctrl-C and stop_services reach its children)."""
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, text=True, stdout=output,
                            stderr=subprocess.STDOUT, start_new_session=True)


def stop_services(processes: List[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def seed_booking_store() -> None:
    """Create or upgrade the booking database and fill what is missing (idempotent):
    the catalogue (inventory is made on demand); the demo customers the README names only in
    the embedded default or with TRIPDESK_SEED_DEMO=1 (bot/booking/seed.py)."""
    from sqlalchemy.engine import make_url

    from bot.booking.db import database_url
    from bot.booking.seed import DEMO_ENV, seed
    from bot.booking.store import BookingStore

    store = BookingStore()
    try:
        demo = seed(store)
    finally:
        store.close()
    shown = make_url(database_url()).render_as_string(hide_password=True)
    print(f"booking store ready at {shown} " + ("(demo bookings: see README)" if demo else
          f"(no demo customers; {DEMO_ENV}=1 adds them)"))


def run(port: int) -> int:
    if not MODEL_PATH.exists():
        print("no trained model: run `make train` first", file=sys.stderr)
        return 1
    seed_booking_store()
    from bot.booking.holds import BackgroundSweeper

    sweeper = BackgroundSweeper().start()  # unpaid holds expire (policies.yml holds)
    processes = start_services(port=port)
    print(f"TripDesk starting: chat widget demo on http://localhost:{port}/webhooks/webchat/ , "
          f"REST on http://localhost:{port}/webhooks/rest/webhook (`make chat`), actions on :5055. "
          "Ctrl-C stops both.")
    stopping = threading.Event()

    def _stop(*_: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stopping.is_set():
            if any(p.poll() is not None for p in processes):
                print("a server stopped; shutting the other down", file=sys.stderr)
                break
            time.sleep(0.5)
    finally:
        stop_services(processes)
        sweeper.stop()
        print("TripDesk stopped.")
    return 0


# --- terminal chat ---------------------------------------------------------------

def chat(url: str) -> int:
    """A traveller's chat in the terminal, over the running server's REST channel."""
    import requests

    sender = f"terminal-{uuid.uuid4().hex[:8]}"
    token = os.environ.get(exposure.REST_TOKEN_ENV, "").strip()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    print(f"TripDesk 终端聊天（{url}）。输入 /quit 退出。")
    buttons: List[Dict[str, str]] = []
    while True:
        try:
            text = input("你: ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if text in ("/quit", "/exit"):
            return 0
        if not text:
            continue
        if text.isdigit() and buttons and 1 <= int(text) <= len(buttons):
            # REST treats typed "/intent" payloads as text, so send what the button says.
            chosen = buttons[int(text) - 1]
            text = chosen["payload"] if not chosen["payload"].startswith("/") else chosen["title"]
        try:
            response = requests.post(url, json={"sender": sender, "message": text}, headers=headers,
                                     timeout=30)
            response.raise_for_status()
        except requests.RequestException as error:
            print(f"(cannot reach the bot at {url}: {error}; is `make run` running?)")
            continue
        buttons = []
        for message in response.json():
            if message.get("text"):
                print(f"小达: {message['text']}")
            for button in message.get("buttons") or []:
                buttons.append(button)
                print(f"   [{len(buttons)}] {button.get('title')}")


# --- evaluation ------------------------------------------------------------------

def evaluate(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [_rasa(), "test", "nlu", "--nlu", "tests/nlu", "--model", str(MODEL_PATH),
         "--out", str(out), "--no-plot"],
        cwd=PROJECT_ROOT, env=service_environment(), check=False,
    )
    if result.returncode != 0:
        return result.returncode
    from bot.evaluation import summarise

    print(summarise(out))
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("lookups", help="regenerate data/nlu/lookups/city.yml from the knowledge base")
    train_parser = commands.add_parser("train", help="train if training data or config changed")
    train_parser.add_argument("--force", action="store_true")
    run_parser = commands.add_parser("run", help="start the Rasa server and the action server")
    run_parser.add_argument("--port", type=int, default=5005)
    chat_parser = commands.add_parser("chat", help="chat with the running bot in the terminal")
    chat_parser.add_argument("--url", default="http://localhost:5005/webhooks/rest/webhook")
    eval_parser = commands.add_parser("eval", help="evaluate NLU on the held-out test split")
    eval_parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "results" / "nlu")
    args = parser.parse_args(argv)
    if args.command == "lookups":
        print("updated" if write_lookups() else "already up to date")
        return 0
    if args.command == "train":
        return train(force=args.force)
    if args.command == "run":
        return run(args.port)
    if args.command == "chat":
        return chat(args.url)
    return evaluate(args.out)


if __name__ == "__main__":
    sys.exit(main())
