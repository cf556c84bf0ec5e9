"""What users see from the CLI itself: version, help everywhere, errors as one paragraph."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from dlbox import __version__
from dlbox.cli.app import app
from dlbox.cli.console import render_error
from dlbox.errors import BuildError

runner = CliRunner()


def all_command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(cmd: object, prefix: list[str]) -> None:
        paths.append(prefix)
        commands = getattr(cmd, "commands", None)
        if isinstance(commands, dict):
            for name, sub in commands.items():
                walk(sub, [*prefix, name])

    walk(root, [])
    return paths


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"dlbox {__version__}"


def test_python_dash_m_works() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dlbox", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and __version__ in done.stdout


@pytest.mark.parametrize("path", all_command_paths(), ids=lambda p: " ".join(p) or "dlbox")
def test_help_on_every_command(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_core_commands_exist() -> None:
    names = {" ".join(p) for p in all_command_paths()}
    assert {"build", "lock", "up", "ps", "logs", "stop", "shell", "run"} <= names


def test_build_error_shows_relevant_lines_log_and_fix() -> None:
    exc = BuildError(
        "Building dlbox-env:x failed (exit code 1).",
        relevant=["ERROR: hash mismatch for torch"],
        log_path=Path("/tmp/b.log"),
        hint="Run dlbox lock.",
    )
    text = render_error(exc)
    assert "hash mismatch" in text and "/tmp/b.log" in text and "Fix: Run dlbox lock." in text
    assert "Traceback" not in text


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["up", "--gpus", "banana"], "'gpus' in flag --gpus: expected auto, all, none"),
        (["up", "--shm-size", "lots"], "'shm_size' in flag --shm-size"),
        (["up", "--port", "70000"], "expected a port number from 1 to 65535"),
        (["up", "--host", "bad host"], "'host' in flag --host: expected an IP address"),
        (["up", "--ipc", "weird"], "--ipc weird"),
        (["build", "--ca-bundle", "/nonexistent.pem"], "--ca-bundle"),
        (["build", "--push", "UPPER/bad ref"], "is not an image reference"),
    ],
)
def test_bad_flags_are_one_paragraph_and_exit_2(args: list[str], says: str) -> None:
    """Rejected before any engine work, so no engine is needed for this test."""
    result = runner.invoke(app, [*args, "--engine", "local"])
    assert result.exit_code == 2, result.output
    assert says in result.output and "Fix:" in result.output
    assert "Traceback" not in result.output


def test_build_progress_names_the_step() -> None:
    from dlbox.cli.progress import step_description

    assert (
        step_description("#12 [stage-0 8/12] RUN uv pip install")
        == "[stage-0 8/12] RUN uv pip install"
    )
    assert step_description("[venv] installing torch layer") == "installing torch layer"
    assert step_description("#12 0.071 Using Python 3.11.2") is None
