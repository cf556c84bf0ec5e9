"""Who the container runs as: the invoking user (under sudo, the user who ran sudo)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class HostUser:
    uid: int
    gid: int
    via_sudo: bool = False

    @property
    def is_root(self) -> bool:
        return self.uid == 0

    @property
    def spec(self) -> str:
        return f"{self.uid}:{self.gid}"


def invoking_user(environ: Mapping[str, str] | None = None) -> HostUser:
    environ = os.environ if environ is None else environ
    uid, gid = os.getuid(), os.getgid()
    if uid == 0 and environ.get("SUDO_UID", "").isdigit() and environ.get("SUDO_GID", "").isdigit():
        return HostUser(int(environ["SUDO_UID"]), int(environ["SUDO_GID"]), via_sudo=True)
    return HostUser(uid, gid)
