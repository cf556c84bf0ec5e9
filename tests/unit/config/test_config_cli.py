"""`dlbox init` and `dlbox config ...` as a user sees them: messages, exit codes, files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlbox.cli import config_cmd
from dlbox.cli.app import app
from dlbox.config import load_settings
from dlbox.config.edit import validate_folders
from dlbox.config.load import tomllib  # tomllib or tomli (3.10)
from dlbox.errors import ConfigError

runner = CliRunner()


def invoke(*args: str, input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=input)
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.output


# --- bad configuration: a clear message naming file, key and fix; exit code 2 -------------


def test_unknown_key_in_user_file(user_file: Path) -> None:
    user_file.write_text("prot = 9000\n")
    code, out = invoke("config", "show")
    assert code == 2
    assert "Unknown setting 'prot'" in out and str(user_file) in out
    assert "Fix:" in out and "port" in out
    assert "Traceback" not in out


def test_wrong_type_in_project_file(workdir: Path) -> None:
    (workdir / "dlbox.toml").write_text('port = "lots"\n')
    code, out = invoke("config", "show")
    assert code == 2
    assert "'port'" in out and "dlbox.toml" in out and "expected a whole number" in out
    assert "dlbox config set port" in out


def test_bad_toml(user_file: Path) -> None:
    user_file.write_text("port = = 3\n")
    code, out = invoke("config", "show")
    assert code == 2
    assert f"{user_file} is not valid TOML" in out
    assert "Fix:" in out


def test_bad_env_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLBOX_IPC_HOST", "maybe")
    code, out = invoke("config", "show", "--json")
    assert code == 2
    doc = json.loads(out)
    assert doc["ok"] is False and "DLBOX_IPC_HOST" in doc["message"] and doc["hint"]


def test_missing_folder_parent(user_file: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-disk" / "code"
    user_file.write_text(f'code_dir = "{missing}"\n')
    code, out = invoke("config", "check")
    assert code == 2
    assert "code_dir" in out and str(missing.parent) in out and "does not exist" in out
    assert str(user_file) in out  # the source names the file
    assert "mkdir -p" in out and "dlbox config set code_dir" in out


def test_folder_that_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("")
    monkeypatch.setenv("DLBOX_DATA_DIR", str(blocker))
    code, out = invoke("config", "check")
    assert code == 2
    assert "is a file, not a folder" in out and "DLBOX_DATA_DIR" in out


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_folder_not_writable(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        cfg = load_settings({"code_dir": str(locked)})
        with pytest.raises(ConfigError, match="not writable") as info:
            validate_folders(cfg)
        assert "flag --code-dir" in info.value.message and info.value.hint
    finally:
        locked.chmod(0o700)


def test_default_folders_may_not_exist_yet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "fresh-home"))
    (tmp_path / "fresh-home").mkdir()
    validate_folders(load_settings())  # ~/dlbox/code is created later: no error


def test_set_rejects_unknown_key_and_bad_values(user_file: Path) -> None:
    code, out = invoke("config", "set", "colour", "blue")
    assert code == 2 and "Unknown setting 'colour'" in out
    code, out = invoke("config", "set", "engine", "vagrant")
    assert code == 2 and "expected one of auto, docker, podman, local" in out
    code, out = invoke("config", "set", "port", "70000")
    assert code == 2 and "1 to 65535" in out
    code, out = invoke("config", "set", "gpus", "first")
    assert code == 2 and "GPU indices" in out
    code, out = invoke("config", "set", "course", "no-such-course")
    assert code == 2 and "Unknown course" in out
    assert not user_file.exists()


def test_set_folder_with_missing_parent(tmp_path: Path, user_file: Path) -> None:
    code, out = invoke("config", "set", "code_dir", str(tmp_path / "nope" / "code"))
    assert code == 2 and "does not exist" in out
    assert not user_file.exists()


# --- init ------------------------------------------------------------------------------------


def test_init_non_interactive_writes_file_creates_folders_keeps_other_keys(
    tmp_path: Path, user_file: Path
) -> None:
    user_file.write_text('engine = "docker"\nhealth_timeout = 300\n')
    code_dir, data_dir = tmp_path / "c" / "code", tmp_path / "d" / "data"
    code, out = invoke(
        "init",
        "--code-dir",
        str(code_dir),
        "--data-dir",
        str(data_dir),
        "--course",
        "fastbook",
        "--datasets",
        "pets,mnist_sample",
        "--gpus",
        "0,1",
        "--port",
        "9000",
        "--yes",
    )
    assert code == 0, out
    assert code_dir.is_dir() and data_dir.is_dir()
    written = tomllib.loads(user_file.read_text())
    assert written == {
        "engine": "docker",
        "health_timeout": 300,
        "code_dir": str(code_dir),
        "data_dir": str(data_dir),
        "course": "fastbook",
        "datasets": ["pets", "mnist_sample"],
        "gpus": "0,1",
        "port": 9000,
    }
    cfg = load_settings()
    assert cfg["port"] == 9000 and cfg.source("port") == f"user config ({user_file})"
    assert cfg["engine"] == "docker"


def test_init_without_flags_pins_folders_only(
    tmp_path: Path, user_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    user_file.write_text("port = 7000\n")
    code, out = invoke("init", "--json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["ok"] and sorted(doc["written"]) == ["code_dir", "data_dir"]
    assert tomllib.loads(user_file.read_text())["port"] == 7000
    assert (tmp_path / "dlbox" / "code").is_dir()


def test_init_rejects_bad_values_without_writing(user_file: Path, tmp_path: Path) -> None:
    code, out = invoke("init", "--code-dir", str(tmp_path / "c"), "--port", "0", "--yes")
    assert code == 2 and "port" in out
    code, out = invoke("init", "--course", "nonsense", "--yes")
    assert code == 2 and "Unknown course" in out
    assert not user_file.exists() and not (tmp_path / "c").exists()


def test_init_refuses_to_clobber_a_broken_file(user_file: Path) -> None:
    user_file.write_text("not toml [\n")
    code, out = invoke("init", "--port", "9000", "--yes")
    assert code == 2 and "not valid TOML" in out
    assert user_file.read_text() == "not toml [\n"


def test_init_interactive_prompts(
    tmp_path: Path, user_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config_cmd, "stdin_is_tty", lambda: True)
    answers = [
        str(tmp_path / "code"),
        str(tmp_path / "data"),
        "bogus",
        "course22",
        "",
        "",
        "abc",
        "9100",
        "y",
    ]
    code, out = invoke("init", input="\n".join(answers) + "\n")
    assert code == 0, out
    assert "Unknown course 'bogus'" in out and "expected a whole number" in out
    written = tomllib.loads(user_file.read_text())
    assert written["course"] == "course22" and written["port"] == 9100
    assert written["datasets"] == [] and written["gpus"] == "auto"


# --- set / show / unset / path ---------------------------------------------------------------


def test_set_then_show_round_trip(user_file: Path, tmp_path: Path) -> None:
    assert invoke("config", "set", "port", "9001")[0] == 0
    assert invoke("config", "set", "datasets", "pets, imdb")[0] == 0
    assert invoke("config", "set", "ipc_host", "true")[0] == 0
    assert invoke("config", "set", "code_dir", str(tmp_path / "mycode"))[0] == 0
    code, out = invoke("config", "show", "--json")
    assert code == 0
    settings = json.loads(out)["settings"]
    source = f"user config ({user_file})"
    assert settings["port"] == {"value": 9001, "source": source}
    assert settings["datasets"] == {"value": ["pets", "imdb"], "source": source}
    assert settings["ipc_host"] == {"value": True, "source": source}
    assert settings["code_dir"] == {"value": str(tmp_path / "mycode"), "source": source}
    assert settings["host"]["source"] == "default"
    code, out = invoke("config", "show")
    assert code == 0 and "port" in out and "9001" in out


def test_set_project_keeps_extras_table(workdir: Path, user_file: Path) -> None:
    project = workdir / "dlbox.toml"
    project.write_text('base_image = "ubuntu:24.04"\n\n[extras]\npip = ["timm"]\n')
    code, out = invoke("config", "set", "--project", "port", "9002")
    assert code == 0, out
    assert tomllib.loads(project.read_text()) == {
        "base_image": "ubuntu:24.04",
        "port": 9002,
        "extras": {"pip": ["timm"]},
    }
    assert not user_file.exists()
    cfg = load_settings()
    assert cfg["port"] == 9002 and cfg.source("port").startswith("project (")


def test_set_warns_when_a_higher_layer_overrides(
    user_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DLBOX_PORT", "9999")
    code, out = invoke("config", "set", "port", "9003")
    assert code == 0
    assert "still taken from env DLBOX_PORT" in out


def test_unset(user_file: Path) -> None:
    user_file.write_text('port = 9004\nhost = "0.0.0.0"\n')
    code, _ = invoke("config", "unset", "port")
    assert code == 0
    assert tomllib.loads(user_file.read_text()) == {"host": "0.0.0.0"}
    code, out = invoke("config", "unset", "port")
    assert code == 0 and "nothing to do" in out


def test_path(user_file: Path) -> None:
    code, out = invoke("config", "path")
    assert code == 0 and out.strip() == str(user_file)
    code, out = invoke("config", "path", "--json")
    assert json.loads(out)["user_file"] == str(user_file)


def test_config_show_works_when_the_engine_does_not_answer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The settings are what people look at when the engine is down: show them anyway."""
    monkeypatch.setenv("DLBOX_ENGINE", "docker")
    monkeypatch.setenv("DLBOX_DOCKER_CLIENT", str(tmp_path / "no-such-docker"))
    shown = CliRunner().invoke(app, ["config", "show"])
    assert shown.exit_code == 0, shown.output
    assert "engine in effect: none (" in shown.output and "port" in shown.output
    as_json = CliRunner().invoke(app, ["config", "show", "--json"])
    assert as_json.exit_code == 0 and '"name": null' in as_json.output
