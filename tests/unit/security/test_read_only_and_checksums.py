"""Read-only data folders give one clear error naming the folder and the fix (never a traceback,
never half a dataset); a present dataset verified against another checksum is not "success"."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from dlbox.cli.app import app
from tests.unit.datasets.archives import DOGSCATS, sha256, tgz
from tests.unit.datasets.loopback import LoopbackServer, Route


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """`folder` read-only for this process: 0555 for a normal user (CI runs tests as one); a
    read-only bind mount for root, whom file modes do not stop."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    mounted = subprocess.run(["mount", "--bind", str(folder), str(folder)], check=False)
    if mounted.returncode != 0:
        pytest.skip("root without mount: cannot make a read-only folder here")
    subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)
    try:
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def dlbox(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def clean(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


@pytest.fixture()
def served() -> Iterator[tuple[str, bytes]]:
    body = tgz(DOGSCATS)
    with LoopbackServer() as server:
        yield server.add("/dogscats.tgz", Route(body)), body


@pytest.mark.parametrize("sub", ["archive", ".dlbox", ""])
def test_read_only_data_folder_is_one_clear_error(
    tmp_path: Path, sub: str, served: tuple[str, bytes]
) -> None:
    url, body = served
    data = tmp_path / "data"
    for folder in ("archive", ".dlbox"):
        (data / folder).mkdir(parents=True)
    target = data / sub if sub else data
    with read_only(target):
        got = dlbox("data", "get", url, "--sha256", sha256(body), "--data-dir", str(data))
        clean(got)
        assert got.exit_code == 1, got.output
        assert "Cannot write in " in got.output and "read-only" in got.output
        assert f"Make {data}" in got.output and "--data-dir" in got.output
        assert not (data / "dogscats").exists()
        assert not any(p.name.startswith(".dlbox-tmp-") for p in data.iterdir())


def test_a_present_dataset_on_a_read_only_folder_is_still_present(
    tmp_path: Path, served: tuple[str, bytes]
) -> None:
    url, body = served
    data = tmp_path / "data"
    assert (
        dlbox("data", "get", url, "--sha256", sha256(body), "--data-dir", str(data)).exit_code == 0
    )
    with read_only(data):
        again = dlbox("data", "get", url, "--sha256", sha256(body), "--data-dir", str(data))
        clean(again)
        assert again.exit_code == 0 and "already present" in again.output
        removed = dlbox("data", "rm", "dogscats", "--data-dir", str(data))
        clean(removed)
        assert removed.exit_code == 1 and "read-only" in removed.output
    assert (data / "dogscats").is_dir()


def test_another_checksum_for_a_present_dataset_is_an_error_naming_force(
    tmp_path: Path, served: tuple[str, bytes]
) -> None:
    url, body = served
    data = tmp_path / "data"
    assert (
        dlbox("data", "get", url, "--sha256", sha256(body), "--data-dir", str(data)).exit_code == 0
    )
    other = "f" * 64
    got = dlbox("data", "get", url, "--sha256", other, "--data-dir", str(data))
    clean(got)
    assert got.exit_code == 1, got.output
    assert other in got.output and sha256(body) in got.output and "--force" in got.output
    # --force fetches again and checks against what was asked: the server's file does not match.
    forced = dlbox("data", "get", url, "--sha256", other, "--force", "--data-dir", str(data))
    clean(forced)
    assert forced.exit_code != 0 and "Checksum mismatch" in forced.output
