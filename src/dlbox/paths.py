"""Where dlbox keeps things on the host (platformdirs; DLBOX_* variables override for tests)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "dlbox"


def config_file() -> Path:
    override = os.environ.get("DLBOX_CONFIG_FILE")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def state_dir() -> Path:
    """Logs, session records, token files, the persistent container home, local venvs."""
    override = os.environ.get("DLBOX_STATE_DIR")
    base = Path(override).expanduser() if override else Path(platformdirs.user_data_dir(APP))
    return base


def ensure_private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def logs_dir() -> Path:
    path = state_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sessions_dir() -> Path:
    return ensure_private_dir(state_dir() / "sessions")


def container_home() -> Path:
    """Persistent HOME for the container user (Jupyter settings, shell history, fastai config)."""
    path = state_dir() / "home"
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_code_dir() -> Path:
    return Path.home() / "dlbox" / "code"


def default_data_dir() -> Path:
    return Path.home() / "dlbox" / "data"
