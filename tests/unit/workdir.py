"""Fixtures for tests that must run in an empty working folder (no dlbox.toml from the checkout
leaks in); conftest files import them."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture()
def user_file(isolated_dlbox_home: Path) -> Path:
    return isolated_dlbox_home / "config.toml"
