"""Layer order: default < user config < project dlbox.toml < DLBOX_* env < flag, with sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlbox.config import load_settings


def test_each_layer_overrides_the_one_below_and_names_itself(
    workdir: Path, user_file: Path
) -> None:
    cfg = load_settings(environ={})
    assert cfg["port"] == 8888
    assert cfg.source("port") == "default"

    user_file.write_text('port = 1001\ngpus = "none"\n')
    cfg = load_settings(environ={})
    assert cfg["port"] == 1001
    assert cfg.source("port") == f"user config ({user_file})"

    project = workdir / "dlbox.toml"
    project.write_text('port = 1002\n\n[extras]\npip = ["timm"]\n')
    cfg = load_settings(environ={})
    assert cfg["port"] == 1002
    assert cfg.source("port") == f"project ({project.resolve()})"
    assert cfg.project_tables == {"extras": {"pip": ["timm"]}}

    cfg = load_settings(environ={"DLBOX_PORT": "1003"})
    assert cfg["port"] == 1003
    assert cfg.source("port") == "env DLBOX_PORT"

    cfg = load_settings({"port": 1004}, environ={"DLBOX_PORT": "1003"})
    assert cfg["port"] == 1004
    assert cfg.source("port") == "flag --port"

    # Keys set only in a lower layer keep that layer's value and source.
    assert cfg["gpus"] == "none"
    assert cfg.source("gpus") == f"user config ({user_file})"
    assert cfg.source("host") == "default"


def test_project_file_is_found_from_a_subfolder(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / "dlbox.toml").write_text('host = "0.0.0.0"\n')
    sub = workdir / "a" / "b"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    cfg = load_settings(environ={})
    assert cfg["host"] == "0.0.0.0"
    assert cfg.source("host").startswith("project (")


def test_env_values_are_typed(user_file: Path) -> None:
    cfg = load_settings(environ={"DLBOX_IPC_HOST": "yes", "DLBOX_DATASETS": "pets, mnist"})
    assert cfg["ipc_host"] is True
    assert cfg["datasets"] == ["pets", "mnist"]
