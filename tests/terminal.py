"""A real terminal for tests: run a command in a detached tmux pane of a given size and read
the screen back (capture-pane), to check what a user sees at 80x24, wrapping included."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

DONE = "__dlbox_test_done__"


@dataclass
class Screen:
    raw: list[str]  # the pane's rows as drawn (a wrapped line is several rows)
    joined: list[str]  # the same with wrapped rows joined back into the printed lines
    code: int

    @property
    def wrapped(self) -> list[str]:
        """Printed lines the terminal had to wrap."""
        return [line for line in self.joined if len(line) > 80]


def tmux_path() -> str | None:
    return shutil.which("tmux")


def run_in_terminal(
    args: list[str], env: dict[str, str], cols: int = 80, rows: int = 24, timeout: float = 300
) -> Screen:
    """`dlbox ARGS...` in a cols x rows tmux pane; returns the screen once it has exited."""
    tmux = tmux_path()
    assert tmux, "tmux is not installed (scripts/setup-engine installs it)"
    socket = f"dlbox-test-{uuid.uuid4().hex[:8]}"
    dlbox = str(Path(sys.executable).parent / "dlbox")
    assignments = [f"{k}={v}" for k, v in env.items()]
    # The size comes from the pane, as in a real terminal: no COLUMNS/LINES inherited.
    unset = ["-u", "COLUMNS", "-u", "LINES"]
    command = " ".join(shlex.quote(x) for x in ["env", *unset, *assignments, dlbox, *args])
    shell = f"{command}; echo {DONE}$?; sleep 600"
    base = [tmux, "-L", socket, "-f", "/dev/null"]
    subprocess.run(
        [*base, "new-session", "-d", "-x", str(cols), "-y", str(rows), "sh", "-c", shell],
        check=True,
        timeout=30,
    )
    try:
        subprocess.run([*base, "set-option", "-g", "history-limit", "5000"], check=False)
        deadline = time.monotonic() + timeout
        while True:
            joined = _capture(base, join=True)
            done = [ln for ln in joined if ln.startswith(DONE)]
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        raw = _capture(base, join=False)
    finally:
        subprocess.run([*base, "kill-server"], check=False, timeout=30)
    assert done, f"timed out; screen: {joined}"
    code = int(done[0][len(DONE) :])
    strip = lambda lines: [ln for ln in lines if not ln.startswith(DONE)]  # noqa: E731
    return Screen(_trim(strip(raw)), _trim(strip(joined)), code)


def _capture(base: list[str], join: bool) -> list[str]:
    argv = [*base, "capture-pane", "-p", "-S", "-", *(["-J"] if join else [])]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)
    return [line.rstrip() for line in done.stdout.splitlines()]


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[-1]:
        lines.pop()
    return lines
