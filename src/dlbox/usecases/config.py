"""`dlbox init` and `dlbox config show|set|unset|path|check`: what each reads, checks and writes.
The CLI asks the questions and prints; these functions take the answers and return results."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dlbox import paths
from dlbox.config import Settings, find_project_file, load_settings
from dlbox.config.edit import (
    FOLDER_KEYS,
    InitResult,
    SetResult,
    init_config,
    project_target,
    set_setting,
    unset_setting,
    validate_folders,
    validated,
)
from dlbox.config.keys import KEYS
from dlbox.course.repos import CATALOG, configured_repo, resolve_course
from dlbox.usecases.engines import EngineInEffect, engine_in_effect

INIT_KEYS = ("code_dir", "data_dir", "course", "datasets", "gpus", "port")
QUESTIONS = {
    "code_dir": "Code folder (your notebooks and course repos, mounted at /code)",
    "data_dir": "Data folder (datasets and models, mounted at /data)",
    "course": f"Course to clone ({', '.join(CATALOG)}, a git URL, or empty for none)",
    "datasets": "Datasets `up` should make sure are present (comma-separated, may be empty)",
    "gpus": "GPUs (auto, all, none, or indices such as 0,1)",
    "port": "Preferred Jupyter port",
}


def shown(value: object) -> str:
    """A setting's value as the user types it (lists comma-separated)."""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def check_course(value: object) -> None:
    """A course setting names a known course or a git URL (empty: none)."""
    if isinstance(value, str) and value.strip():
        resolve_course(value)


def init_answer(name: str, raw: str) -> object:
    """One typed answer to `dlbox init`'s question `name`, checked; raises DlboxError."""
    value = validated(name, raw, "dlbox init")
    if name == "course":
        check_course(value)
    return value


def init_plan(
    current: Settings,
    given: Mapping[str, object | None],
    ask: Callable[[str], object] | None = None,
) -> dict[str, object]:
    """What `dlbox init` writes: the values given as flags, the answers `ask` returns for the
    others (when it may ask), and the folders in effect for those still open (init always
    writes and makes them). Raises before anything is written."""
    plan: dict[str, object] = {}
    for name in INIT_KEYS:
        value = given.get(name)
        if value is not None:
            plan[name] = value
        elif ask is not None:
            plan[name] = ask(name)
    for name in FOLDER_KEYS:
        plan.setdefault(name, current[name])
    check_course(plan.get("course"))
    return plan


def write_init(plan: Mapping[str, object]) -> InitResult:
    return init_config(plan)


@dataclass(frozen=True)
class ConfigShown:
    settings: Settings
    engine: EngineInEffect

    def to_dict(self) -> dict[str, object]:
        return {**self.settings.to_dict(), "engine_in_effect": self.engine.to_dict()}


def show_config() -> ConfigShown:
    """Every setting with its source, and the engine in effect (or why none answers)."""
    cfg = load_settings()
    return ConfigShown(cfg, engine_in_effect(cfg))


@dataclass(frozen=True)
class SetOutcome:
    change: SetResult
    overridden_by: str | None  # a higher layer that still decides the value, if any

    def to_dict(self) -> dict[str, object]:
        return self.change.to_dict()


def set_config(key: str, value: str, *, project: bool = False) -> SetOutcome:
    """Write one setting into the user config (or ./dlbox.toml); say if a higher layer (the
    project file, a DLBOX_* variable) still overrides it."""
    if key == "course":
        check_course(value)
    change = set_setting(key, value, file=project_target() if project else None)
    source = load_settings().source(key)
    return SetOutcome(change, None if str(change.file) in source else source)


def unset_config(key: str, *, project: bool = False) -> SetResult:
    return unset_setting(key, file=project_target() if project else None)


@dataclass(frozen=True)
class ConfigPaths:
    user_file: Path
    project_file: Path | None

    def to_dict(self) -> dict[str, object]:
        return {
            "user_file": str(self.user_file),
            "project_file": str(self.project_file) if self.project_file else None,
        }


def config_paths() -> ConfigPaths:
    return ConfigPaths(paths.config_file(), find_project_file())


def check_config() -> Settings:
    """Every layer loads, the folders are usable and the course is known; raises otherwise."""
    cfg = load_settings()
    validate_folders(cfg)
    if cfg["course"]:
        configured_repo(cfg)
    return cfg


SETTINGS_COUNT = len(KEYS)
