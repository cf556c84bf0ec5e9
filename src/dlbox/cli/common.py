"""Shared CLI plumbing: run a command body, map errors to text/JSON and exit codes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NoReturn, TypeVar

import typer

from dlbox.cli import console
from dlbox.config import Settings, load_settings
from dlbox.engines.base import Engine
from dlbox.engines.detect import EngineChoice, select_engine
from dlbox.engines.local import LocalEngine
from dlbox.errors import DlboxError, EngineUnavailable

T = TypeVar("T")

JSON_HELP = "Print a machine-readable JSON document instead of text."


def fail(exc: DlboxError, as_json: bool = False) -> NoReturn:
    console.error(exc, as_json)
    raise typer.Exit(exc.exit_code)


def guarded(body: Callable[[], T], as_json: bool = False) -> T:
    """Run body; a DlboxError becomes a one-paragraph message and its exit code."""
    try:
        return body()
    except DlboxError as exc:
        fail(exc, as_json)
    except KeyboardInterrupt:
        console.err.print("interrupted")
        raise typer.Exit(130) from None


def settings(flags: Mapping[str, object] | None = None) -> Settings:
    return load_settings(flags)


def container_engine(cfg: Settings) -> EngineChoice:
    """The engine the settings ask for; the local engine is not a container engine."""
    choice = select_engine(cfg["engine"], cfg["docker_client"] or None)
    if choice.engine is None:
        raise EngineUnavailable(
            f"This command needs a container engine, and none is usable: {choice.reason}.",
            "Start Docker (or Podman), or check `dlbox doctor` for what is missing.",
        )
    return choice


def environment_engine(cfg: Settings) -> tuple[Engine, EngineChoice]:
    """The engine `up`, `run`, `ps`, `logs`, `stop` and `shell` use: a container engine when one
    answers (or is asked for), else the local engine (a venv and host processes)."""
    choice = select_engine(cfg["engine"], cfg["docker_client"] or None)
    engine: Engine = choice.engine if choice.engine is not None else LocalEngine()
    return engine, choice
