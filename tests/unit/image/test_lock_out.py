"""`dlbox lock` writes into dlbox's source tree or --out, never into an installed package."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlbox.cli.app import build_app
from dlbox.errors import UsageError
from dlbox.image import relock


def _checkout(root: Path) -> Path:
    env = root / "src" / "dlbox" / "image" / "env"
    env.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "dlbox"\n')
    return env


def test_a_checkout_gets_its_own_env_folder(tmp_path: Path) -> None:
    env = _checkout(tmp_path / "repo")
    assert relock.lock_out_root(None, env) == env


def test_out_wins_over_the_checkout(tmp_path: Path) -> None:
    env = _checkout(tmp_path / "repo")
    assert relock.lock_out_root(tmp_path / "elsewhere", env) == (tmp_path / "elsewhere").resolve()


def test_an_installed_package_is_refused_with_the_fix(tmp_path: Path) -> None:
    env = tmp_path / "lib" / "python3.11" / "site-packages" / "dlbox" / "image" / "env"
    env.mkdir(parents=True)
    with pytest.raises(UsageError) as caught:
        relock.lock_out_root(None, env)
    assert "installed package" in caught.value.message and "--out DIR" in (caught.value.hint or "")


def test_cli_refuses_before_resolving_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = tmp_path / "site-packages" / "dlbox" / "image" / "env"
    env.mkdir(parents=True)
    monkeypatch.setattr(relock, "env_dir", lambda: env)
    result = CliRunner().invoke(build_app(["build_cmd"]), ["lock"])
    assert result.exit_code == 2, result.output
    assert "never into the installed package" in result.output and "--out DIR" in result.output
    assert list(env.iterdir()) == []
