"""Notes and warnings on an 80-column terminal: wrapped at spaces by dlbox, so the terminal
never cuts a word; paths and URLs stay whole; a pipe or log gets each message on one line."""

from __future__ import annotations

import io
import re

import pytest
from rich.markup import escape

from dlbox.cli import console

PATH = "/home/student/" + "x" * 90 + "/lesson1.ipynb"
WARNING = (
    "NO GPU FOUND: the environment runs on the CPU, so training will be slow. Probes: --gpus "
    "(NVIDIA Container Toolkit): not installed; [extras] in dlbox.toml; see "
    f"{PATH} and https://example.org/docs/gpu#cdi for the fix."
)


def screen(monkeypatch: pytest.MonkeyPatch, terminal: bool) -> io.StringIO:
    out = io.StringIO()
    err = console.RedactingConsole(
        file=out, force_terminal=terminal, width=80, highlight=False, soft_wrap=True
    )
    monkeypatch.setattr(console, "err", err)
    return out


def plain(out: io.StringIO) -> list[str]:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue()).splitlines()


def test_a_long_warning_wraps_at_spaces_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    out = screen(monkeypatch, terminal=True)
    console.warn(escape(WARNING))
    lines = plain(out)
    assert len(lines) > 3
    assert all(len(line) <= 80 for line in lines if line != PATH), lines
    assert PATH in lines  # longer than a line: whole, on a line of its own
    assert any(line.endswith("https://example.org/docs/gpu#cdi for the fix.") for line in lines)
    assert " ".join(lines) == "warning: " + WARNING  # no word cut, nothing lost, brackets kept


def test_a_pipe_gets_each_message_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    out = screen(monkeypatch, terminal=False)
    console.warn(escape(WARNING))
    console.info("engine: docker")
    assert plain(out) == ["warning: " + WARNING, "engine: docker"]
