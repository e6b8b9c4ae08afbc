"""How the normaliser's cost grows with message length: `python bench/normaliser_scaling.py`.

Prints, per length, the milliseconds to normalise a message (Traditional words,
full-width letters, zero-width characters, repeated punctuation) and map an entity span
across it, the work the NLU does for every message. Each length runs in its own process
with a time budget, so a quadratic implementation shows up as "stopped" instead of
hanging the run. Prints figures, asserts nothing (see tests/test_text.py for the
linear-growth test).

Measured on the shared 2-core machine under load (load average 11-13; issue 8), ms:
    length     before (difflib alignment)          after (offsets recorded while rewriting)
    4 096      4 717                               311
    20 000     stopped after 120 s                 1 067
    300 000    stopped after 120 s                 20 026
What remains is OpenCC's pure-Python conversion, linear in the length; the channels'
input policy (connectors/base.py) keeps a message to the bot at 4 096 characters or fewer.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LENGTHS = (4_096, 20_000, 300_000)
BUDGET_S = 120.0
UNIT = "請問ＴＤ７計程車\u200b到捷運站？？？  明天上海的飯店還有房嗎！！"


def measure(length: int) -> float:
    """Milliseconds to normalise a ``length``-character message and map a span across it."""
    from bot.text import normalize

    normalize(UNIT)  # converters loaded outside the measurement
    text = (UNIT * (length // len(UNIT) + 1))[:length]
    start = text.index("上海", length // 2)
    began = time.perf_counter()
    normalize(text).map_span(start, start + 2)
    return (time.perf_counter() - began) * 1000


def main() -> None:
    if len(sys.argv) == 2:  # the child process: one length
        print(f"{measure(int(sys.argv[1])):.0f}")
        return
    env = dict(os.environ, PYTHONPATH=str(ROOT), RASA_TELEMETRY_ENABLED="false",
               TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
    print(f"{'length':>8}  normalise + map a span (ms)")
    for length in LENGTHS:
        try:
            done = subprocess.run([sys.executable, __file__, str(length)], env=env, cwd=ROOT,
                                  capture_output=True, text=True, timeout=BUDGET_S, check=True)
            figure = done.stdout.strip().splitlines()[-1]
        except subprocess.TimeoutExpired:
            figure = f"stopped after {BUDGET_S:.0f} s"
        print(f"{length:>8}  {figure}", flush=True)


if __name__ == "__main__":
    main()
