"""Loading the layers and remembering where each value came from."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlbox import paths
from dlbox.config.keys import KEYS, coerce, invalid
from dlbox.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found, no-redef, unused-ignore]

PROJECT_FILE = "dlbox.toml"
ENV_PREFIX = "DLBOX_"
# Tables in dlbox.toml that are not settings (owned by other features).
PROJECT_TABLES = ("extras",)


@dataclass(frozen=True)
class Value:
    value: object
    source: str  # "default", "user config (PATH)", "project (PATH)", "env DLBOX_X", "flag --x"


@dataclass
class Settings:
    values: dict[str, Value]
    user_file: Path
    project_file: Path | None
    project_tables: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.values[name].value

    def source(self, name: str) -> str:
        return self.values[name].source

    def to_dict(self) -> dict[str, object]:
        return {
            "user_file": str(self.user_file),
            "project_file": str(self.project_file) if self.project_file else None,
            "settings": {
                name: {
                    "value": str(v.value) if isinstance(v.value, Path) else v.value,
                    "source": v.source,
                }
                for name, v in self.values.items()
            },
        }


def find_project_file(start: Path | None = None) -> Path | None:
    """dlbox.toml in the current folder or the nearest parent."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


UTF8_BOM = b"\xef\xbb\xbf"


def read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
        bom = len(UTF8_BOM) if raw.startswith(UTF8_BOM) else 0  # Notepad writes one; TOML has none
        data: dict[str, Any] = tomllib.loads(raw[bom:].decode("utf-8"))
        return data
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid TOML: {exc}.",
            f"Fix the syntax at the position named (or delete {path} to start over).",
        ) from exc
    except UnicodeDecodeError as exc:
        line = _line_at(path, bom + exc.start)
        raise ConfigError(
            f"{path} is not UTF-8 text (byte {bom + exc.start}{line}).",
            f"Save it as UTF-8 (or delete {path} to start over).",
        ) from None
    except RecursionError:
        raise ConfigError(
            f"{path} nests tables or arrays too deeply to be a dlbox settings file.",
            f"dlbox settings are flat `key = value` lines: fix {path} (or delete it).",
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a folder, not a settings file.", f"Remove {path}.") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror}.", "Check its permissions.") from exc


def _apply(
    values: dict[str, Value],
    raw: Mapping[str, object],
    source: str,
    file: Path | None,
    allow_tables: bool = False,
) -> None:
    for name, item in raw.items():
        if allow_tables and name in PROJECT_TABLES:
            continue
        key = KEYS.get(name)
        where = _where(file, name) if file else source
        if key is None:
            close = [k for k in KEYS if k.startswith(name[:3])] or sorted(KEYS)
            raise ConfigError(
                f"Unknown setting {name!r} in {where}.",
                f"Remove it, or use one of the known keys ({', '.join(close)}); "
                "`dlbox config show` lists them all.",
            )
        try:
            values[name] = Value(coerce(key, item, source), source)
        except ValueError as exc:
            raise invalid(name, where, str(exc)) from None


def _line_at(path: Path, offset: int) -> str:
    try:
        number = path.read_bytes()[:offset].count(b"\n") + 1
    except OSError:
        return ""
    return f", line {number}"


def _where(file: Path, name: str) -> str:
    """`FILE line N` for the line that sets `name` (just FILE when it cannot be found)."""
    try:
        lines = file.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    except OSError:
        return str(file)
    pattern = re.compile(rf"^\s*(?:{re.escape(name)}|\"{re.escape(name)}\")\s*=")
    for number, line in enumerate(lines, 1):
        if pattern.match(line):
            return f"{file} line {number}"
    return str(file)


def load_settings(
    flags: Mapping[str, object] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user_file: Path | None = None,
) -> Settings:
    environ = os.environ if environ is None else environ
    user_file = user_file or paths.config_file()
    values = {name: Value(key.default(), "default") for name, key in KEYS.items()}
    if user_file.is_file():
        _apply(values, read_toml(user_file), f"user config ({user_file})", user_file)
    project = find_project_file(cwd)
    tables: dict[str, Any] = {}
    if project:
        data = read_toml(project)
        tables = {k: v for k, v in data.items() if k in PROJECT_TABLES}
        _apply(values, data, f"project ({project})", project, allow_tables=True)
    env_raw = {
        var[len(ENV_PREFIX) :].lower(): val
        for var, val in environ.items()
        if var.startswith(ENV_PREFIX) and var[len(ENV_PREFIX) :].lower() in KEYS
    }
    for name, val in env_raw.items():
        _apply(values, {name: val}, f"env {ENV_PREFIX}{name.upper()}", None)
    for name, flag in (flags or {}).items():
        if flag is not None:
            _apply(values, {name: flag}, f"flag --{name.replace('_', '-')}", None)
    return Settings(values, user_file, project, tables)
