"""Sessions: one running Jupyter container per project (code folder), found by its labels, and
the folder `up` keeps for each (sessions/<name>: its token and the engine it runs on)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from dlbox import paths
from dlbox.launch.labels import LABEL_PREFIX, OWNER_LABEL
from dlbox.launch.user import invoking_user

if TYPE_CHECKING:  # types only: `ps` imports no engine code when no session exists
    from dlbox.engines.base import ContainerInfo, Engine

SESSION_LABEL = f"{LABEL_PREFIX}.session"
PORT_LABEL = f"{LABEL_PREFIX}.port"
HOST_LABEL = f"{LABEL_PREFIX}.host"
SETTINGS_LABEL = f"{LABEL_PREFIX}.settings"
ENGINE_FILE = "engine"  # in the session's folder: the engine it was started on
LOCAL_RECORD = "local.json"  # the local engine's record (engines/local/processes.py)


def url_host(host: str) -> str:
    """`host` as it goes into a URL that reaches a server bound there: a wildcard becomes
    loopback, an IPv6 address goes in brackets (http://[::1]:8888/)."""
    if host in ("", "0.0.0.0", "127.0.0.1"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def session_name(code_dir: Path, suffix: str = "") -> str:
    """Stable per project: dlbox-<folder>-<hash of its path>[-suffix]."""
    import hashlib

    slug = re.sub(r"[^a-z0-9]+", "-", code_dir.name.lower()).strip("-")[:24] or "code"
    digest = hashlib.sha256(str(code_dir).encode()).hexdigest()[:8]
    return f"dlbox-{slug}-{digest}" + (f"-{suffix}" if suffix else "")


def token_path(name: str) -> Path:
    return paths.session_dir(name) / "token"


def forget(name: str) -> None:
    import shutil

    shutil.rmtree(paths.session_dir(name), ignore_errors=True)


def record_engine(name: str, engine: str) -> None:
    """Note which engine the session runs on, so `ps` asks that engine only."""
    folder = paths.ensure_private_dir(paths.session_dir(name))
    (folder / ENGINE_FILE).write_text(engine + "\n")


def recorded_sessions() -> dict[str, str]:
    """{name: engine} for every session folder `up` left; the engine is "" when the folder does
    not say (a session started before dlbox recorded it)."""
    folder = paths.sessions_dir()
    found = {}
    for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
        if not entry.is_dir():
            continue
        try:
            engine = (entry / ENGINE_FILE).read_text().strip()
        except OSError:
            engine = "local" if (entry / LOCAL_RECORD).is_file() else ""
        found[entry.name] = engine
    return found


def list_sessions(engine: Engine) -> list[Session]:
    """The sessions of the invoking user that `engine` runs (running or stopped)."""
    owner = f"{OWNER_LABEL}={invoking_user().uid}"
    return sorted(
        (from_container(c) for c in engine.containers([SESSION_LABEL, owner])),
        key=lambda s: s.name,
    )


@dataclass(frozen=True)
class Session:
    name: str
    image: str
    state: str
    port: int
    host: str
    gpus: str
    code_dir: str
    started_at: str
    settings: str = ""

    @property
    def running(self) -> bool:
        return self.state == "running"

    def url(self, with_token: bool = False) -> str:
        base = f"http://{url_host(self.host)}:{self.port}/lab"
        if with_token:
            from dlbox.launch.token import read_token_file

            token = read_token_file(token_path(self.name))
            if token:
                return f"{base}?token={token}"
        return base

    def uptime_seconds(self, now: datetime | None = None) -> float | None:
        if not self.running or not self.started_at:
            return None
        stamp = self.started_at.split(".")[0].rstrip("Z")
        try:
            started = datetime.fromisoformat(stamp).replace(tzinfo=timezone.utc)
        except ValueError:
            return None
        return ((now or datetime.now(timezone.utc)) - started).total_seconds()

    def to_dict(self, with_token: bool = False) -> dict[str, object]:
        return {
            "name": self.name,
            "image": self.image,
            "state": self.state,
            "url": self.url(with_token),
            "port": self.port,
            "gpus": self.gpus,
            "code_dir": self.code_dir,
            "uptime_seconds": self.uptime_seconds(),
        }


def from_container(info: ContainerInfo) -> Session:
    labels = info.labels
    return Session(
        name=info.name,
        image=info.image,
        state=info.state,
        port=int(labels.get(PORT_LABEL, "0") or 0),
        host=labels.get(HOST_LABEL, "127.0.0.1"),
        gpus=labels.get(f"{LABEL_PREFIX}.gpus", "none"),
        code_dir=labels.get(f"{LABEL_PREFIX}.code-dir", ""),
        started_at=info.started_at,
        settings=labels.get(SETTINGS_LABEL, ""),
    )


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"
