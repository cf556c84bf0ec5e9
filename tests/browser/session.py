"""A `dlbox up` session for the browser tier: the real CLI, the real engine, the real image.

Each session has its own HOME, state dir and config (no DLBOX_* from the caller leaks in), so the
defaults it shows are the ones a new user gets. Used by the browser tests and scripts/screenshots.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers import CliRun, free_port_block

URL = re.compile(r"http://127\.0\.0\.1:(\d+)/lab\?token=([0-9a-f]+)")
LIVE: list[LabSession] = []  # started and not yet stopped: their logs go with a failure


@dataclass
class LabSession:
    home: Path  # the user's HOME: code and data folders, dlbox's state and config are inside
    settings: dict[str, str] = field(default_factory=dict)  # DLBOX_* settings of this project
    pin_port: bool = True  # a free port of its own (else dlbox's default, moved on if taken)
    port: int = 0
    url: str = ""
    token: str = ""
    name: str = ""
    up_output: str = ""

    @property
    def code(self) -> Path:
        return self.home / "dlbox" / "code"  # dlbox's default code folder

    @property
    def container_home(self) -> Path:
        """The HOME Jupyter has (dlbox keeps it in its state folder: settings persist)."""
        return self.home / ".local" / "share" / "dlbox" / "home"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DLBOX_", "XDG_"))}
        env.update(HOME=str(self.home), COLUMNS="100", NO_COLOR="1", **self.settings)
        if self.pin_port:
            env["DLBOX_PORT"] = str(self.port)
        return env

    def dlbox(self, *args: str, timeout: float = 900) -> CliRun:
        done = subprocess.run(
            [sys.executable, "-m", "dlbox", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.home,
            env=self.env(),
            check=False,
        )
        return CliRun(done.returncode, done.stdout, done.stderr)

    def up(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        if self.pin_port and not self.port:
            self.port = free_port_block(4)
        run = self.dlbox("up")
        assert run.code == 0, run.output
        match = URL.search(run.stdout)
        assert match, run.output
        self.url = match.group(0)
        self.port, self.token = int(match.group(1)), match.group(2)
        self.up_output = run.output
        listed = json.loads(self.dlbox("ps", "--json").stdout or "[]")
        mine = [s for s in listed if s["code_dir"] == str(self.code.resolve())]
        assert len(mine) == 1, listed
        self.name = str(mine[0]["name"])
        LIVE.append(self)

    def url_for(self, path: str, *, token: bool = True, reset: bool = False) -> str:
        """e.g. url_for("lab/tree/x.ipynb"): with the token, and ?reset for a fresh workspace."""
        query = [q for q, on in (("reset", reset), (f"token={self.token}", token)) if on]
        return f"{self.base}/{path.lstrip('/')}" + ("?" + "&".join(query) if query else "")

    def logs(self) -> str:
        run = self.dlbox("logs", self.name, "--tail", "400", timeout=60)
        return run.output

    def stop(self) -> None:
        if self in LIVE:
            LIVE.remove(self)
        if self.name:
            self.dlbox("stop", self.name, timeout=120)

    def redact(self, text: str) -> str:
        """Output as the docs show it: no token, the temporary home written as ~ (in a table row
        the cell is padded back, so the columns stay aligned)."""
        if self.token:
            text = text.replace(self.token, "<token>")
        return "\n".join(_shorten(line, str(self.home), "~") for line in text.split("\n"))


def _shorten(line: str, long: str, short: str) -> str:
    while long in line:
        at = line.index(long)
        line = line[:at] + short + line[at + len(long) :]
        cell_end = line.find("│", at)
        pad = " " * (len(long) - len(short))
        line = line[:cell_end] + pad + line[cell_end:] if cell_end >= 0 else line
    return line
