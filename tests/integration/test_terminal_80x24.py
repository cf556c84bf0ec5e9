"""`dlbox doctor` and `dlbox ps` in a real 80x24 terminal (tmux): nothing the terminal has to
wrap, the doctor's summary and problems on the last screen, the ps URL whole and clickable."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from dlbox import paths
from dlbox.engines.docker import DockerEngine
from dlbox.launch.labels import OWNER_LABEL
from dlbox.launch.sessions import ENGINE_FILE, PORT_LABEL, SESSION_LABEL
from tests.conftest import need
from tests.helpers import docker
from tests.terminal import run_in_terminal, tmux_path

pytestmark = pytest.mark.engine


@pytest.fixture(autouse=True)
def terminal() -> None:
    if not tmux_path():
        need("tmux is not installed (scripts/setup-engine installs it)")


def home_env() -> dict[str, str]:
    keep = ("DLBOX_STATE_DIR", "DLBOX_CONFIG_FILE", "PATH", "HOME", "DOCKER_HOST")
    return {k: os.environ[k] for k in keep if k in os.environ} | {"TERM": "xterm-256color"}


def test_doctor_fits_an_80x24_terminal(docker_engine: DockerEngine) -> None:
    screen = run_in_terminal(["doctor"], home_env())
    assert screen.code in (0, 1), screen.joined
    assert not screen.wrapped and screen.raw == screen.joined  # no row was wrapped
    last_screen = screen.raw[-24:]
    assert any(" ok, " in line and " fail, " in line for line in last_screen), last_screen
    checks = [ln for ln in screen.joined if ln[:2] in ("✓ ", "- ")]
    assert len(checks) >= 8  # one line per passing check


@pytest.fixture
def session(docker_engine: DockerEngine) -> Iterator[str]:
    name = f"dlbox-test-tmux-{secrets.token_hex(4)}"
    labels = [SESSION_LABEL + "=1", f"{OWNER_LABEL}={os.getuid()}", f"{PORT_LABEL}=18873"]
    argv = ["run", "-d", "--name", name, *[x for lb in labels for x in ("--label", lb)]]
    started = docker(*argv, "debian:bookworm-slim", "sleep", "300")
    assert started.returncode == 0, started.stderr
    record = paths.sessions_dir() / name  # the session folder `up` leaves names its engine
    record.mkdir(parents=True)
    (record / ENGINE_FILE).write_text("docker\n")
    yield name
    docker("rm", "-f", name)


def test_ps_fits_an_80x24_terminal_with_the_url_whole(session: str) -> None:
    screen = run_in_terminal(["ps"], home_env())
    assert screen.code == 0, screen.joined
    assert not screen.wrapped and screen.raw == screen.joined
    row = next(line for line in screen.raw if line.startswith(session))
    assert row.split()[-1] == "http://127.0.0.1:18873/lab"  # the row fits, URL last and whole
    assert row.split()[2] == "up"


def test_a_long_error_is_wrapped_at_word_boundaries_in_an_80x24_terminal() -> None:
    """dlbox wraps its own error (every known key is listed): the terminal never cuts a word."""
    screen = run_in_terminal(["config", "unset", "nosuch"], home_env())
    assert screen.code == 2, screen.joined
    assert not screen.wrapped and screen.raw == screen.joined
    text = " ".join(line.strip() for line in screen.joined)
    assert "error: Unknown setting 'nosuch'" in text
    assert "hub_gpu_node_selector, hub_gpu_policy," in text  # whole words, in order
    assert "`dlbox config show` lists them all." in text


def test_course_list_fits_an_80x24_terminal(tmp_path_factory: pytest.TempPathFactory) -> None:
    code = tmp_path_factory.mktemp("code")
    screen = run_in_terminal(["course", "list"], home_env() | {"DLBOX_CODE_DIR": str(code)})
    assert screen.code == 0, screen.joined
    assert not screen.wrapped and screen.raw == screen.joined
    row = next(line for line in screen.raw if line.startswith("fastai-dl1 "))
    assert row.split() == [
        "fastai-dl1",
        "-",
        "fastai/courses/dl1",
        "https://github.com/fastai/fastai",
    ]
