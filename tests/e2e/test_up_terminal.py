"""`dlbox up` in a real 80x24 terminal (tmux) with the real fastai image: every status line
fits, and the URL is printed whole on a line of its own (the terminal may soft-wrap it, which
keeps it one line for copying and clicking; dlbox never inserts a break into it)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import need
from tests.e2e.test_up import Project
from tests.helpers import dlbox, free_port_block
from tests.terminal import run_in_terminal, tmux_path

pytestmark = pytest.mark.e2e
URL = re.compile(r"^http://127\.0\.0\.1:\d+/lab\?token=[0-9a-f]{64}$")


@pytest.fixture
def project(tmp_path: Path, fastai_image: str) -> Iterator[Project]:
    if not tmux_path():
        need("tmux is not installed (scripts/setup-engine installs it)")
    proj = Project(tmp_path, free_port_block(4))
    yield proj
    for s in json.loads(dlbox("ps", "--json").stdout or "[]"):
        if s["code_dir"].startswith(str(tmp_path)):
            dlbox("stop", s["name"])


def test_up_in_an_80x24_terminal(project: Project) -> None:
    keep = ("DLBOX_STATE_DIR", "DLBOX_CONFIG_FILE", "PATH", "HOME", "DOCKER_HOST")
    env = {k: os.environ[k] for k in keep if k in os.environ} | {"TERM": "xterm-256color"}
    screen = run_in_terminal(["up", *project.args("--gpus", "none")], env, timeout=900)
    assert screen.code == 0, screen.joined
    urls = [line for line in screen.joined if URL.match(line)]
    assert len(urls) == 1, screen.joined  # the whole URL, alone on its line
    assert any(line.startswith("✓ ") and "ready in" in line for line in screen.joined)
