"""Where dlbox keeps things on the host (platformdirs; DLBOX_* variables override for tests).

The state folder (logs, sessions, token files, the container home) and its sub-folders are private:
created 0700, and refused with the fix when one is a symbolic link, not a folder, or owned by
someone else (someone who could swap a token file under us)."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

import platformdirs

from dlbox.errors import ConfigError
from dlbox.names import check_name

APP = "dlbox"
# Off inside `no_writes()` (a dry run): caches and state folders are read, never created.
_WRITES: ContextVar[bool] = ContextVar("dlbox_state_writes", default=True)


@contextlib.contextmanager
def no_writes() -> Iterator[None]:
    """Within this block dlbox writes no state: caches are read only, folders not created."""
    token = _WRITES.set(False)
    try:
        yield
    finally:
        _WRITES.reset(token)


def writes_allowed() -> bool:
    return _WRITES.get()


def config_file() -> Path:
    override = os.environ.get("DLBOX_CONFIG_FILE")
    if override:
        return _expand(override, "DLBOX_CONFIG_FILE")
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def _expand(text: str, var: str) -> Path:
    try:
        path = Path(text).expanduser()
    except RuntimeError:  # ~nosuchuser/...
        raise ConfigError(
            f"{var}={text!r} names a home folder that does not exist.",
            f"Set {var} to an absolute path (or unset it).",
        ) from None
    if any(ord(ch) < 0x20 for ch in text):
        raise ConfigError(
            f"{var} contains control characters (a newline?).", f"Set {var} to a plain path."
        )
    if not path.is_absolute():  # it would change with the folder dlbox runs in
        try:
            example = Path.cwd() / path
        except OSError:  # the current folder was deleted
            example = Path.home() / path
        raise ConfigError(
            f"{var}={text!r} is a relative path, so it would mean another place in every folder "
            "you run dlbox in.",
            f"Set {var} to an absolute path, e.g. {var}={example}.",
        )
    return path


def cache_dir() -> Path:
    """Caches that only save time (Podman's Buildah cache mounts): kept across runs and across
    DLBOX_STATE_DIR changes; DLBOX_CACHE_DIR overrides."""
    override = os.environ.get("DLBOX_CACHE_DIR")
    return Path(override).expanduser() if override else Path(platformdirs.user_cache_dir(APP))


def state_dir() -> Path:
    """Logs, session records, token files, the persistent container home, local venvs."""
    override = os.environ.get("DLBOX_STATE_DIR")
    if override:
        base = _expand(override, "DLBOX_STATE_DIR")
        if base.exists() and not base.is_dir():
            raise ConfigError(
                f"The state folder {base} (DLBOX_STATE_DIR) is not a folder.",
                "Set DLBOX_STATE_DIR to a folder of yours (or unset it).",
            )
        return base
    return Path(platformdirs.user_data_dir(APP))


def _owners() -> set[int]:
    """Who may own dlbox's private folders: you (and, under sudo, the user who ran sudo)."""
    allowed = {os.getuid()}
    sudo_uid = os.environ.get("SUDO_UID", "")
    if os.getuid() == 0 and sudo_uid.isdigit():
        allowed.add(int(sudo_uid))
    return allowed


def ensure_private_dir(path: Path) -> Path:
    """`path` as a folder only its owner can enter (0700): created when missing; a symbolic
    link, a non-folder or someone else's folder is refused with the fix."""
    if not writes_allowed():  # a dry run: checked when it is made for real
        return path
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.lstat(path)
    except FileExistsError:
        st = os.lstat(path)
    except OSError as exc:
        raise ConfigError(
            f"Cannot create dlbox's private folder {path}: {exc.strerror or exc}.",
            "Make its parent writable, or point DLBOX_STATE_DIR at a folder of yours.",
        ) from None
    if stat.S_ISLNK(st.st_mode):
        raise ConfigError(
            f"{path} is a symbolic link; dlbox keeps tokens only in a real folder of yours.",
            f"Remove the link (rm {path}) and run the command again.",
        )
    if not stat.S_ISDIR(st.st_mode):
        raise ConfigError(
            f"{path} is not a folder.", f"Move {path} out of the way and run the command again."
        )
    if st.st_uid not in _owners():
        raise ConfigError(
            f"{path} belongs to user id {st.st_uid}, not to you, so dlbox will not keep "
            "tokens in it.",
            "Remove it (it is recreated), or point DLBOX_STATE_DIR at a folder of yours.",
        )
    if stat.S_IMODE(st.st_mode) != 0o700:
        try:
            os.chmod(path, 0o700, follow_symlinks=False)
        except (NotImplementedError, OSError):
            os.chmod(path, 0o700)
    return path


def private_state_dir() -> Path:
    return ensure_private_dir(state_dir())


def logs_dir() -> Path:
    private_state_dir()
    return ensure_private_dir(state_dir() / "logs")


def sessions_dir() -> Path:
    private_state_dir()
    return ensure_private_dir(state_dir() / "sessions")


def session_dir(name: str) -> Path:
    """sessions/<name>, after the one name check (`..` never reaches the file system)."""
    return sessions_dir() / check_name("session", name)


def container_home() -> Path:
    """Persistent HOME for the container user (Jupyter settings, shell history, fastai config)."""
    private_state_dir()
    path = state_dir() / "home"
    if writes_allowed():
        path.mkdir(parents=True, exist_ok=True)
    return path


def default_code_dir() -> Path:
    return Path.home() / "dlbox" / "code"


def default_data_dir() -> Path:
    return Path.home() / "dlbox" / "data"
