"""Jupyter tokens: 256 random bits, written to a 0600 file that is mounted into the container and
named by JUPYTER_TOKEN_FILE. Never in argv, never in the container's environment. Written and read
through dlbox.secretfile (O_EXCL|O_NOFOLLOW, 0600, rename into place)."""

from __future__ import annotations

import secrets
from pathlib import Path

from dlbox.secretfile import read_secret, write_secret

TOKEN_BYTES = 32  # 256 bits (the issue asks for at least 192)
CONTAINER_TOKEN_PATH = "/run/dlbox/token"


def new_token() -> str:
    return secrets.token_hex(TOKEN_BYTES)


def write_token_file(
    path: Path, token: str, uid: int | None = None, gid: int | None = None
) -> Path:
    return write_secret(path, token, uid, gid)


def read_token_file(path: Path) -> str | None:
    return read_secret(path)
