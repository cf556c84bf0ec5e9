"""Changing the config files (`dlbox init`, `dlbox config set`) and checking the folders settings
point at. Every write keeps the keys and tables it was not asked about."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlbox import paths
from dlbox.config.keys import KEYS, coerce, invalid
from dlbox.config.load import PROJECT_FILE, Settings, read_toml
from dlbox.config.write import write_toml
from dlbox.errors import ConfigError

FOLDER_KEYS = ("code_dir", "data_dir")


@dataclass(frozen=True)
class SetResult:
    file: Path
    key: str
    value: object
    previous: object | None

    def to_dict(self) -> dict[str, object]:
        return {
            "file": str(self.file),
            "key": self.key,
            "value": _plain(self.value),
            "previous": _plain(self.previous),
        }


@dataclass(frozen=True)
class InitResult:
    file: Path
    written: dict[str, object]
    created: list[Path] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "file": str(self.file),
            "written": {k: _plain(v) for k, v in self.written.items()},
            "created": [str(p) for p in self.created],
        }


def _plain(value: object) -> object:
    return str(value) if isinstance(value, Path) else value


def unknown_key(name: str, where: str) -> ConfigError:
    close = [k for k in KEYS if k.startswith(name[:3])] or sorted(KEYS)
    return ConfigError(
        f"Unknown setting {name!r} in {where}.",
        f"Use one of the known keys ({', '.join(close)}); `dlbox config show` lists them all.",
    )


def validated(name: str, raw: object, where: str, *, absolute: bool = True) -> object:
    """The value `raw` for setting `name`, typed and checked, or a ConfigError naming the key,
    where it was going and how to fix it."""
    key = KEYS.get(name)
    if key is None:
        raise unknown_key(name, where)
    try:
        value = coerce(key, raw, where)
    except ValueError as exc:
        raise invalid(name, where, str(exc)) from None
    if isinstance(value, Path) and absolute:
        value = value.expanduser().absolute()
    return value


def _stored(value: object) -> object:
    return str(value) if isinstance(value, Path) else value


def _read(path: Path) -> dict[str, Any]:
    return read_toml(path) if path.is_file() else {}


def project_target(cwd: Path | None = None) -> Path:
    """The dlbox.toml `config set --project` writes: the one in the current folder."""
    return (cwd or Path.cwd()) / PROJECT_FILE


def set_setting(name: str, raw: object, *, file: Path | None = None) -> SetResult:
    """Write one setting into `file` (default: the user config file), keeping everything else."""
    target = (file or paths.config_file()).expanduser()
    # A project file may hold relative folders (kept as written, so the project stays portable).
    project = target.name == PROJECT_FILE
    value = validated(name, raw, "`dlbox config set`", absolute=not project)
    if name in FOLDER_KEYS:
        assert isinstance(value, Path)
        folder = target.parent / value if project else value
        check_folder(name, folder, f"`dlbox config set` ({target})", explicit=True)
    data = _read(target)
    previous = data.get(name)
    data[name] = _stored(value)
    write_toml(target, data)
    return SetResult(target, name, value, previous)


def unset_setting(name: str, *, file: Path | None = None) -> SetResult:
    """Remove one setting from `file` so the layer below applies again."""
    target = (file or paths.config_file()).expanduser()
    if name not in KEYS:
        raise unknown_key(name, str(target))
    data = _read(target)
    previous = data.pop(name, None)
    if previous is not None:
        write_toml(target, data)
    return SetResult(target, name, None, previous)


def init_config(answers: Mapping[str, object], *, file: Path | None = None) -> InitResult:
    """`dlbox init`: validate the answers, create the code and data folders, and merge the
    answers into the user config file (other keys survive)."""
    target = (file or paths.config_file()).expanduser()
    values = {
        name: validated(name, raw, f"dlbox init ({target})")
        for name, raw in answers.items()
        if raw is not None
    }
    data = _read(target)  # read first: a broken file stops us before we touch anything
    created: list[Path] = []
    for name in FOLDER_KEYS:
        folder = values.get(name)
        if isinstance(folder, Path) and not folder.is_dir():
            created.append(make_folder(name, folder, "dlbox init"))
    for name, value in values.items():
        data[name] = _stored(value)
    write_toml(target, data)
    return InitResult(target, values, created)


def make_folder(name: str, folder: Path, source: str) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"Cannot create {name} = {folder} (from {source}): {exc.strerror or exc}.",
            _fix(name, source, f"Create {folder} yourself, or choose a folder you can write"),
        ) from exc
    return folder


def _fix(name: str, source: str, first: str) -> str:
    if source.startswith("env "):
        how = f"change or unset {source[4:]}"
    elif source.startswith("flag "):
        how = f"pass a different {source[5:]}"
    elif source.startswith("project"):
        how = f"`dlbox config set --project {name} PATH` (or edit dlbox.toml)"
    else:
        how = f"`dlbox config set {name} PATH`"
    return f"{first}, or point {name} elsewhere: {how}."


def check_folder(name: str, folder: Path, source: str, *, explicit: bool) -> None:
    """Raise ConfigError when `folder` cannot serve as `name`. A folder that does not exist yet is
    fine when its parent does (dlbox creates it); an explicitly configured folder whose parent is
    missing is most likely a typo or an unmounted disk, so that is an error too."""
    label = f"{name} = {folder} (from {source})"
    if folder.exists() and not folder.is_dir():
        raise ConfigError(
            f"{label} is a file, not a folder.", _fix(name, source, f"Move {folder} out of the way")
        )
    if folder.is_dir():
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ConfigError(
                f"{label} is not writable by you.",
                _fix(name, source, f"Fix its permissions (chmod u+rwx {folder})"),
            )
        return
    parent = folder.parent
    if explicit and not parent.is_dir():
        raise ConfigError(
            f"{label}: its parent folder {parent} does not exist.",
            _fix(name, source, f"Create it (mkdir -p {parent})"),
        )
    ancestor = parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ConfigError(
            f"{label} cannot be created: {ancestor} is a file, not a folder.",
            _fix(name, source, f"Move {ancestor} out of the way"),
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ConfigError(
            f"{label} does not exist and cannot be created inside {ancestor}.",
            _fix(name, source, f"Create {folder} yourself"),
        )


def validate_folders(settings: Settings) -> None:
    """Check code_dir and data_dir: existing ones must be writable folders; missing ones must be
    creatable (for values the user set, the parent must exist)."""
    for name in FOLDER_KEYS:
        source = settings.source(name)
        check_folder(name, Path(settings[name]), source, explicit=source != "default")
