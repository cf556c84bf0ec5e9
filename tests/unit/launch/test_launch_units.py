from __future__ import annotations

import stat
from pathlib import Path

import pytest

from dlbox.config import load_settings
from dlbox.errors import ConfigError, UsageError
from dlbox.launch.options import up_options
from dlbox.launch.sessions import session_name
from dlbox.launch.shm import GIB, auto_shm_bytes, parse_size
from dlbox.launch.token import new_token, write_token_file
from dlbox.launch.user import invoking_user


def test_shm_rule_half_of_ram_between_1_and_16_gib() -> None:
    assert auto_shm_bytes(24 * GIB) == 12 * GIB
    assert auto_shm_bytes(1 * GIB) == 1 * GIB
    assert auto_shm_bytes(256 * GIB) == 16 * GIB


@pytest.mark.parametrize(
    ("text", "size"),
    [("8g", 8 * GIB), ("512m", 512 * 1024**2), ("2GiB", 2 * GIB), ("1073741824", GIB)],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("bad", ["lots", "10k", "-1g"])
def test_parse_size_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_size(bad)


def test_bad_shm_flag_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"shm_size": "huge"}, cwd=tmp_path)
    assert "'shm_size' in flag --shm-size" in info.value.message
    assert info.value.exit_code == 2 and "--shm-size 8g" in str(info.value.hint)
    cfg = load_settings({"shm_size": "1k"}, cwd=tmp_path)  # a size, but too small to use
    with pytest.raises(UsageError) as small:
        up_options(cfg)
    assert "shm_size" in small.value.message


def test_token_has_at_least_192_bits_and_a_private_file(tmp_path: Path) -> None:
    token = new_token()
    assert len(token) * 4 >= 192 and token != new_token()
    path = write_token_file(tmp_path / "s" / "token", token)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == token


def test_sudo_user_is_the_one_who_ran_sudo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.getuid", lambda: 0)
    monkeypatch.setattr("os.getgid", lambda: 0)
    user = invoking_user({"SUDO_UID": "1001", "SUDO_GID": "1002"})
    assert (user.uid, user.gid, user.via_sudo) == (1001, 1002, True)
    assert invoking_user({}).is_root


def test_session_names_differ_per_project() -> None:
    a, b = session_name(Path("/home/u/a/code")), session_name(Path("/home/u/b/code"))
    assert a != b and a.startswith("dlbox-code-")
    assert session_name(Path("/home/u/a/code")) == a
