"""A code or data folder that `up` could not create: the dry run says so (creating nothing), the
real run fails the same way before any work, naming the folder, where the setting came from and
the fix, with exit code 2 and no traceback.

A regular file in the path makes a folder uncreatable for every user, root included (tests run
as root here and unprivileged in CI; a 0500 folder would not stop root)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from dlbox.cli.app import app


def dlbox(*args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("dry", [True, False], ids=["dry-run", "real"])
@pytest.mark.parametrize("key", ["code_dir", "data_dir"])
def test_a_folder_under_a_file_is_refused_before_anything_is_done(
    tmp_path: Path, isolated_dlbox_home: Path, key: str, dry: bool
) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder\n")
    folders = {"code_dir": tmp_path / "code", "data_dir": tmp_path / "data"}
    folders[key] = blocker / "sub" / "folder"
    flags = ["--code-dir", str(folders["code_dir"]), "--data-dir", str(folders["data_dir"])]
    before = _tree(tmp_path), _tree(isolated_dlbox_home)
    result = dlbox("up", *flags, "--no-data", *(["--dry-run"] if dry else []))
    assert result.exit_code == 2, result.output
    flag = "--" + key.replace("_", "-")
    assert (
        f"{key} = {folders[key]} (from flag {flag}) cannot be created: {blocker} is a file, not "
        "a folder." in " ".join(result.output.split())
    ), result.output
    assert f"Move {blocker} out of the way" in result.output
    assert f"pass a different {flag}" in result.output
    assert "docker run" not in result.output  # no plan shown as if it would work
    assert (_tree(tmp_path), _tree(isolated_dlbox_home)) == before  # nothing created anywhere
    assert blocker.read_text() == "a file, not a folder\n"


def test_the_json_error_names_the_environment_variable(
    tmp_path: Path, isolated_dlbox_home: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    env = {"DLBOX_CODE_DIR": str(blocker / "code"), "DLBOX_DATA_DIR": str(tmp_path / "data")}
    result = dlbox("up", "--dry-run", "--json", env=env)
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and doc["error"] == "ConfigError"
    assert f"(from env DLBOX_CODE_DIR) cannot be created: {blocker} is a file" in doc["message"]
    assert doc["hint"].endswith("change or unset DLBOX_CODE_DIR.")
    assert not (tmp_path / "data").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a 0500 folder")
def test_a_folder_under_a_read_only_parent_is_refused_in_a_dry_run(
    tmp_path: Path, isolated_dlbox_home: Path
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        result = dlbox("up", "--dry-run", "--code-dir", str(locked / "code"))
    finally:
        locked.chmod(0o700)
    assert result.exit_code == 2, result.output
    assert f"does not exist and cannot be created inside {locked}" in result.output
    assert not (locked / "code").exists()
