"""NLU parse latency of the trained model: `make bench` (prints figures, asserts nothing).

Parses every held-out example (tests/nlu/) once to warm up, then again timed, and
prints median, p95 and max per message on this machine.
"""
from __future__ import annotations

import asyncio
import os
import re
import statistics
import time
from pathlib import Path

import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["RASA_TELEMETRY_ENABLED"] = "false"

ROOT = Path(__file__).resolve().parent.parent
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def messages() -> list[str]:
    texts = []
    for path in sorted((ROOT / "tests" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            for line in block.get("examples", "").splitlines():
                if line.strip().startswith("- "):
                    texts.append(ANNOTATION.sub(r"\1", line.strip()[2:]))
    return texts


async def main() -> None:
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    logging.basicConfig(level=logging.WARNING)
    configure_structlog(logging.WARNING)

    started = time.perf_counter()
    agent = Agent.load(str(ROOT / "models" / "tripdesk.tar.gz"))
    load_seconds = time.perf_counter() - started
    texts = messages()
    for text in texts:
        await agent.parse_message(text)
    timings = []
    for text in texts:
        begin = time.perf_counter()
        await agent.parse_message(text)
        timings.append((time.perf_counter() - begin) * 1000)
    timings.sort()
    print(f"model load: {load_seconds:.1f} s")
    print(f"messages: {len(texts)}")
    print(f"parse median: {statistics.median(timings):.1f} ms, "
          f"p95: {timings[int(len(timings) * 0.95)]:.1f} ms, max: {timings[-1]:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
