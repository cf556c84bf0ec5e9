"""Writing dlbox's TOML files: a small, safe writer for the flat value types settings use
(str, int, bool, list of str) plus one level of tables (e.g. [extras] in dlbox.toml), and
atomic replacement (temp file in the same folder + rename) so a crash never leaves half a file."""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

from dlbox.errors import ConfigError

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _string(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else _string(name)


def _value(value: object, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, Path):
        return _string(str(value))
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(item, where) for item in value) + "]"
    raise ConfigError(
        f"Cannot write {where} = {value!r}: dlbox's config files hold only strings, whole numbers, "
        "true/false and lists of those.",
        "Use a simpler value.",
    )


def dumps(data: Mapping[str, object]) -> str:
    """TOML text for `data`: plain keys first (in the given order), then one [table] per dict."""
    lines: list[str] = []
    tables: list[tuple[str, Mapping[str, object]]] = []
    for name, value in data.items():
        if isinstance(value, Mapping):
            tables.append((name, value))
        elif value is not None:
            lines.append(f"{_key(name)} = {_value(value, name)}")
    for name, table in tables:
        if lines:
            lines.append("")
        lines.append(f"[{_key(name)}]")
        for sub, value in table.items():
            if isinstance(value, Mapping):
                raise ConfigError(
                    f"Cannot write [{name}.{sub}]: dlbox writes only one level of tables.",
                    "Flatten the table.",
                )
            if value is not None:
                lines.append(f"{_key(sub)} = {_value(value, f'{name}.{sub}')}")
    return "\n".join(lines) + "\n"


def write_atomic(path: Path, text: str) -> Path:
    """Replace path with text atomically (same-folder temp file, fsync, rename); keeps the old
    file's permissions when there was one. Never replaces a device, folder or link (so even
    `--force`, or root, cannot turn /dev/null into a file)."""
    path = path.expanduser()
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise ConfigError(
            f"Cannot write {path}: it is {'a link' if path.is_symlink() else 'not a plain file'}, "
            "and dlbox replaces only plain files.",
            "Give the path of a new file, or of a plain file dlbox may replace.",
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.chmod(mode)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        existing = next((p for p in path.parents if p.exists()), None)
        if existing is not None and not existing.is_dir():
            raise ConfigError(
                f"Cannot write {path}: {existing} is a file, not a folder.",
                f"Move {existing} out of the way, or pick another path for the file.",
            ) from exc
        raise ConfigError(
            f"Cannot write {path}: {exc.strerror or exc}.",
            f"Check that {path.parent} exists and is writable.",
        ) from exc
    return path


def write_toml(path: Path, data: Mapping[str, object]) -> Path:
    return write_atomic(path, dumps(data))
