"""A small YAML writer for the values files dlbox generates (dicts, lists, strings, numbers,
booleans, null): block style that people can read and edit, every string double-quoted (a JSON
string is a valid YAML double-quoted scalar), so no value is ever re-typed by YAML ("on", "1e3",
"0755" stay strings). dlbox writes YAML but never needs to read it, hence no YAML dependency."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} cannot be written to a values file")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as YAML")


def _key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError(f"YAML mapping keys must be strings, got {key!r}")
    if _PLAIN_KEY.match(key) and key.lower() not in _YAML_WORDS:
        return key
    return json.dumps(key, ensure_ascii=False)


def _is_block(value: object) -> bool:
    """A non-empty mapping or list: written on the lines below its key."""
    if isinstance(value, Mapping):
        return bool(value)
    return isinstance(value, Sequence) and not isinstance(value, str) and bool(value)


def _inline(value: object) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "[]"
    return _scalar(value)


def _lines(value: object, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if _is_block(item):
                out.append(f"{pad}{_key(key)}:")
                # Lists sit at their key's indent (the usual style of Helm values files).
                nested = indent if not isinstance(item, Mapping) else indent + 2
                out += _lines(item, nested)
            else:
                out.append(f"{pad}{_key(key)}: {_inline(item)}")
        return out
    assert isinstance(value, Sequence) and not isinstance(value, str)
    for item in value:
        if _is_block(item):
            body = _lines(item, indent + 2)
            out.append(f"{pad}- {body[0].lstrip()}")
            out += body[1:]
        else:
            out.append(f"{pad}- {_inline(item)}")
    return out


def dump(data: Mapping[str, object], header: str = "") -> str:
    """The YAML text of a mapping, after `header` as # comment lines."""
    comments = [f"# {line}".rstrip() for line in header.splitlines()]
    return "\n".join([*comments, *_lines(data, 0)]) + "\n"
