"""`--help` reads like uv's at 80 columns: snapshots of the main pages, and rules for every page."""

from __future__ import annotations

import re

import pytest
import typer

from dlbox.cli.app import build_app
from tests.unit.cli.snapshot import fits, matches_snapshot, run_dlbox


def command_paths() -> list[list[str]]:
    paths: list[list[str]] = []

    def walk(cmd: object, prefix: list[str]) -> None:
        paths.append(prefix)
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            walk(sub, [*prefix, name])

    walk(typer.main.get_command(build_app()), [])
    return paths


SNAPSHOT_PAGES = [
    [],
    ["up"],
    ["ps"],
    ["stop"],
    ["run"],
    ["doctor"],
    ["data"],
    ["data", "get"],
    ["config", "set"],
    ["verify"],
    ["clean"],
]


@pytest.mark.parametrize("path", SNAPSHOT_PAGES, ids=lambda p: "-".join(p) or "dlbox")
def test_help_snapshot(path: list[str]) -> None:
    done = run_dlbox(*path, "--help")
    assert done.returncode == 0 and done.stderr == ""
    matches_snapshot("help-" + ("-".join(path) or "dlbox"), done.stdout)


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "dlbox")
def test_every_help_page_reads_cleanly(path: list[str]) -> None:
    """No type metavars (<bool>, <list[str]>), no boxes, no markup eaten, nothing wider than
    80 columns, arguments in capitals, a one-line summary first."""
    from typer.testing import CliRunner

    result = CliRunner().invoke(build_app(), [*path, "--help"], env={"COLUMNS": "80"})
    text = result.output
    assert result.exit_code == 0, text
    fits(text)
    assert not re.search(r"<(bool|int|str|path|list\[[a-z]+\]|float)>", text), text
    assert not set("╭╮╰╯│─") & set(text)
    assert " ," not in text and "( " not in text
    usage = next(line for line in text.splitlines() if line.startswith("Usage: "))
    assert "{" not in usage and re.fullmatch(r"Usage: [a-z -]+\[OPTIONS\][A-Z_ .\[\]-]*", usage)
    assert text.splitlines()[0] and not text.startswith(" ")
    summary = text.split("\n\n")[0]
    assert "\n" not in summary, f"the summary takes more than one line:\n{summary}"
    assert not re.search(r"[a-z)`]\. [A-Z]", summary), f"more than one sentence: {summary}"
    for header, rows in sections(text).items():
        for row in rows:
            if header.lower().endswith("commands:"):
                assert len(row) == 1, f"a {header} row wraps:\n" + "\n".join(row)
            else:
                said = " ".join(line.strip() for line in row)
                assert not re.search(r"[a-z)'`]\. [A-Z]", said), f"more than one sentence: {said}"


def sections(text: str) -> dict[str, list[list[str]]]:
    """A help page's sections (`Options:`, `Commands:`, ...): each row's lines, the name's line
    first, then its continuation lines."""
    found: dict[str, list[list[str]]] = {}
    rows: list[list[str]] | None = None
    for line in text.splitlines():
        if line and not line.startswith(" "):
            rows = found.setdefault(line, []) if line.endswith(":") else None
        elif rows is not None and line.strip():
            if re.match(r"^  \S", line) or (line.startswith("      -") and "--" in line[:12]):
                rows.append([line])
            elif rows:
                rows[-1].append(line)
    return found


def test_flags_have_no_value_name_and_options_do() -> None:
    text = run_dlbox("up", "--help").stdout
    assert re.search(r"^      --dry-run {2,}Show", text, re.M)
    assert re.search(r"^      --port PORT {2,}", text, re.M)
    assert re.search(r"^      --code-dir DIR {2,}", text, re.M)


def test_run_usage_shows_the_command_after_dashes() -> None:
    text = run_dlbox("run", "--help").stdout
    assert "Usage: dlbox run [OPTIONS] -- CMD..." in text
    assert "  dlbox run --gpus all -- python train.py" in text


def test_brackets_print_as_written() -> None:
    """Rich markup used to eat `[extras]`."""
    assert "dlbox.toml [extras]" in run_dlbox("add", "--help").stdout
