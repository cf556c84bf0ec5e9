"""Bad settings from any layer: one error format (key, layer with file and line, valid example),
exit code 2, never a traceback, never silently accepted nonsense."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlbox.cli.app import app
from dlbox.config.keys import KEYS, coerce

runner = CliRunner()


def show(env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["config", "show"], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("var", "value", "says"),
    [
        ("DLBOX_PORT", "٣٣", "expected a whole number"),
        ("DLBOX_PORT", "0", "expected a port number from 1 to 65535"),
        ("DLBOX_HOST", "bad host", "expected an IP address"),
        ("DLBOX_SHM_SIZE", "lots", "expected auto or a size"),
        ("DLBOX_COURSE_SUBDIR", "../../etc", "expected a folder inside code_dir"),
        ("DLBOX_COURSE_SUBDIR", "/etc", "expected a folder inside code_dir"),
        ("DLBOX_CODE_DIR", "/tmp/new\nline", "without control characters"),
        ("DLBOX_DATA_DIR", "~nosuchuser-dlbox/x", "home folder that does not exist"),
        ("DLBOX_HEALTH_TIMEOUT", "-5", "1 or more"),
        ("DLBOX_GPUS", "٣", "expected auto, all, none"),
        ("DLBOX_HUB_PORT", "99999", "expected a port number"),
        ("DLBOX_HUB_HOST", "a b", "expected an IP address"),
        ("DLBOX_HUB_MEM_LIMIT", "lots", "memory size"),
        ("DLBOX_HUB_USER_STORAGE", "big", "Kubernetes quantity"),
        ("DLBOX_HUB_DATA_CLAIM", "Bad_Name", "Kubernetes name"),
        ("DLBOX_IPC_HOST", "maybe", "expected true or false"),
    ],
)
def test_bad_environment_values_name_key_layer_and_example(
    var: str, value: str, says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(var, value)
    code, out = show()
    name = var[len("DLBOX_") :].lower()
    assert code == 2, out
    assert f"Setting {name!r} in env {var}" in out and says in out
    assert f"set {var}=" in out and "Traceback" not in out


def test_bad_value_in_a_file_names_the_line(workdir: Path) -> None:
    (workdir / "dlbox.toml").write_text('# settings\n\nport = "٣٣"\n')
    code, out = show()
    assert code == 2 and "dlbox.toml line 3" in out and "port = 8888" in out


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'port = "\xff\xfe"\n', "is not UTF-8 text"),
        (b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n", "nests tables or arrays too deeply"),
        (b"port = [[[1]]]\n", "expected a whole number"),
        (b"course_subdir = '../x'\n", "expected a folder inside code_dir"),
    ],
)
def test_broken_files_are_clear_errors(workdir: Path, content: bytes, says: str) -> None:
    (workdir / "dlbox.toml").write_bytes(content)
    code, out = show()
    assert code == 2 and says in out and "Traceback" not in out, out


def test_every_key_has_a_valid_example_that_passes_its_own_validator() -> None:
    for key in KEYS.values():
        coerce(key, key.default(), "default")  # defaults are valid
        coerce(key, key.valid_example(), "example")


def test_good_values_still_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    for var, value in {
        "DLBOX_PORT": "8890",
        "DLBOX_HOST": "0.0.0.0",
        "DLBOX_SHM_SIZE": "2GiB",
        "DLBOX_COURSE_SUBDIR": "course22/lessons",
        "DLBOX_HUB_HOST": "hub.example.org",
        "DLBOX_GPUS": "0,1",
    }.items():
        monkeypatch.setenv(var, value)
    code, out = show()
    assert code == 0, out


def test_no_setting_keeps_a_url_with_credentials(user_file: Path) -> None:
    for name in ("docker_client", "ca_bundle", "base_image", "datasets"):
        result = runner.invoke(
            app, ["config", "set", name, "https://u:S3CRETVALUE@h/x?token=S3CRETVALUE"]
        )
        assert result.exit_code == 2 and "Setting" in result.output, result.output
        assert "S3CRETVALUE" not in result.output
    assert not user_file.exists() or "S3CRETVALUE" not in user_file.read_text()


def test_a_file_saved_with_a_utf8_bom_is_read(workdir: Path) -> None:
    """Windows Notepad starts UTF-8 files with a byte-order mark; tomllib calls that an "Invalid
    statement at line 1", which names no fix. Its settings are read, its errors keep their line."""
    (workdir / "dlbox.toml").write_bytes(b"\xef\xbb\xbfport = 8890\n")
    code, out = show()
    assert code == 0, out
    assert "8890" in out and "Invalid statement" not in out
    (workdir / "dlbox.toml").write_bytes(b'\xef\xbb\xbfport = "\xd9\xa3"\n')
    code, out = show()
    assert code == 2 and "dlbox.toml line 1" in out and "expected a whole number" in out, out
    (workdir / "dlbox.toml").write_bytes(b"\xef\xbb\xbfport = 8890\n\xff\n")
    code, out = show()
    assert code == 2 and "is not UTF-8 text (byte 15, line 2)" in " ".join(out.split()), out


def test_a_settings_file_under_a_file_names_the_file_in_the_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: "Cannot write ...: File exists. Fix: Check that .../sub exists and is writable"."""
    blocker = tmp_path / "notes"
    blocker.write_text("mine\n")
    monkeypatch.setenv("DLBOX_CONFIG_FILE", str(blocker / "sub" / "config.toml"))
    result = runner.invoke(app, ["config", "set", "port", "8890"])
    out = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert f"Cannot write {blocker}/sub/config.toml: {blocker} is a file, not a folder." in out
    assert f"Fix: Move {blocker} out of the way, or pick another path for the file." in out
    assert blocker.read_text() == "mine\n" and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("var", "argv"), [("DLBOX_STATE_DIR", ["ps"]), ("DLBOX_CONFIG_FILE", ["config", "show"])]
)
def test_a_relative_state_or_config_path_is_refused_and_nothing_is_created(
    var: str, argv: list[str], workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: `DLBOX_STATE_DIR=rel/dir dlbox ps` made ./rel/dir (each folder its own sessions)."""
    monkeypatch.setenv(var, "rel/dir")
    result = runner.invoke(app, argv)
    out = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert f"{var}='rel/dir' is a relative path" in out
    assert f"Set {var} to an absolute path, e.g. {var}={workdir}/rel/dir." in out
    assert list(workdir.iterdir()) == []
