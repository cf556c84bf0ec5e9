"""CLI start-up: median wall time of `dlbox --version`, `dlbox --help` and `dlbox ps` (each a fresh
process, as a user runs it) against `python -c pass` with the same interpreter, in one run."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import Bench, Row

# (arguments, goal in ms): issue 19's goals on a quiet machine.
CASES: tuple[tuple[tuple[str, ...], float], ...] = (
    (("--version",), 80.0),
    (("--help",), 200.0),
    (("ps",), 250.0),
)


def _dlbox() -> list[str]:
    script = Path(sys.executable).with_name("dlbox")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dlbox"]


def median_ms(argv: list[str], rounds: int) -> float:
    env = dict(os.environ, COLUMNS="80", PYTHONDONTWRITEBYTECODE="1")
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run(argv, env=env, capture_output=True, timeout=120, check=False)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def warm(argv: list[str]) -> None:
    """Run once with bytecode writing on, as a user's second run finds it: an installed package
    has its bytecode (pip compiles at install, Python writes it on first import), so the timed
    runs measure start-up, not compiling (PYTHONDONTWRITEBYTECODE, set on some machines, would
    leave every run compiling every module)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(argv, env=dict(env, COLUMNS="80"), capture_output=True, timeout=120, check=False)


def cli_start(bench: Bench) -> None:
    rounds = 7 if bench.quick else 21
    for args, _ in CASES:
        warm(_dlbox() + list(args))
    for args, goal in CASES:
        baseline = median_ms([sys.executable, "-c", "pass"], rounds)
        mine = median_ms(_dlbox() + list(args), rounds)
        bench.add(
            Row(
                f"dlbox {' '.join(args)} start",
                mine,
                baseline,
                "ms",
                f"<= {goal:.0f} ms",
                mine <= goal,
                f"median of {rounds}; baseline `python -c pass`",
            )
        )
