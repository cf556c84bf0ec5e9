"""Plain-text `--help` in the style of uv and hatch.

One-line summary, the longer description, a usage line with arguments in capitals, then sections
(Commands, Arguments, Options and the option groups given with `rich_help_panel`). Flags carry no
metavar, value options show their value name (`--port PORT`), text is re-flowed to the terminal
width (at most 100 columns), words and URLs are never broken, and nothing is parsed as markup,
so `[brackets]` and backticks print as written.

This module holds the text layout (wrapping, paragraphs, definition lists, shell lines); the page
of one command, built from its Click parameters, is cli/help_page.py.
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
import textwrap
from collections.abc import Iterable, Sequence

MAX_WIDTH = 100
LEFT_MAX = 28  # a longer option name puts its help on the next line


def width() -> int:
    """The terminal's width (COLUMNS wins), between 40 and MAX_WIDTH."""
    columns = os.environ.get("COLUMNS", "")
    cols = int(columns) if columns.isdigit() else shutil.get_terminal_size((80, 24)).columns
    return max(40, min(cols, MAX_WIDTH))


def wrap(text: str, indent: str = "", cols: int | None = None) -> list[str]:
    """Re-flow one paragraph: single newlines become spaces, long words stay whole."""
    cols = cols or width()
    return textwrap.wrap(
        " ".join(text.split()),
        width=cols,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def paragraphs(doc: str | None) -> list[str]:
    """A docstring's paragraphs (text after a form feed is for developers only)."""
    text = inspect.cleandoc(doc or "").partition("\f")[0].strip()
    return [p.strip("\n").rstrip() for p in text.split("\n\n") if p.strip()]


def summary(doc: str | None) -> str:
    """The one-line summary: the first paragraph, with no trailing full stop (as uv lists them)."""
    first = paragraphs(doc)
    if not first:
        return ""
    return sentence(first_sentence(first[0]))


def first_sentence(text: str) -> str:
    """Up to the first full stop that ends a sentence (not one in `e.g.` or `i.e.`)."""
    flat = " ".join(text.split())
    for match in re.finditer(r"\.(\s|$)", flat):
        before = flat[: match.start() + 1]
        if not before.endswith(("e.g.", "i.e.", "etc.")):
            return before
    return flat


def sentence(text: str | None) -> str:
    """Text on one line with no trailing full stop (an ellipsis or `e.g.` stays)."""
    line = " ".join((text or "").split())
    if line.endswith(".") and not line.endswith(("..", "e.g.", "etc.")):
        return line[:-1]
    return line


def left_width(rows: Iterable[tuple[str, str]]) -> int:
    return min(max((len(name) for name, _ in rows), default=0), LEFT_MAX)


def definition_list(
    rows: Sequence[tuple[str, str]], cols: int | None = None, left: int | None = None
) -> list[str]:
    """Two columns: names left, help wrapped beside them with a hanging indent."""
    cols = cols or width()
    if not rows:
        return []
    left = left if left is not None else left_width(rows)
    indent = " " * (2 + left + 3)
    lines: list[str] = []
    for name, text in rows:
        head = "  " + name
        if not text:
            lines.append(head)
            continue
        wrapped = wrap(text, indent, cols)
        if len(name) > left:
            lines.append(head)
            lines.extend(wrapped)
        else:
            lines.append(head.ljust(len(indent)) + wrapped[0][len(indent) :])
            lines.extend(wrapped[1:])
    return lines


def block(paragraph: str) -> list[str]:
    """A paragraph re-flowed, or kept line by line when it is an indented example."""
    raw = paragraph.splitlines()
    if all(line.startswith("    ") for line in raw):
        return ["  " + line.strip() for line in raw]
    return wrap(paragraph)


def section(title: str, rows: Sequence[tuple[str, str]], left: int | None = None) -> list[str]:
    return ["", f"{title}:", *definition_list(rows, left=left)] if rows else []


_ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def shell_lines(argv: Sequence[str], cols: int | None = None) -> list[str]:
    """A command line to copy and paste: shell-quoted, one option with its value per line,
    lines joined by ` \\` continuations (one line when it fits)."""
    import shlex

    cols = cols or width()
    words = [shlex.quote(str(a)) for a in argv]
    if len(" ".join(words)) <= cols:
        return [" ".join(words)]
    head = 1
    while head < len(words) and not words[head].startswith("-") and head < 2:
        head += 1  # the program and its subcommand (`docker run`) start the first line
    groups = [" ".join(words[:head])]
    i = head
    while i < len(words):
        word = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else None
        if word.startswith("-") and "=" not in word and nxt is not None and not nxt.startswith("-"):
            groups.append(f"{word} {nxt}")
            i += 2
        elif word.startswith("-"):
            groups.append(word)
            i += 1
        elif _ENV_ASSIGNMENT.match(word):  # `env NAME=value ...`: one variable a line
            groups.append(word)
            i += 1
        else:  # the image (or first operand) and everything after it: one line when it fits
            rest = " ".join(words[i:])
            if len(rest) + 4 <= cols:
                groups.append(rest)
                break
            end = i + 1  # else the operands up to the next option, then options again
            while end < len(words) and not words[end].startswith("-"):
                end += 1
            groups.append(" ".join(words[i:end]))
            i = end
    return [groups[0] + " \\"] + [f"    {g} \\" for g in groups[1:-1]] + [f"    {groups[-1]}"]
