"""What the hub's use cases return (rendered as text or JSON by the CLI)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class HubUpResult:
    url: str
    admin: str
    authenticator: str
    image: str
    seconds: float
    already_running: bool
    gpus: tuple[str, ...]
    gpu_policy: str
    state_dir: str
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "url": self.url,
            "admin": self.admin,
            "authenticator": self.authenticator,
            "image": self.image,
            "seconds": round(self.seconds, 2),
            "already_running": self.already_running,
            "gpus": list(self.gpus),
            "gpu_policy": self.gpu_policy,
            "state_dir": self.state_dir,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class UserStatus:
    name: str
    admin: bool
    server: str  # running | pending | stopped
    url: str | None = None
    last_activity: str | None = None
    idle_seconds: float | None = None
    gpus: str = ""
    port: int | None = None
    container: str = ""

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class HubStatus:
    running: bool
    url: str | None = None
    processes: dict[str, int] = field(default_factory=dict)  # name -> pid (alive ones)
    users: tuple[UserStatus, ...] = ()
    state_dir: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "running": self.running,
            "url": self.url,
            "processes": self.processes,
            "users": [u.to_dict() for u in self.users],
            "state_dir": self.state_dir,
        }


@dataclass(frozen=True)
class HubDownResult:
    stopped: tuple[str, ...]  # processes stopped
    removed: tuple[str, ...]  # leftover containers removed
    was_running: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "stopped": list(self.stopped),
            "removed": list(self.removed),
            "was_running": self.was_running,
        }
