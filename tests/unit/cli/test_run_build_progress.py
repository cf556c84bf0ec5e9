"""`dlbox run` on a first run: the build's progress on the user's terminal (stderr), then the
command. The builder is faked at its boundary (`ensure_environment`: BuildKit's output lines in,
a BuildResult out) and so is the engine's run of the command; the CLI, the use case and the
progress drawing are the real ones."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlbox.cli import console
from dlbox.cli.app import app
from dlbox.engines.base import ContainerSpec
from dlbox.engines.local.engine import LocalEngine
from dlbox.image.build import BuildOptions, BuildResult
from dlbox.usecases.reporting import OnLine

BUILDKIT_LINES = (
    "#1 [internal] load build definition from Dockerfile",
    "#5 [stage-0 1/9] FROM docker.io/library/debian-slim",
    "#9 [stage-0 6/9] RUN uv pip install --requirement pylock.toml",
)


def shown(screen: io.StringIO) -> str:
    """What the terminal showed, without the colour and cursor control sequences."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """console.err drawn as on an 80-column terminal, into a buffer the test reads."""
    screen = io.StringIO()
    tty = console.RedactingConsole(
        file=screen, force_terminal=True, width=80, highlight=False, soft_wrap=True
    )
    monkeypatch.setattr(console, "err", tty)
    return screen


def test_a_first_run_shows_the_build_then_runs_the_command(
    terminal: io.StringIO, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    built: list[str] = []
    ran: list[ContainerSpec] = []

    def fake_build(engine: object, options: BuildOptions, on_line: OnLine) -> BuildResult:
        for line in BUILDKIT_LINES:
            on_line(line)
        built.append(type(engine).__name__)
        venv = str(tmp_path / "venv")
        return BuildResult(venv, "0123456789abcdef", True, 754.2, None, {}, "none")

    def fake_run(self: LocalEngine, spec: ContainerSpec) -> int:
        ran.append(spec)
        return 3

    monkeypatch.setattr("dlbox.usecases.environment.ensure_environment", fake_build)
    monkeypatch.setattr(LocalEngine, "run_interactive", fake_run)
    monkeypatch.setenv("DLBOX_CODE_DIR", str(tmp_path / "code"))
    monkeypatch.setenv("DLBOX_DATA_DIR", str(tmp_path / "data"))

    done = CliRunner().invoke(
        app, ["run", "--engine", "local", "--gpus", "none", "--", "python", "-V"]
    )

    assert done.exit_code == 3, done.output  # the command's exit code is dlbox run's
    assert built == ["LocalEngine"] and len(ran) == 1
    assert list(ran[0].command[-2:]) == ["python", "-V"]
    seen = shown(terminal)
    # The live status names what is built and BuildKit's latest step, on stderr.
    assert "building local environment (venv)" in seen
    assert "[stage-0 6/9] RUN uv pip install --requirement pylock.toml" in seen
    # When it is done, one line that stays: what was built and how long it took.
    assert f"✓ built {tmp_path / 'venv'} in 754 s" in " ".join(seen.split())  # maybe wrapped
    assert "built" not in done.stdout  # the command owns stdout


def test_a_run_with_the_environment_present_shows_no_build(
    terminal: io.StringIO, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def present(engine: object, options: BuildOptions, on_line: OnLine) -> BuildResult:
        return BuildResult(
            str(tmp_path / "venv"), "0123456789abcdef", False, 0.01, None, {}, "none"
        )

    monkeypatch.setattr("dlbox.usecases.environment.ensure_environment", present)
    monkeypatch.setattr(LocalEngine, "run_interactive", lambda self, spec: 0)
    monkeypatch.setenv("DLBOX_CODE_DIR", str(tmp_path / "code"))
    monkeypatch.setenv("DLBOX_DATA_DIR", str(tmp_path / "data"))

    done = CliRunner().invoke(app, ["run", "--engine", "local", "--gpus", "none", "--", "true"])

    assert done.exit_code == 0, done.output
    assert "built" not in shown(terminal)
