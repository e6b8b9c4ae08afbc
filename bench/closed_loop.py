"""Closed-loop load on TripDesk and on stock Rasa's `rasa init` bot: `make bench-load`.

Issue 12 compares TripDesk with the bot `rasa init` creates, on the same machine, in the
same run, under the same load. For each bot in turn (never both under load at once) this
starts its servers, sends one unmeasured warm-up conversation, then for each concurrency
N runs N conversations of ``--turns`` messages over REST, closed loop: a conversation
sends its next message when the reply to the previous one has arrived. It prints, per
bot and N, messages/s, p50/p95/p99 latency, errors and the peak RSS of each server
process, then TripDesk/stock ratios per N, and writes everything to
results/bench/closed_loop.json. Figures only; nothing is asserted.

- TripDesk: Rasa and the action server of the embedded default on a fresh, seeded
  SQLite database in a temporary directory (bot/live.py ``seeded_bot``). The REST
  channel's rate limits (per sender and per address) are lifted for the run: all the
  load comes from 127.0.0.1, where real travellers come from many addresses.
- Stock: ``rasa init --no-prompt`` in a temporary directory, trained once and cached per
  Rasa version under var/cache/bench/ (``--fresh-stock`` trains it again), served with
  ``rasa run --enable-api`` (and ``rasa run actions`` if its domain has custom actions;
  the moodbot has none).

Errors are failed requests (non-2xx, timeouts, refused connections) plus the turns
TripDesk answered with its apology because they took longer than its turn timeout
(counted from the "apologised" lines of its Rasa log). Messages/s counts the 2xx
replies per second of wall time; the latencies are of those replies. RSS is sampled
every half second over each server's process group, from /proc (psutil is not in the
virtualenv); "start-up peak" is the kernel's high-water mark of the main process,
which includes loading the model.
"""
from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parent.parent
RESULT_PATH = ROOT / "results" / "bench" / "closed_loop.json"
CACHE_DIR = ROOT / "var" / "cache" / "bench"
RATE_ENV = ("TRIPDESK_RATE_PER_SENDER", "TRIPDESK_RATE_PER_ADDRESS")  # connectors/base.py RATE_ENV
UNLIMITED_RATE = "1000000/60"
APOLOGY_MARK = "; apologised"  # connectors/base.py run_turn logs this for every apology
SAMPLE_INTERVAL_S = 0.5
READY_TIMEOUT_S = 480.0

# Conversations are built from these scripts: conversation i starts with script
# i mod len(scripts) and goes on with the next ones until it has sent its turns.
# TripDesk: the README's "Things you can say" (greetings, FAQ, searches, follow-ups).
TRIPDESK_SCRIPTS: Tuple[Tuple[str, ...], ...] = (
    ("你好", "帮我找下明天上海的酒店，两个人", "还有便宜点的吗", "第二个怎么样", "几点入住", "谢谢"),
    ("后天上海到北京的高铁", "有早一点的吗", "第一班几点到", "行李能带多少", "退票手续费怎么算"),
    ("你好", "去三亚的机票", "从上海出发", "不对，是后天", "有早一点的吗", "你是机器人吗"),
    ("桂林有什么跟团游", "下周六去九寨沟两大一小", "改成三个人", "能开发票吗", "谢谢"),
    ("帮我找下后天杭州的酒店", "两个人", "还有别的吗", "請問飯店幾點可以入住", "拜拜"),
)
# Stock: phrases of the moodbot's own training data and stories.
STOCK_SCRIPTS: Tuple[Tuple[str, ...], ...] = (
    ("hello", "I am feeling very good", "are you a bot?", "goodbye"),
    ("hi", "I am sad", "yes", "bye"),
    ("good morning", "very unhappy", "no", "see you later"),
    ("hey there", "great", "am I talking to a human?", "good night"),
)


# --- servers ------------------------------------------------------------------------

@dataclass
class Server:
    """One running bot: its REST URL, its processes by name, where they log."""

    name: str
    url: str
    processes: Dict[str, subprocess.Popen]
    log_dir: Path
    headers: Dict[str, str] = field(default_factory=dict)

    def apologies(self) -> int:
        """How many turns the bot has answered with its timeout/failure apology so far."""
        log = self.log_dir / "rasa.log"
        return log.read_text(errors="replace").count(APOLOGY_MARK) if log.exists() else 0


@contextmanager
def lifted_rate_limits() -> Iterator[None]:
    """The REST rate limits out of the way for the servers started inside (restored after)."""
    saved = {key: os.environ.get(key) for key in RATE_ENV}
    os.environ.update({key: UNLIMITED_RATE for key in RATE_ENV})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def tripdesk_server(work_dir: Path) -> Iterator[Server]:
    """TripDesk's Rasa and action server on a fresh seeded database in ``work_dir``."""
    from bot import exposure
    from bot.live import seeded_bot

    headers = {}
    token = os.environ.get(exposure.REST_TOKEN_ENV, "").strip()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    with lifted_rate_limits(), seeded_bot(work_dir) as bot:
        named = {process_name(p.pid): p for p in bot.processes}
        yield Server("tripdesk", bot.url, named, work_dir, headers)


def process_name(pid: int) -> str:
    """"actions" or "rasa", from a TripDesk server's command line."""
    command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return "actions" if "action_server" in command else "rasa"


def stock_project(work_dir: Path, fresh: bool) -> Path:
    """A trained `rasa init` project in ``work_dir``: copied from the cache, or created
    and trained there (then cached for the next run)."""
    cached = CACHE_DIR / f"rasa-init-{rasa_version()}"
    project = work_dir / "stock"
    if cached.is_dir() and any(cached.glob("models/*.tar.gz")) and not fresh:
        shutil.copytree(cached, project)
        print(f"stock bot: cached `rasa init` project {cached.relative_to(ROOT)}", flush=True)
        return project
    project.mkdir()
    print("stock bot: `rasa init --no-prompt` (trains the moodbot; cached afterwards)", flush=True)
    began = time.monotonic()
    with open(work_dir / "init.log", "w") as log:
        done = subprocess.run([rasa_executable(), "init", "--no-prompt", "--init-dir", str(project)],
                              cwd=project, env=stock_environment(), stdout=log, stderr=subprocess.STDOUT,
                              check=False)
    if done.returncode != 0 or not any(project.glob("models/*.tar.gz")):
        raise RuntimeError(f"rasa init failed:\n{(work_dir / 'init.log').read_text()[-3000:]}")
    print(f"stock bot: trained in {time.monotonic() - began:.0f} s", flush=True)
    partial = CACHE_DIR / f".{cached.name}.{os.getpid()}"
    shutil.rmtree(cached, ignore_errors=True)
    shutil.copytree(project, partial, ignore=shutil.ignore_patterns(".rasa", "__pycache__"))
    os.replace(partial, cached)
    return project


def stock_needs_actions(project: Path) -> bool:
    """Whether the stock domain lists custom actions (the moodbot's does not)."""
    domain = yaml.safe_load((project / "domain.yml").read_text()) or {}
    return any(not str(name).startswith("utter_") for name in domain.get("actions") or [])


@contextmanager
def stock_server(work_dir: Path, fresh: bool) -> Iterator[Server]:
    """`rasa run --enable-api` (and `rasa run actions` if needed) on the `rasa init` bot."""
    from bot.cli import stop_services
    from bot.live import free_port

    project = stock_project(work_dir, fresh)
    port = free_port()
    commands = {"rasa": [rasa_executable(), "run", "--enable-api", "--interface", "127.0.0.1",
                         "--port", str(port), "--model", "models", "--credentials", "credentials.yml",
                         "--endpoints", "endpoints.yml"]}
    health = [f"http://127.0.0.1:{port}/"]
    if stock_needs_actions(project):
        action_port = free_port()
        commands["actions"] = [rasa_executable(), "run", "actions", "--port", str(action_port)]
        health.append(f"http://127.0.0.1:{action_port}/health")
        (project / "endpoints.yml").write_text(
            f"action_endpoint:\n  url: http://127.0.0.1:{action_port}/webhook\n")
    processes: Dict[str, subprocess.Popen] = {}
    try:
        for name in sorted(commands, reverse=True):  # the action server first
            with open(work_dir / f"{name}.log", "w") as log:
                processes[name] = subprocess.Popen(commands[name], cwd=project, env=stock_environment(),
                                                   stdout=log, stderr=subprocess.STDOUT,
                                                   start_new_session=True)
        wait_for(health, list(processes.values()), work_dir)
        yield Server("stock", f"http://127.0.0.1:{port}", processes, work_dir)
    finally:
        stop_services(list(processes.values()))


def wait_for(urls: Sequence[str], processes: Sequence[subprocess.Popen], log_dir: Path) -> None:
    """Block until every URL answers 2xx; raise with the log tails if a server exits."""
    import requests

    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            logs = "\n".join(f.read_text()[-2000:] for f in log_dir.glob("*.log"))
            raise RuntimeError(f"a stock server exited during start-up:\n{logs}")
        try:
            if all(requests.get(url, timeout=2).ok for url in urls):
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise RuntimeError("the stock servers did not become ready in time")


def rasa_executable() -> str:
    return str(Path(sys.executable).parent / "rasa")


def rasa_version() -> str:
    return importlib.metadata.version("rasa")


def stock_environment() -> Dict[str, str]:
    return dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3",
                PYTHONWARNINGS="ignore")


# --- memory -----------------------------------------------------------------------

def group_rss_mb(leader: int) -> float:
    """Resident memory (MB) of every process in the session ``leader`` started
    (the servers run in their own sessions, so this includes any worker they fork)."""
    total_kb = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            if int(fields[3]) == leader:  # state, ppid, pgrp, session
                total_kb += status_kb(entry / "status", "VmRSS")
        except (OSError, ValueError, IndexError):  # the process ended meanwhile
            continue
    return total_kb / 1024


def status_kb(path: Path, key: str) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    return 0


def startup_peak_mb(pid: int) -> Optional[float]:
    """The kernel's high-water mark of resident memory for ``pid`` (MB), if it still runs."""
    try:
        return status_kb(Path(f"/proc/{pid}/status"), "VmHWM") / 1024
    except OSError:
        return None


async def sample_rss(server: Server, peaks: Dict[str, float]) -> None:
    """Keep ``peaks`` at the highest RSS seen per server process until cancelled."""
    while True:
        for name, process in server.processes.items():
            peaks[name] = max(peaks.get(name, 0.0), group_rss_mb(process.pid))
        await asyncio.sleep(SAMPLE_INTERVAL_S)


# --- load -------------------------------------------------------------------------

@dataclass
class Level:
    """What one bot did under N concurrent conversations."""

    concurrency: int
    turns: int
    replies: int = 0
    failures: int = 0
    apologies: int = 0
    empty_replies: int = 0
    seconds: float = 0.0
    messages_per_s: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    peak_rss_mb: Dict[str, float] = field(default_factory=dict)
    failure_examples: List[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return self.failures + self.apologies


def messages_for(conversation: int, scripts: Sequence[Sequence[str]], turns: int) -> List[str]:
    """The ``turns`` messages of one conversation: whole scripts, one after the other."""
    flat: List[str] = []
    index = conversation % len(scripts)
    while len(flat) < turns:
        flat.extend(scripts[index])
        index = (index + 1) % len(scripts)
    return flat[:turns]


def percentile(sorted_values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..100) of already sorted values."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(0, math.ceil(share / 100 * len(sorted_values)) - 1)]


async def converse(session: aiohttp.ClientSession, server: Server, sender: str,
                   messages: Sequence[str], latencies: List[float], level: Level,
                   transcript: Optional[List[Dict[str, str]]] = None) -> None:
    """One closed-loop conversation: each message goes when the previous reply has arrived
    (noted in ``transcript`` if given, so a reader can check the bot understood)."""
    url = f"{server.url}/webhooks/rest/webhook"
    for text in messages:
        began = time.perf_counter()
        try:
            async with session.post(url, json={"sender": sender, "message": text},
                                    headers=server.headers) as response:
                if response.status >= 300:
                    raise RuntimeError(f"HTTP {response.status}: {(await response.text())[:200]}")
                body = await response.json(content_type=None)
        except Exception as error:  # every failure is a figure, not a crash
            level.failures += 1
            if len(level.failure_examples) < 5:
                level.failure_examples.append(f"{type(error).__name__}: {error}"[:300])
            continue
        latencies.append((time.perf_counter() - began) * 1000)
        level.replies += 1
        if not body:
            level.empty_replies += 1
        if transcript is not None:
            transcript.append({"message": text, "reply": "\n".join(str(m.get("text", "")) for m in body or [])})


async def run_level(server: Server, concurrency: int, turns: int, scripts: Sequence[Sequence[str]],
                    request_timeout: float, transcript: Optional[List[Dict[str, str]]] = None) -> Level:
    """N conversations at once, closed loop; figures for the level."""
    level = Level(concurrency=concurrency, turns=turns)
    latencies: List[float] = []
    run_id = uuid.uuid4().hex[:8]
    apologies_before = server.apologies()
    peaks: Dict[str, float] = {}
    sampler = asyncio.create_task(sample_rss(server, peaks))
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=request_timeout)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            began = time.perf_counter()
            await asyncio.gather(*(
                converse(session, server, f"bench-{run_id}-{concurrency}-{i}",
                         messages_for(i, scripts, turns), latencies, level, transcript if i == 0 else None)
                for i in range(concurrency)))
            level.seconds = time.perf_counter() - began
    finally:
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
    await asyncio.sleep(1)  # the log line of a late apology
    level.apologies = server.apologies() - apologies_before
    latencies.sort()
    level.messages_per_s = round(level.replies / level.seconds, 2) if level.seconds else 0.0
    level.seconds = round(level.seconds, 2)
    level.p50_ms, level.p95_ms, level.p99_ms = (round(percentile(latencies, p), 1) for p in (50, 95, 99))
    level.peak_rss_mb = {name: round(mb, 1) for name, mb in sorted(peaks.items())}
    return level


@dataclass
class BotFigures:
    """One bot's run: every level, and the memory its servers needed to start."""

    levels: List[Level]
    startup_peak_rss_mb: Dict[str, float]
    warm_up_errors: int
    sample: List[Dict[str, str]]
    load_average_before: float = 0.0

    def as_json(self) -> Dict[str, Any]:
        return {"load_average_before": self.load_average_before, "warm_up_errors": self.warm_up_errors,
                "startup_peak_rss_mb": self.startup_peak_rss_mb,
                "levels": [json_safe(dict(asdict(level), errors=level.errors)) for level in self.levels],
                "sample_conversation": self.sample}


def json_safe(figures: Dict[str, Any]) -> Dict[str, Any]:
    """NaN (a level without a single reply has no percentiles) as null: JSON has no NaN."""
    return {key: None if isinstance(value, float) and math.isnan(value) else value
            for key, value in figures.items()}


async def measure(server: Server, levels: Sequence[int], turns: int, scripts: Sequence[Sequence[str]],
                  request_timeout: float) -> BotFigures:
    """Warm up, then every concurrency level in turn."""
    warm_up = await run_level(server, 1, min(turns, 4), scripts, request_timeout)
    results: List[Level] = []
    sample: List[Dict[str, str]] = []
    for concurrency in levels:
        level = await run_level(server, concurrency, turns, scripts, request_timeout,
                                None if results else sample)
        print(f"  {server.name:<8} {row(level)}", flush=True)
        results.append(level)
    startup = {name: startup_peak_mb(p.pid) for name, p in sorted(server.processes.items())}
    return BotFigures(results, {name: round(mb, 1) for name, mb in startup.items() if mb is not None},
                      warm_up.errors, sample)


# --- report -----------------------------------------------------------------------

HEADER = (f"{'N':>4} {'replies':>8} {'msg/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'errors':>7} {'apolog.':>7}  peak RSS MB")


def row(level: Level) -> str:
    rss = ", ".join(f"{name} {mb:.0f}" for name, mb in level.peak_rss_mb.items())
    return (f"{level.concurrency:>4} {level.replies:>8} {level.messages_per_s:>7.1f} {level.p50_ms:>8.0f} "
            f"{level.p95_ms:>8.0f} {level.p99_ms:>8.0f} {level.errors:>7} {level.apologies:>7}  {rss}")


def ratios(bots: Dict[str, BotFigures]) -> List[Dict[str, Any]]:
    """TripDesk/stock per N: throughput (above 1 is better for TripDesk) and latencies."""
    if "tripdesk" not in bots or "stock" not in bots:
        return []
    stock_by_n = {level.concurrency: level for level in bots["stock"].levels}
    found = []
    for ours in bots["tripdesk"].levels:
        theirs = stock_by_n.get(ours.concurrency)
        if theirs:
            found.append({"concurrency": ours.concurrency,
                          **{key: divide(getattr(ours, key), getattr(theirs, key))
                             for key in ("messages_per_s", "p50_ms", "p95_ms", "p99_ms")}})
    return found


def divide(ours: float, theirs: float) -> Optional[float]:
    return round(ours / theirs, 2) if theirs and not math.isnan(theirs) and not math.isnan(ours) else None


def print_ratios(found: Sequence[Dict[str, Any]]) -> None:
    if not found:
        return
    print("\nTripDesk / stock (messages/s: above 1 is better; latency: below 1 is better)")
    print(f"{'N':>4} {'msg/s':>7} {'p50':>7} {'p95':>7} {'p99':>7}")
    for ratio in found:
        cells = " ".join(f"{value:>6.2f}x" if value is not None else f"{'-':>7}"
                         for value in (ratio[k] for k in ("messages_per_s", "p50_ms", "p95_ms", "p99_ms")))
        print(f"{ratio['concurrency']:>4} {cells}")


# --- main -------------------------------------------------------------------------

def parse_arguments(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", default="1,20,100",
                        help="concurrent conversations per level, comma-separated (default 1,20,100)")
    parser.add_argument("--turns", type=int, default=16, help="messages per conversation (default 16)")
    parser.add_argument("--bots", default="tripdesk,stock", help="which bots, in order (default tripdesk,stock)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds one request may take before it counts as an error (default 120)")
    parser.add_argument("--fresh-stock", action="store_true",
                        help="train the `rasa init` bot again instead of using the cached one")
    parser.add_argument("--output", type=Path, default=RESULT_PATH, help="where the JSON figures go")
    arguments = parser.parse_args(argv)
    arguments.levels = [int(n) for n in arguments.concurrency.split(",") if n.strip()]
    arguments.bot_names = [b.strip() for b in arguments.bots.split(",") if b.strip()]
    unknown = set(arguments.bot_names) - {"tripdesk", "stock"}
    if unknown or not arguments.levels or min(arguments.levels) < 1 or arguments.turns < 1:
        parser.error(f"bad --bots {sorted(unknown)}, --concurrency or --turns" if unknown
                     else "--concurrency and --turns must be positive")
    return arguments


def run_bot(name: str, arguments: argparse.Namespace) -> BotFigures:
    """Start one bot in a temporary directory, load it, stop it; its figures."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as work:
        load = os.getloadavg()[0]
        began = time.monotonic()
        starter = tripdesk_server(Path(work)) if name == "tripdesk" else stock_server(Path(work), arguments.fresh_stock)
        with starter as server:
            print(f"{name}: servers ready after {time.monotonic() - began:.0f} s "
                  f"(load average {load:.1f} before start)", flush=True)
            scripts = TRIPDESK_SCRIPTS if name == "tripdesk" else STOCK_SCRIPTS
            figures = asyncio.run(measure(server, arguments.levels, arguments.turns, scripts,
                                          arguments.timeout))
        figures.load_average_before = round(load, 2)
        return figures


def main(argv: Optional[Sequence[str]] = None) -> None:
    arguments = parse_arguments(argv)
    started = datetime.now(timezone.utc)
    print(f"closed loop: N in {arguments.levels}, {arguments.turns} turns per conversation, "
          f"rasa {rasa_version()}, {os.cpu_count()} CPUs", flush=True)
    print(f"  {'bot':<8} {HEADER}", flush=True)
    bots = {name: run_bot(name, arguments) for name in arguments.bot_names}
    print(f"\n  {'bot':<8} {HEADER}")
    for name, figures in bots.items():
        for level in figures.levels:
            print(f"  {name:<8} {row(level)}")
    found = ratios(bots)
    print_ratios(found)
    report = {
        "started": started.isoformat(timespec="seconds"),
        "rasa_version": rasa_version(),
        "cpus": os.cpu_count(),
        "turns": arguments.turns,
        "concurrency": arguments.levels,
        "bots": {name: figures.as_json() for name, figures in bots.items()},
        "tripdesk_to_stock": found,
    }
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"\nfigures written to {display_path(arguments.output)}")


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    main()
