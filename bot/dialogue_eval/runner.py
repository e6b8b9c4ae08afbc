"""Replaying the dialogues over REST and reporting task success (``make eval-dialogues``).

``python -m bot.dialogue_eval [--url URL] [--files GLOB ...] [--json OUT] [--start]``
talks to a running bot (``make run``) or, with ``--start``, starts its own Rasa and
action server on free ports over a fresh seeded database (bot/live.py, as the tests do).
The exit code is 0 whatever the figures are (they are figures, not a gate); 2 for a
dialogue file the runner cannot read or a bot it cannot reach.
"""
from __future__ import annotations

import argparse
import glob
import json
import logging
import os
import sys
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

from bot import exposure
from bot.dialogue_eval.checks import CONTRADICTION, LOOP, REASK, DialogueState, Failure, Judge
from bot.dialogue_eval.facts import CatalogueLike
from bot.dialogue_eval.replies import DomainReader, Reply
from bot.dialogue_eval.scripts import Dialogue, ScriptError, load_files
from bot.settings import PROJECT_ROOT

log = logging.getLogger("tripdesk.dialogue_eval")
DEFAULT_URL = "http://127.0.0.1:5005"
DEFAULT_FILES = "tests/dialogues/*.yml"
WEBHOOK = "/webhooks/rest/webhook"
TIMEOUT_S = 60
USAGE_ERROR = 2

Send = Callable[[str, str], Reply]  # (sender, message) → the bot's reply


@dataclass
class TurnResult:
    number: int
    user: str
    reply: str
    failures: List[Failure] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class DialogueResult:
    id: str
    file: str
    sender: str
    turns: List[TurnResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(turn.passed for turn in self.turns)

    def count(self, check: str) -> int:
        return sum(f.check == check for turn in self.turns for f in turn.failures)


def replay(dialogue: Dialogue, send: Send, judge: Judge, sender: Optional[str] = None) -> DialogueResult:
    """Play the traveller's turns in order and judge every reply."""
    sender = sender or dialogue.sender or f"eval-{uuid.uuid4().hex[:10]}"
    result = DialogueResult(id=dialogue.id, file=dialogue.file, sender=sender)
    state = DialogueState()
    for number, turn in enumerate(dialogue.turns, 1):
        try:
            reply = send(sender, turn.user)
        except Exception as error:  # noqa: BLE001 - a failed request fails the turn, the run goes on
            result.turns.append(TurnResult(number, turn.user, "", [Failure("transport", repr(error))]))
            continue
        failures = judge.judge(turn, reply, state)
        result.turns.append(TurnResult(number, turn.user, reply.shown, failures))
    return result


# --- talking to the bot -------------------------------------------------------------

def rest_sender(base_url: str) -> Send:
    """POSTs to the REST channel, with the bearer token when TRIPDESK_REST_TOKEN is set."""
    import requests

    token = os.environ.get(exposure.REST_TOKEN_ENV, "").strip()
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def send(sender: str, message: str) -> Reply:
        response = requests.post(base_url.rstrip("/") + WEBHOOK, json={"sender": sender, "message": message},
                                 headers=headers, timeout=TIMEOUT_S)
        response.raise_for_status()
        return Reply.from_rest(response.json())
    return send


def reachable(base_url: str) -> bool:
    import requests

    try:
        return requests.get(base_url.rstrip("/") + "/", timeout=5).ok
    except requests.RequestException:
        return False


def restart_conversation(base_url: str, sender: str) -> None:
    """A dialogue with a fixed sender (a demo customer) starts from a clean conversation:
    a restart event through Rasa's API (token from TRIPDESK_API_TOKEN or var/api.token)."""
    import requests

    token = os.environ.get(exposure.API_TOKEN_ENV, "").strip()
    token_file = PROJECT_ROOT / "var" / "api.token"
    if not token and token_file.exists():
        token = token_file.read_text(encoding="utf-8").strip()
    try:
        requests.post(f"{base_url.rstrip('/')}/conversations/rest:{sender}/tracker/events",
                      params={"token": token}, json={"event": "restart"}, timeout=TIMEOUT_S).raise_for_status()
    except requests.RequestException as error:
        log.warning("could not restart the conversation of %s (%s); it may carry earlier turns", sender, error)


# --- totals and report ----------------------------------------------------------------

def percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def totals(results: Sequence[DialogueResult]) -> Dict[str, Any]:
    turns = [turn for result in results for turn in result.turns]
    return {
        "dialogues": len(results),
        "dialogues_passed": sum(r.passed for r in results),
        "task_success_percent": percent(sum(r.passed for r in results), len(results)),
        "turns": len(turns),
        "turns_passed": sum(t.passed for t in turns),
        "turns_passed_percent": percent(sum(t.passed for t in turns), len(turns)),
        "re_asks": sum(r.count(REASK) for r in results),
        "loops": sum(r.count(LOOP) for r in results),
        "contradictions": sum(r.count(CONTRADICTION) for r in results),
    }


def summary(results: Sequence[DialogueResult]) -> Dict[str, Any]:
    files = sorted({r.file for r in results})
    return {
        "totals": totals(results),
        "files": {file: totals([r for r in results if r.file == file]) for file in files},
        "dialogues": [dict(asdict(r), passed=r.passed,
                           turns=[dict(asdict(t), passed=t.passed) for t in r.turns]) for r in results],
    }


def render(results: Sequence[DialogueResult]) -> str:
    """The failing turns of each failed dialogue, then the figures per file and in total."""
    lines: List[str] = []
    for result in results:
        lines.append(f"{'PASS' if result.passed else 'FAIL'}  {result.id}  ({result.file})")
        for turn in result.turns:
            if turn.passed:
                continue
            lines.append(f"    turn {turn.number} 用户: {turn.user}")
            bot = turn.reply.replace("\n", "\n          ") or "(nothing)"
            lines.append(f"           bot: {bot}")
            lines += [f"           ✗ {f.check}: {f.reason}" for f in turn.failures]
    report = summary(results)
    lines.append("")
    for file, figures in report["files"].items():
        lines.append(f"{file}: {_figures(figures)}")
    lines.append(f"TOTAL: {_figures(report['totals'])}")
    return "\n".join(lines)


def _figures(f: Dict[str, Any]) -> str:
    return (f"task success {f['task_success_percent']}% ({f['dialogues_passed']}/{f['dialogues']}), "
            f"turns passed {f['turns_passed_percent']}% ({f['turns_passed']}/{f['turns']}), "
            f"re-asks {f['re_asks']}, loops {f['loops']}, contradictions {f['contradictions']}")


# --- command line -------------------------------------------------------------------

def dialogue_files(patterns: Iterable[str]) -> List[Path]:
    paths: List[Path] = []
    for pattern in patterns:
        matched = sorted(glob.glob(pattern)) or sorted(glob.glob(str(PROJECT_ROOT / pattern)))
        paths += [Path(p) for p in matched if Path(p).is_file()]
    return list(dict.fromkeys(paths))


def default_catalogue() -> CatalogueLike:
    from bot.catalogue.queries import catalogue

    return catalogue()


def run(dialogues: Sequence[Dialogue], url: str, catalogue: Callable[[], CatalogueLike] = default_catalogue,
        domain: Path = PROJECT_ROOT / "domain.yml") -> List[DialogueResult]:
    judge = Judge(DomainReader.from_file(domain), catalogue)
    send = rest_sender(url)
    results = []
    for dialogue in dialogues:
        if dialogue.sender:
            restart_conversation(url, dialogue.sender)
        results.append(replay(dialogue, send, judge))
    return results


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.dialogue_eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=DEFAULT_URL, help=f"the bot's base URL (default {DEFAULT_URL})")
    parser.add_argument("--files", nargs="+", default=[DEFAULT_FILES], help="dialogue files or globs")
    parser.add_argument("--json", type=Path, help="write the full result here")
    parser.add_argument("--start", action="store_true",
                        help="start Rasa and the action server on free ports over a fresh seeded database")
    parser.add_argument("--dialogue", action="append", default=[], help="only this dialogue id (repeatable)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    paths = dialogue_files(args.files)
    if not paths:
        print(f"no dialogue files match {' '.join(args.files)}", file=sys.stderr)
        return USAGE_ERROR
    try:
        dialogues = load_files(paths)
    except ScriptError as error:
        print(f"invalid dialogue file: {error}", file=sys.stderr)
        return USAGE_ERROR
    if args.dialogue:
        unknown = set(args.dialogue) - {d.id for d in dialogues}
        if unknown:
            print(f"no dialogue with id {', '.join(sorted(unknown))}", file=sys.stderr)
            return USAGE_ERROR
        dialogues = [d for d in dialogues if d.id in args.dialogue]
    if args.start:
        from bot.live import NotReady

        try:
            results = run_started(dialogues)
        except (NotReady, FileNotFoundError) as error:
            print(f"could not start the bot: {error}", file=sys.stderr)
            return USAGE_ERROR
    elif not reachable(args.url):
        print(f"the bot is not reachable at {args.url}: start it with `make run` in another terminal, "
              "or pass --start to start one here", file=sys.stderr)
        return USAGE_ERROR
    else:
        results = run(dialogues, args.url)
    print(render(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary(results), ensure_ascii=False, indent=2, default=str),
                             encoding="utf-8")
        print(f"full result: {args.json}")
    return 0


def run_started(dialogues: Sequence[Dialogue]) -> List[DialogueResult]:
    """Start a bot of our own (bot/live.py) and replay against it; the facade reads its database."""
    from bot.cli import MODEL_PATH
    from bot.live import seeded_bot

    if not MODEL_PATH.exists():
        raise FileNotFoundError("no trained model: run `make train` first")
    with tempfile.TemporaryDirectory(prefix="tripdesk-eval-") as directory:
        print(f"starting Rasa and the action server (logs in {directory}) ...", file=sys.stderr)
        with seeded_bot(Path(directory)) as bot:
            return run(dialogues, bot.url)
