"""Jupyter tokens: 256 random bits, written to a 0600 file that is mounted into the container and
named by JUPYTER_TOKEN_FILE. Never in argv, never in the container's environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TOKEN_BYTES = 32  # 256 bits (the issue asks for at least 192)
CONTAINER_TOKEN_PATH = "/run/dlbox/token"


def new_token() -> str:
    return secrets.token_hex(TOKEN_BYTES)


def write_token_file(
    path: Path, token: str, uid: int | None = None, gid: int | None = None
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token)
    os.chmod(path, 0o600)
    if uid is not None and os.getuid() == 0 and uid != 0:
        os.chown(path, uid, gid if gid is not None else uid)
    return path


def read_token_file(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except OSError:
        return None
