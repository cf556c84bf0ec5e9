"""Sessions: one running Jupyter container per project (code folder), found by its labels."""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from dlbox import paths
from dlbox.engines.base import ContainerInfo
from dlbox.launch.environment import LABEL_PREFIX
from dlbox.launch.token import read_token_file

SESSION_LABEL = f"{LABEL_PREFIX}.session"
PORT_LABEL = f"{LABEL_PREFIX}.port"
HOST_LABEL = f"{LABEL_PREFIX}.host"
SETTINGS_LABEL = f"{LABEL_PREFIX}.settings"


def session_name(code_dir: Path, suffix: str = "") -> str:
    """Stable per project: dlbox-<folder>-<hash of its path>[-suffix]."""
    slug = re.sub(r"[^a-z0-9]+", "-", code_dir.name.lower()).strip("-")[:24] or "code"
    digest = hashlib.sha256(str(code_dir).encode()).hexdigest()[:8]
    return f"dlbox-{slug}-{digest}" + (f"-{suffix}" if suffix else "")


def token_path(name: str) -> Path:
    return paths.sessions_dir() / name / "token"


def forget(name: str) -> None:
    shutil.rmtree(paths.sessions_dir() / name, ignore_errors=True)


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
        shown = "127.0.0.1" if self.host in ("0.0.0.0", "127.0.0.1", "") else self.host
        base = f"http://{shown}:{self.port}/lab"
        if with_token:
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


def from_inspect(data: dict[str, object]) -> Session:
    """A session from the engine's inspect document (one round trip, right after start)."""
    state = data.get("State") if isinstance(data.get("State"), dict) else {}
    config = data.get("Config") if isinstance(data.get("Config"), dict) else {}
    assert isinstance(state, dict) and isinstance(config, dict)
    return from_container(
        ContainerInfo(
            name=str(data.get("Name", "")).lstrip("/"),
            id=str(data.get("Id", "")),
            image=str(config.get("Image", "")),
            state=str(state.get("Status", "")),
            labels=dict(config.get("Labels") or {}),
            started_at=str(state.get("StartedAt", "")),
        )
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
