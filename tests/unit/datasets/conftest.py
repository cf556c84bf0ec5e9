"""Fixtures: a loopback HTTP server (127.0.0.1 only) and a data folder per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from dlbox.cli.app import app
from tests.unit.datasets.loopback import LoopbackServer


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def dlbox(*args: str) -> Result:
    """Run the real CLI in-process; stdout and stderr are kept apart."""
    return CliRunner().invoke(app, list(args))


def listing(root: Path) -> list[str]:
    """Every path under root (relative), links shown with their target."""
    out = []
    for folder, dirs, files in os.walk(root):
        for name in sorted(dirs + files):
            path = Path(folder) / name
            rel = str(path.relative_to(root))
            out.append(f"{rel} -> {os.readlink(path)}" if path.is_symlink() else rel)
    return sorted(out)
