"""Changing one list in one table of a TOML text while keeping everything else byte for byte:
comments, key order, other tables, formatting. dlbox.toml is the user's file; `dlbox add` must
only touch the [extras] list it was asked to change.

The scanner knows enough TOML to find statement boundaries (strings of all four kinds, comments,
brackets and braces); the result is always re-parsed and compared with what was intended, so a
layout it does not understand is refused rather than damaged.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any

from dlbox.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found, no-redef, unused-ignore]

ONE_LINE_LIMIT = 88
_HEADER = re.compile(r"^[ \t]*\[(?!\[)[ \t]*([A-Za-z0-9_.\"' -]+?)[ \t]*\][ \t]*(#.*)?$")
_ARRAY_TABLE = re.compile(r"^[ \t]*\[\[")
_KEY = re.compile(r"^[ \t]*([A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')[ \t]*=")


@dataclass(frozen=True)
class _Statement:
    table: str  # "" for the top level
    key: str | None  # None for a header line
    start: int  # offset of the line start
    value_end: int  # offset just after the value (before any trailing comment)
    end: int  # offset just after the statement's last line (its newline included)


def _skip_string(text: str, i: int) -> int:
    """Offset just past the string starting at text[i]."""
    for quote in ('"""', "'''"):
        if text.startswith(quote, i):
            j = text.find(quote, i + 3)
            while quote == '"""' and j > 0 and _escaped(text, j):
                j = text.find(quote, j + 1)
            if j < 0:
                raise _syntax()
            # A closing delimiter may be followed by up to two more quotes that belong inside.
            extra = 0
            while extra < 2 and text.startswith(quote[0], j + 3 + extra):
                extra += 1
            return j + 3 + extra
    quote = text[i]
    j = i + 1
    while j < len(text):
        ch = text[j]
        if ch == "\\" and quote == '"':
            j += 2
            continue
        if ch == quote:
            return j + 1
        if ch == "\n":
            raise _syntax()
        j += 1
    raise _syntax()


def _escaped(text: str, j: int) -> bool:
    count = 0
    while j - 1 - count >= 0 and text[j - 1 - count] == "\\":
        count += 1
    return count % 2 == 1


def _syntax() -> ConfigError:
    return ConfigError(
        "dlbox.toml is not valid TOML (an unterminated string).",
        "Fix the file, then run the command again.",
    )


def _value_end(text: str, i: int) -> int:
    """Offset just past the value that starts at or after text[i] (brackets balanced)."""
    depth = 0
    while i < len(text):
        ch = text[i]
        if ch in "\"'":
            i = _skip_string(text, i)
            if depth == 0:
                return i
            continue
        if ch == "#":
            nl = text.find("\n", i)
            i = len(text) if nl < 0 else nl
            continue
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return i + 1
        elif ch == "\n" and depth == 0:
            return _trim(text, i)
        i += 1
    return _trim(text, len(text))


def _trim(text: str, i: int) -> int:
    cut = text.rfind("#", text.rfind("\n", 0, i) + 1, i)
    j = cut if cut >= 0 else i
    while j > 0 and text[j - 1] in " \t":
        j -= 1
    return j


def _line_end(text: str, i: int) -> int:
    nl = text.find("\n", i)
    return len(text) if nl < 0 else nl + 1


def _statements(text: str) -> list[_Statement]:
    found: list[_Statement] = []
    table = ""
    i = 0
    while i < len(text):
        end = _line_end(text, i)
        line = text[i:end].rstrip("\n").rstrip("\r")
        header = _HEADER.match(line)
        key = _KEY.match(line)
        if _ARRAY_TABLE.match(line):
            table = "[[" + line.strip() + "]]"  # never an [extras] table
            found.append(_Statement(table, None, i, end, end))
        elif header:
            table = header.group(1).strip()
            found.append(_Statement(table, None, i, end, end))
        elif key:
            name = key.group(1).strip("\"'")
            value_end = _value_end(text, i + key.end())
            stmt_end = _line_end(text, max(value_end - 1, i))
            found.append(_Statement(table, name, i, value_end, stmt_end))
            end = stmt_end
        i = end
    return found


def format_array(key: str, values: list[str]) -> str:
    """`key = ["a", "b"]`, or one item a line when that would be long."""
    items = [_quote(v) for v in values]
    one = f"{key} = [{', '.join(items)}]"
    if len(one) <= ONE_LINE_LIMIT:
        return one
    return f"{key} = [\n" + "".join(f"    {item},\n" for item in items) + "]"


def _quote(value: str) -> str:
    out = value.replace("\\", "\\\\").replace('"', '\\"')
    out = "".join(ch if ord(ch) >= 0x20 and ord(ch) != 0x7F else f"\\u{ord(ch):04x}" for ch in out)
    return f'"{out}"'


def set_array(text: str, table: str, key: str, values: list[str]) -> str:
    """text with `table.key` set to `values` (created where missing), nothing else changed.

    Raises ConfigError when the file is not valid TOML, or defines the table in a form this
    editor does not change in place (an inline table, dotted keys)."""
    before = _parse(text)
    statements = _statements(text)
    if table in before and not any(s.table == table and s.key is None for s in statements):
        raise _cannot(table, key)
    new_value = format_array(key, values)
    target = next((s for s in statements if s.table == table and s.key == key), None)
    if target is not None:
        out = (
            text[: target.start]
            + _indent(text, target.start)
            + new_value
            + text[target.value_end :]
        )
    else:
        in_table = [s for s in statements if s.table == table]
        if in_table:
            anchor = in_table[-1].end
            out = (
                text[:anchor] + _newline_if_needed(text[:anchor]) + new_value + "\n" + text[anchor:]
            )
        else:
            head = text if not text or text.endswith("\n") else text + "\n"
            gap = "\n" if head.strip() else ""
            out = head + gap + f"[{table}]\n{new_value}\n"
    _check(before, _parse(out), table, key, values)
    return out


def _indent(text: str, start: int) -> str:
    line = text[start : _line_end(text, start)]
    return line[: len(line) - len(line.lstrip(" \t"))]


def _newline_if_needed(head: str) -> str:
    return "" if not head or head.endswith("\n") else "\n"


def _parse(text: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"dlbox.toml is not valid TOML: {exc}.",
            "Fix the syntax at the position named, then run the command again.",
        ) from exc


def _check(
    before: dict[str, Any], after: dict[str, Any], table: str, key: str, values: list[str]
) -> None:
    expected = dict(before)
    section = dict(expected.get(table, {}) or {})
    section[key] = values
    expected[table] = section
    if after != expected:
        raise _cannot(table, key)


def _cannot(table: str, key: str) -> ConfigError:
    return ConfigError(
        f"dlbox cannot change [{table}] {key} in this dlbox.toml without touching other "
        "content (is [extras] an inline table or written with dotted keys?).",
        f"Write it as a plain table: a line `[{table}]` followed by `{key} = [...]`, "
        "then run the command again.",
    )
