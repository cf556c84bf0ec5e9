"""The only place dlbox prints. Commands hand results and errors here.

Everything printed passes through dlbox.redact: URL credentials and secret URL parameters come out
as ***, whoever built the text. The one exception is a secret the command exists to show (the
user's own Jupyter token in `up`'s URL), registered with `reveal`."""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape
from rich.segment import Segment
from rich.text import Text

from dlbox.cli.output import _revealed as _revealed
from dlbox.cli.output import print_json as print_json
from dlbox.cli.output import print_result as print_result
from dlbox.cli.output import print_results as print_results
from dlbox.cli.output import redacted as redacted
from dlbox.cli.output import reveal as reveal
from dlbox.cli.output import reveal_url as reveal_url
from dlbox.errors import BuildError, DlboxError, ProcessError


class RedactingConsole(Console):
    """A Rich console whose rendered output goes through dlbox.redact before it is written."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return redacted(super()._render_buffer(buffer))


out = RedactingConsole(highlight=False, soft_wrap=True)
err = RedactingConsole(stderr=True, highlight=False, soft_wrap=True)


def plain(text: str, end: str = "\n") -> None:
    """Text as it is (no markup, no wrapping) on stdout: a file's text, a URL, a log."""
    sys.stdout.write(redacted(text) + end)


def _say(markup: str) -> None:
    """A note on stderr. On a terminal, wrapped at spaces to its width (a word, path or URL
    longer than a line stays whole on a line of its own, never cut); in a log or a pipe, each
    message whole on one line, for grep."""
    if not err.is_terminal:
        err.print(markup)
        return
    for line in Text.from_markup(markup).split("\n", allow_blank=True):
        for part in line.divide(line_starts(line.plain, err.width)):
            part.rstrip()
            err.print(part)


def line_starts(plain: str, width: int) -> list[int]:
    """Where to start new lines so plain fits width, breaking only at spaces: each line starts
    with the word that would have crossed the edge (a word longer than width keeps its line)."""
    starts: list[int] = []
    begin = 0
    for word in re.finditer(r"\S+", plain):
        if word.end() - begin > width and word.start() > begin:
            starts.append(word.start())
            begin = word.start()
    return starts


def info(message: str) -> None:
    _say(message)


def success(message: str) -> None:
    _say(f"[green]✓[/green] {message}")


def warn(message: str) -> None:
    _say(f"[bold yellow]warning:[/bold yellow] {message}")


def render_error(exc: DlboxError) -> str:
    """One paragraph: what happened, why (the few relevant lines), and what to do."""
    parts = [exc.message]
    if isinstance(exc, BuildError) and exc.relevant:
        parts.append("Relevant build output:\n" + "\n".join("  " + ln for ln in exc.relevant))
    elif isinstance(exc, ProcessError) and exc.stderr_tail:
        parts.append(
            "It said:\n" + "\n".join("  " + ln for ln in exc.stderr_tail.splitlines()[-8:])
        )
    if exc.log_path:
        parts.append(f"Full log: {exc.log_path}")
    if exc.hint:
        parts.append(f"Fix: {exc.hint}")
    return "\n".join(parts)


def fit(text: str, width: int) -> str:
    """Each line longer than width wrapped at spaces, keeping its indent; words, commands'
    arguments, paths and URLs are never cut (a longer one gets a line of its own)."""
    lines: list[str] = []
    for line in text.splitlines():
        if len(line) <= width:
            lines.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        lines += textwrap.wrap(
            line.strip(),
            width=width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
    return "\n".join(lines)


def error(exc: DlboxError, as_json: bool = False) -> None:
    if as_json:
        print_json({"ok": False, **exc.to_dict()})  # the error document
        return
    text = "error: " + render_error(exc)
    if err.is_terminal:  # a log or a pipe gets each line whole, for grep
        text = fit(text, err.width)
    err.print("[bold red]error:[/bold red]" + escape(text[len("error:") :]))
