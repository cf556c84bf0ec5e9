"""Names never become paths outside their folder; secret files are written without following links,
never readable by others, in private folders that are yours."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlbox import paths
from dlbox.cli.app import app
from dlbox.datasets.store import Layout
from dlbox.errors import ConfigError, UsageError
from dlbox.launch import sessions
from dlbox.launch.token import read_token_file, write_token_file
from dlbox.names import check_name, is_valid_name
from dlbox.secretfile import read_secret, write_secret
from tests.unit.datasets.archives import sha256, tgz
from tests.unit.datasets.loopback import LoopbackServer, Route

runner = CliRunner()


@pytest.mark.parametrize(
    "name", [".", "..", "../x", "a/b", "", "-x", ".hidden", "archive", "ARCHIVE", "a\nb", "x" * 64]
)
def test_bad_names_are_refused_with_an_example(name: str) -> None:
    assert not is_valid_name(name)
    with pytest.raises(UsageError) as info:
        check_name("dataset", name)
    assert "e.g. pets" in str(info.value.hint)


@pytest.mark.parametrize("name", ["pets", "oxford-iiit-pet", "imagenette2-160", "MNIST", "a.b_c"])
def test_good_names_pass(name: str) -> None:
    assert check_name("dataset", name) == name


def test_session_name_dotdot_never_touches_the_state_folder(isolated_dlbox_home: Path) -> None:
    state = paths.state_dir()
    (state / "keep").mkdir(parents=True)
    for call in (sessions.token_path, sessions.forget):
        with pytest.raises(UsageError):
            call("..")
    assert (state / "keep").is_dir() and not (state / "token").exists()
    result = runner.invoke(app, ["up", "--name", "..", "--engine", "local", "--dry-run"])
    assert result.exit_code == 2 and "not a valid session name" in result.output, result.output
    assert not (state / "token").exists() and (state / "keep").is_dir()


def test_data_rm_archive_and_a_url_named_archive_leave_the_archive_store(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "archive").mkdir(parents=True)
    (data / "archive" / "other.tgz").write_bytes(b"keep me")
    removed = runner.invoke(app, ["data", "rm", "archive", "--data-dir", str(data)])
    assert removed.exit_code == 2, removed.output
    body = tgz({"x/a.txt": b"a"})
    with LoopbackServer() as server:
        url = server.add("/archive.tgz", Route(body))
        got = runner.invoke(
            app, ["data", "get", url, "--sha256", sha256(body), "--data-dir", str(data)]
        )
    assert got.exit_code == 2 and "reserved" in got.output, got.output
    assert (data / "archive" / "other.tgz").read_bytes() == b"keep me"
    with pytest.raises(UsageError):
        Layout(data).dataset_dir("archive")


# --- secret files --------------------------------------------------------------------------------


def test_token_write_replaces_a_planted_link_instead_of_writing_through_it(tmp_path: Path) -> None:
    folder = tmp_path / "session"
    folder.mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.write_text("original")
    (folder / "token").symlink_to(victim)
    write_token_file(folder / "token", "T" * 64)
    assert victim.read_text() == "original"  # nothing written through the link
    token = folder / "token"
    assert not token.is_symlink() and token.read_text() == "T" * 64
    assert stat.S_IMODE(token.stat().st_mode) == 0o600


def test_token_write_over_a_world_writable_file_never_exposes_the_token(tmp_path: Path) -> None:
    folder = tmp_path / "session"
    folder.mkdir(mode=0o700)
    old = folder / "token"
    old.write_text("")
    old.chmod(0o666)
    before = os.stat(old).st_ino
    write_secret(old, "secret-value")
    st = os.stat(old)
    assert st.st_ino != before  # a new file (created 0600), not the old 0666 one rewritten
    assert stat.S_IMODE(st.st_mode) == 0o600 and old.read_text() == "secret-value"
    assert [p.name for p in folder.iterdir()] == ["token"]  # no temp file left


def test_reading_a_secret_refuses_links_and_readable_files(tmp_path: Path) -> None:
    target = tmp_path / "t"
    target.write_text("abc")
    target.chmod(0o600)
    assert read_secret(target) == "abc"
    link = tmp_path / "link"
    link.symlink_to(target)
    assert read_secret(link) is None and read_token_file(link) is None
    target.chmod(0o644)
    assert read_secret(target) is None


def test_state_folders_are_private_and_links_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    monkeypatch.setenv("DLBOX_STATE_DIR", str(state))
    sessions_dir = paths.sessions_dir()
    for folder in (state, sessions_dir, paths.logs_dir()):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    token = sessions.token_path("s1")
    write_token_file(token, "x" * 64)
    assert stat.S_IMODE(token.parent.stat().st_mode) == 0o700
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.rename(sessions_dir, tmp_path / "moved")
    sessions_dir.symlink_to(elsewhere)
    with pytest.raises(ConfigError, match="symbolic link") as info:
        sessions.token_path("s1")
    assert "rm " in str(info.value.hint)


def test_a_state_folder_owned_by_someone_else_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.getuid() == 0:
        state = tmp_path / "state"
        state.mkdir()
        os.chown(state, 12345, 12345)
        owner = 12345
    else:  # an unprivileged user (as in CI): a folder root owns
        state, owner = Path("/"), 0
    before = stat.S_IMODE(state.stat().st_mode)
    monkeypatch.setenv("DLBOX_STATE_DIR", str(state))
    monkeypatch.delenv("SUDO_UID", raising=False)
    with pytest.raises(ConfigError, match=f"belongs to user id {owner}, not to you"):
        paths.sessions_dir()
    assert stat.S_IMODE(state.stat().st_mode) == before  # refused before any chmod


@pytest.mark.parametrize("value", ["/dev/null", "~nosuchuser-dlbox/x"])
def test_a_state_dir_that_is_no_folder_is_a_clear_error(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DLBOX_STATE_DIR", value)
    for args in (["ps", "--engine", "local"], ["course", "get", "nothing-here"], ["doctor"]):
        result = runner.invoke(app, args)
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            args,
            result.exception,
        )
    result = runner.invoke(app, ["ps", "--engine", "local"])
    assert result.exit_code == 2 and "DLBOX_STATE_DIR" in result.output


def test_name_errors_say_why_and_show_the_kind_s_example() -> None:
    with pytest.raises(UsageError) as reserved:
        check_name("dataset", "Archive")
    assert "'Archive' is reserved" in reserved.value.message
    assert reserved.value.hint == "Choose another dataset name, e.g. pets."
    with pytest.raises(UsageError) as bad:
        check_name("session", "../x")
    assert "'../x' is not a valid session name" in bad.value.message
    assert "1 to 63 letters" in bad.value.message
    assert "starting with a letter or digit (no '/', no '..')" in bad.value.message
    assert bad.value.hint == "Choose another session name, e.g. my-project."
    with pytest.raises(UsageError) as other:
        check_name("thing", "")
    assert other.value.hint == "Choose another thing name, e.g. my-name."
    assert is_valid_name("a" * 63) and not is_valid_name("ok\n")


def test_write_secret_takes_bytes_replaces_content_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "private" / "secret"
    write_secret(path, b"first-value")
    write_secret(path, "second")
    assert path.read_bytes() == b"second"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["secret"]
    big = "x" * (1 << 20)
    write_secret(path, big)
    assert read_secret(path) == big


def test_write_secret_into_a_folder_it_cannot_write_is_a_clear_error(tmp_path: Path) -> None:
    from dlbox.errors import DlboxError

    folder = tmp_path / "locked"
    folder.mkdir(mode=0o700)
    (folder / "sub").mkdir()
    (folder / "sub" / "a-file").write_text("a file, not a folder")
    (folder / "sub").chmod(0o500)
    try:
        # A user cannot create a folder in a 0500 one (dlbox does not loosen a folder it did not
        # make); root can, so root gets a file where the folder should be instead.
        if os.access(folder / "sub", os.W_OK):
            target = folder / "sub" / "a-file" / "secret"
        else:
            target = folder / "sub" / "missing" / "secret"
        with pytest.raises((DlboxError, ConfigError)) as info:
            write_secret(target, "value")
        assert "secret" in info.value.message or "folder" in info.value.message
    finally:
        (folder / "sub").chmod(0o700)
    assert not any(p.name.endswith(".tmp") for p in (folder / "sub").iterdir())


def test_read_secret_refuses_folders_and_group_readable_files_and_strips(tmp_path: Path) -> None:
    assert read_secret(tmp_path) is None
    assert read_secret(tmp_path / "missing") is None
    path = tmp_path / "s"
    path.write_text("  value\n")
    path.chmod(0o600)
    assert read_secret(path) == "value"
    path.chmod(0o640)
    assert read_secret(path) is None
    path.chmod(0o604)
    assert read_secret(path) is None
    path.chmod(0o600)
    path.write_text("   \n")
    assert read_secret(path) is None


def test_write_secret_gives_the_file_to_the_session_user_when_root(tmp_path: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("only root can give a file to another user")
    path = tmp_path / "s" / "token"
    write_secret(path, "value", 4242, 4343)
    st = path.stat()
    assert (st.st_uid, st.st_gid) == (4242, 4343)
    write_secret(path, "value", 4242)
    assert path.stat().st_gid == 4242
    write_secret(path, "value", 0, 0)
    assert path.stat().st_uid == 0


def test_read_secret_survives_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "s"
    path.write_bytes(b"\xff\xfeabc")
    path.chmod(0o600)
    assert read_secret(path) == "\ufffd\ufffdabc"


def test_a_temp_name_already_taken_is_never_written_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """O_EXCL: a file (or link) planted at the temporary name stops the write with a clear error."""
    from dlbox import secretfile
    from dlbox.errors import DlboxError

    folder = tmp_path / "private"
    folder.mkdir(mode=0o700)
    monkeypatch.setattr(secretfile.secrets, "token_hex", lambda _n: "fixed")
    victim = tmp_path / "victim"
    victim.write_text("original")
    (folder / ".token.fixed.tmp").symlink_to(victim)
    with pytest.raises(DlboxError) as info:
        write_secret(folder / "token", "value")
    assert victim.read_text() == "original"
    assert info.value.message == (f"Cannot write the secret file {folder / 'token'}: File exists.")
    assert info.value.hint == f"Check that {folder} is yours and writable."
    assert not (folder / "token").exists()


def test_root_gives_the_secret_to_uid_1_too(tmp_path: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("only root can give a file to another user")
    path = tmp_path / "s" / "token"
    write_secret(path, "value", 1, 1)
    assert (path.stat().st_uid, path.stat().st_gid) == (1, 1)
