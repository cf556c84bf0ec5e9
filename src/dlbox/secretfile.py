"""The one way dlbox writes and reads a secret (Jupyter tokens, the hub's cookie secret, ...).

Write: the folder is made private (paths.ensure_private_dir: 0700, no link, yours); the secret goes
to a new file opened with O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600 (owner changed through the open
descriptor, never by path), fsynced, then renamed over the target, so a link or a 0666 file planted
at the target is replaced, never followed or written through.
Read: O_NOFOLLOW, and only a regular file that nobody else can read."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from dlbox.errors import DlboxError
from dlbox.paths import ensure_private_dir

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def write_secret(
    path: Path, value: str | bytes, uid: int | None = None, gid: int | None = None
) -> Path:
    """Store `value` at `path` (0600; owned by uid:gid when given and running as root)."""
    data = value.encode() if isinstance(value, str) else value
    folder = ensure_private_dir(path.parent)
    tmp = folder / f".{path.name}.{secrets.token_hex(8)}.tmp"
    try:
        fd = os.open(tmp, _FLAGS, 0o600)
    except OSError as exc:
        raise DlboxError(
            f"Cannot write the secret file {path}: {exc.strerror or exc}.",
            f"Check that {folder} is yours and writable.",
        ) from None
    try:
        try:
            os.fchmod(fd, 0o600)
            if uid is not None and os.getuid() == 0 and uid != 0:
                os.fchown(fd, uid, gid if gid is not None else uid)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
    return path


def read_secret(path: Path) -> str | None:
    """The secret at `path`, or None when it is missing, a link, not a regular file, or readable
    by others (then it is not a secret any more)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or stat.S_IMODE(st.st_mode) & 0o077:
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            text = fh.read().decode("utf-8", "replace").strip()
    finally:
        os.close(fd)
    return text or None
