"""What each `dlbox hub` command does, from its typed options to its typed result: the functions
the CLI calls. The steps they take (plan, start, stop, ask the hub's API) are in usecases/hub.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dlbox.config import Settings, load_settings
from dlbox.errors import DlboxError
from dlbox.hub.plan import Exposure
from dlbox.hub.results import HubDownResult, HubStatus, HubUpResult
from dlbox.usecases import hub
from dlbox.usecases.engines import container_engine_or_none
from dlbox.usecases.reporting import SILENT, Reporter


@dataclass(frozen=True)
class HubOptions:
    """The flags `hub config` and `hub up` share; None leaves the setting as configured."""

    host: str | None = None
    port: int | None = None
    admin: str | None = None
    authenticator: str | None = None
    gpu_policy: str | None = None
    gpus: str | None = None
    ssl_cert: Path | None = None
    ssl_key: Path | None = None
    insecure: bool = False
    course_dir: Path | None = None
    engine: str | None = None  # docker | podman (auto: the engine setting's rule)

    def settings(self) -> Settings:
        """The settings, with the flags given on top of every other layer."""
        flags = {
            "hub_host": self.host,
            "hub_port": self.port,
            "hub_admin": self.admin,
            "hub_authenticator": self.authenticator,
            "hub_gpu_policy": self.gpu_policy,
            "gpus": self.gpus,
            "engine": self.engine,
        }
        return load_settings({k: v for k, v in flags.items() if v is not None})

    def exposure(self, cfg: Settings) -> Exposure:
        return Exposure(str(cfg["hub_host"]), self.ssl_cert, self.ssl_key, self.insecure)


def config_text(options: HubOptions) -> str:
    """`hub config`: the jupyterhub_config.py `hub up` would write (nothing built or started)."""
    cfg = options.settings()
    return hub.hub_config_text(cfg, options.exposure(cfg), options.course_dir)


def up(options: HubOptions, reporter: Reporter = SILENT) -> HubUpResult:
    cfg = options.settings()
    exposure = options.exposure(cfg)
    return hub.hub_up(cfg, exposure, course_dir=options.course_dir, reporter=reporter)


def status() -> HubStatus:
    """Whether the hub runs, and its users; the containers' GPUs and ports when a container
    engine answers (the users come from the hub itself)."""
    return hub.hub_status(container_engine_or_none(hub.hub_settings(load_settings())))


def down() -> HubDownResult:
    return hub.hub_down(hub.engine_for(load_settings()))


@dataclass(frozen=True)
class HubLog:
    path: Path
    lines: tuple[str, ...] | None  # None: no log yet (the hub was never started)

    def to_dict(self) -> dict[str, object]:
        return {"path": str(self.path), "lines": None if self.lines is None else list(self.lines)}


def read_log(which: str, tail: int) -> HubLog:
    """The last `tail` lines of the hub's or the proxy's log."""
    path = hub.log_file(which)
    if not path.is_file():
        return HubLog(path, None)
    lines = path.read_text(errors="replace").splitlines()[-tail:] if tail else []
    return HubLog(path, tuple(lines))


def follow_log(log: HubLog, tail: int) -> int:
    """`hub logs -f`: the last lines, then new ones as they come (until Ctrl-C)."""
    return hub.follow_log(log.path, tail)


@dataclass(frozen=True)
class UsersChange:
    """`hub users add|remove`: the names asked for, in order, and those that changed."""

    action: str  # "added" or "removed"
    names: tuple[str, ...]
    changed: tuple[str, ...]

    def unchanged(self) -> list[str]:
        return [name for name in self.names if name not in self.changed]

    def to_dict(self) -> dict[str, object]:
        return {self.action: list(self.changed), "unchanged": self.unchanged()}


def add_users(names: Sequence[str], *, admin: bool = False) -> UsersChange:
    """Add users to the running hub; those that exist already are left as they are."""
    added = hub.users_add(list(names), admin=admin)
    return UsersChange("added", tuple(names), tuple(added))


def remove_users(names: Sequence[str]) -> UsersChange:
    removed = hub.users_remove(list(names))
    return UsersChange("removed", tuple(names), tuple(removed))


def list_users() -> HubStatus:
    """The running hub's users; raises when no hub runs."""
    result = hub.hub_status(None)
    if not result.running:
        raise DlboxError("No hub is running.", "Start one with `dlbox hub up`.")
    return result
