"""The small TOML writer: what it writes reads back identically, and writes are atomic."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from dlbox.config.load import tomllib  # tomllib or tomli (3.10)
from dlbox.config.write import dumps, write_toml
from dlbox.errors import ConfigError


def test_round_trip_of_every_value_type() -> None:
    data = {
        "name": 'quote " backslash \\ tab \t newline \n bell \x07 unicode é 🙂',
        "port": 8888,
        "negative": -3,
        "on": True,
        "off": False,
        "empty": [],
        "list": ["a", "b c", 'd"e'],
        "odd key": "x",
        "extras": {"pip": ["timm", "fastkaggle"], "apt": [], "dockerfile": ["RUN echo 'hi'"]},
    }
    assert tomllib.loads(dumps(data)) == data


def test_tables_come_after_plain_keys() -> None:
    text = dumps({"extras": {"pip": ["timm"]}, "port": 1})
    assert text.index("port = 1") < text.index("[extras]")
    assert tomllib.loads(text) == {"port": 1, "extras": {"pip": ["timm"]}}


def test_paths_are_written_as_strings() -> None:
    assert tomllib.loads(dumps({"code_dir": Path("/x/y")})) == {"code_dir": "/x/y"}


@pytest.mark.parametrize("bad", [{"a": {"b": {"c": 1}}}, {"a": object()}, {"a": [None]}])
def test_unsupported_values_are_a_config_error(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        dumps(bad)


def test_atomic_write_keeps_mode_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "config.toml"
    write_toml(target, {"port": 1})
    target.chmod(0o600)
    write_toml(target, {"port": 2})
    assert tomllib.loads(target.read_text()) == {"port": 2}
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["config.toml"]


def test_write_atomic_never_replaces_a_device_folder_or_link(tmp_path: Path) -> None:
    from dlbox.config.write import write_atomic
    from dlbox.errors import ConfigError

    target = tmp_path / "real.toml"
    target.write_text("kept")
    link = tmp_path / "link.toml"
    link.symlink_to(target)
    folder = tmp_path / "folder"
    folder.mkdir()
    for path in (Path("/dev/null"), link, folder):
        with pytest.raises(ConfigError, match="replaces only plain files"):
            write_atomic(path, "new")
    assert target.read_text() == "kept" and link.is_symlink() and folder.is_dir()
    assert Path("/dev/null").is_char_device()
    assert write_atomic(target, "new").read_text() == "new"
