"""Which engine a use case works with, from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from dlbox.config import Settings
from dlbox.engines.base import Engine
from dlbox.engines.detect import EngineChoice, select_engine
from dlbox.engines.docker import DockerEngine
from dlbox.errors import DlboxError, EngineUnavailable


def container_engine(cfg: Settings) -> EngineChoice:
    """The engine the settings ask for; the local engine is not a container engine."""
    choice = select_engine(cfg["engine"], cfg["docker_client"] or None)
    if choice.container is None:
        raise EngineUnavailable(
            f"This command needs a container engine, and none is usable: {choice.reason}.",
            "Start Docker (or Podman), or check `dlbox doctor` for what is missing.",
        )
    return choice


def environment_engine(cfg: Settings) -> tuple[Engine, EngineChoice]:
    """The engine `up`, `run`, `ps`, `logs`, `stop` and `shell` use: a container engine when one
    answers (or is asked for), else the local engine (a venv and host processes)."""
    choice = select_engine(cfg["engine"], cfg["docker_client"] or None)
    return choice.engine, choice


@dataclass(frozen=True)
class EngineInEffect:
    """The engine the settings choose, or why none answers (`config show` shows the settings
    even then: that is when people look at them)."""

    document: dict[str, object]  # the choice's to_dict(), or name None with the reason and fix
    summary: str  # "docker (reason)" or "none (why)"

    def to_dict(self) -> dict[str, object]:
        return self.document


def engine_in_effect(cfg: Settings) -> EngineInEffect:
    try:
        choice = select_engine(cfg["engine"], cfg["docker_client"] or None)
    except DlboxError as exc:
        return EngineInEffect(
            {"name": None, "reason": exc.message, "fix": exc.hint}, f"none ({exc.message})"
        )
    return EngineInEffect(choice.to_dict(), f"{choice.name} ({choice.reason})")


def container_engine_or_none(cfg: Settings) -> DockerEngine | None:
    """The container engine the settings choose, or None when the setting is `local` or no
    engine answers (what `clean` can still do without one: venvs and caches)."""
    try:
        choice = select_engine(cfg["engine"], cfg["docker_client"] or None)
    except DlboxError:
        return None
    return choice.container if cfg["engine"] != "local" else None
