"""Snapshot tests: what `dlbox ...` prints at 80 columns, compared with tests/unit/cli/snapshots.

UPDATE_SNAPSHOTS=1 rewrites the files; review the diff before committing it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SNAPSHOTS = Path(__file__).parent / "snapshots"


def run_dlbox(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real `dlbox` entry point in a fresh interpreter, on an 80-column, colourless terminal."""
    full = {**os.environ, "COLUMNS": "80", "LINES": "24", "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run(
        [sys.executable, "-m", "dlbox", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**full, **(env or {})},
    )


def matches_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            raise AssertionError(f"snapshot {path.name} was missing in CI; commit it")
    expected = path.read_text()
    assert text == expected, f"output differs from {path} (UPDATE_SNAPSHOTS=1 rewrites it)"


def fits(text: str, columns: int = 80) -> None:
    wide = [line for line in text.splitlines() if len(line) > columns]
    assert not wide, f"lines wider than {columns} columns: {wide}"
