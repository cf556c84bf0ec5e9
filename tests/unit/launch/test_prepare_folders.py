"""The folders every environment container mounts (code, data, the container home): created for
the user the container runs as, or one clear error naming the folder and the fix. `run`,
`verify` and `shell` reach this directly (`up` checks its folders before any work)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dlbox import paths
from dlbox.errors import UsageError
from dlbox.launch.environment import prepare_folders
from dlbox.launch.options import EnvOptions
from dlbox.launch.user import HostUser


def test_missing_folders_are_created_for_the_container_user(
    tmp_path: Path, isolated_dlbox_home: Path
) -> None:
    code, data = tmp_path / "new" / "code", tmp_path / "new" / "data"
    me = os.geteuid() == 0
    user = HostUser(4242, 4343, via_sudo=True) if me else HostUser(os.getuid(), os.getgid())
    prepare_folders(EnvOptions(code_dir=code, data_dir=data), user)
    home = paths.state_dir() / "home"
    for folder in (code, data, home):
        assert folder.is_dir()
        assert (folder.stat().st_uid, folder.stat().st_gid) == (user.uid, user.gid)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give folders to another user")
def test_folders_that_exist_keep_their_owner(tmp_path: Path, isolated_dlbox_home: Path) -> None:
    code, data = tmp_path / "code", tmp_path / "data"
    code.mkdir()
    data.mkdir()
    prepare_folders(EnvOptions(code_dir=code, data_dir=data), HostUser(4242, 4343, via_sudo=True))
    assert code.stat().st_uid == 0 and data.stat().st_uid == 0
    prepare_folders(EnvOptions(code_dir=tmp_path / "c2", data_dir=data), HostUser(0, 0))
    assert (tmp_path / "c2").stat().st_uid == 0  # root's own run: nothing to give away


@pytest.mark.parametrize("key", ["code_dir", "data_dir"])
def test_a_folder_that_cannot_be_created_is_one_clear_error(
    tmp_path: Path, isolated_dlbox_home: Path, key: str
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    folders = {"code_dir": tmp_path / "code", "data_dir": tmp_path / "data", key: blocker / "x"}
    with pytest.raises(UsageError) as caught:
        prepare_folders(EnvOptions(**folders), HostUser(os.getuid(), os.getgid()))
    assert caught.value.message == (
        f"Cannot create the {key} folder {blocker / 'x'}: Not a directory."
    )
    assert caught.value.hint == (
        f"Pick a folder you can write (`dlbox config set {key} PATH`) or fix its permissions."
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a 0500 folder")
def test_a_folder_you_cannot_write_is_named_with_the_fix(
    tmp_path: Path, isolated_dlbox_home: Path
) -> None:
    code = tmp_path / "code"
    code.mkdir(mode=0o500)
    try:
        with pytest.raises(UsageError) as caught:
            prepare_folders(
                EnvOptions(code_dir=code, data_dir=tmp_path / "data"),
                HostUser(os.getuid(), os.getgid()),
            )
    finally:
        code.chmod(0o700)
    assert caught.value.message == f"The code_dir folder {code} is not writable by you."
    assert caught.value.hint == (
        f"Fix its owner (`sudo chown -R $USER {code}`) or choose another folder."
    )


def test_a_container_home_that_cannot_be_created_is_named_as_the_home_folder(
    tmp_path: Path, isolated_dlbox_home: Path
) -> None:
    home = paths.state_dir() / "home"
    home.parent.mkdir(parents=True, exist_ok=True)
    home.write_text("a file where the container's home folder goes")
    with pytest.raises(UsageError) as caught:
        prepare_folders(
            EnvOptions(code_dir=tmp_path / "code", data_dir=tmp_path / "data"),
            HostUser(os.getuid(), os.getgid()),
        )
    assert caught.value.message == f"Cannot create the home folder {home}: File exists."
    assert caught.value.hint == (
        f"It is in dlbox's state folder: move what is at {home} away, or set DLBOX_STATE_DIR to "
        "a folder you can write."
    )
