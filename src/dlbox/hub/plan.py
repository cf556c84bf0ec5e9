"""Deciding a hub's configuration from dlbox's settings: exposure rules, limits, ports, the GPUs
the same probe as `up` finds, folders. Refuses bad input before anything is started."""

from __future__ import annotations

import ipaddress
import re
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from dlbox.config import Settings
from dlbox.errors import UsageError
from dlbox.hub.config_text import HubConfig
from dlbox.names import check_name

MEM_LIMIT = re.compile(r"^\d+(\.\d+)?[KMGT]?$")


def validate_username(name: str) -> str:
    """The one check a hub user name passes before it becomes a hub user, a URL or a volume
    name: dlbox's name rule, in lower case (JupyterHub's authenticators normalize to it)."""
    check_name("hub user", name)
    if name != name.lower():
        raise UsageError(
            f"{name!r}: hub user names are lower case.", f"Use {name.lower()!r} instead."
        )
    return name


@dataclass(frozen=True)
class Exposure:
    host: str
    ssl_cert: Path | None = None
    ssl_key: Path | None = None
    insecure: bool = False

    def __post_init__(self) -> None:
        # The proxy runs in the hub's state folder: a relative path must not depend on where
        # `dlbox hub up` was typed.
        for name in ("ssl_cert", "ssl_key"):
            path = getattr(self, name)
            if path is not None:
                object.__setattr__(self, name, Path(path).expanduser().absolute())

    @property
    def tls(self) -> bool:
        return self.ssl_cert is not None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(exposure: Exposure) -> list[str]:
    """Loopback by default; wider needs TLS or an explicit --insecure. Returns warnings."""
    cert, key = exposure.ssl_cert, exposure.ssl_key
    if (cert is None) != (key is None):
        raise UsageError(
            "--ssl-cert and --ssl-key go together.", "Pass both files (PEM), or neither."
        )
    for label, path in (("--ssl-cert", cert), ("--ssl-key", key)):
        if path is not None and not path.is_file():
            raise UsageError(
                f"{label} {path}: no such file.", "Pass the PEM file of your certificate/key."
            )
    if is_loopback(exposure.host):
        return []
    if not exposure.tls and not exposure.insecure:
        raise UsageError(
            f"--host {exposure.host} would put the hub's login page on the network without TLS: "
            "passwords and session cookies would travel in clear text.",
            "Pass --ssl-cert FILE --ssl-key FILE (see docs/hub.md), or --insecure if the network "
            "is yours alone.",
        )
    if not exposure.tls:
        return [
            f"INSECURE: the hub listens on {exposure.host} without TLS. Anyone on the network "
            "can read passwords and session cookies. Use --ssl-cert/--ssl-key for real use."
        ]
    return []


def parse_limits(mem: str, cpu: str) -> tuple[str, float | None]:
    mem_text = mem.strip().upper().removesuffix("B")
    if mem_text and not MEM_LIMIT.match(mem_text):
        raise UsageError(
            f"hub_mem_limit {mem!r} is not a size.", "Use e.g. 8G or 512M (empty: no limit)."
        )
    cpu_value: float | None = None
    if cpu.strip():
        try:
            cpu_value = float(cpu)
        except ValueError:
            cpu_value = -1.0
        if cpu_value <= 0:
            raise UsageError(
                f"hub_cpu_limit {cpu!r} is not a CPU count.", "Use e.g. 2 or 0.5 (empty: none)."
            )
    return mem_text, cpu_value


def port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        # As the proxy (Node) binds: SO_REUSEADDR, so a just-closed hub's TIME_WAIT is no clash.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def extra_config(raw: str) -> Path | None:
    """hub_extra_config: the admin's Python file that the generated config runs last."""
    if not raw.strip():
        return None
    path = Path(raw).expanduser().absolute()
    if not path.is_file():
        raise UsageError(
            f"hub_extra_config {raw}: no such file.",
            "Point it at a Python file of JupyterHub settings (`c.JupyterHub...`), or unset it: "
            "`dlbox config unset hub_extra_config`.",
        )
    return path


def course_seed(cfg: Settings, given: Path | None) -> Path | None:
    """The course notebooks copied into each new user's volume: --course-dir, else the course
    folder of `dlbox up` when it has files."""
    if given is not None:
        path = given.expanduser().resolve()
        if not path.is_dir():
            raise UsageError(
                f"--course-dir {given}: no such folder.", "Pass a folder of notebooks."
            )
        return path
    code = Path(cfg["code_dir"]).expanduser().resolve()
    sub = str(cfg["course_subdir"]).strip("/")
    folder = code / sub if sub else code
    if folder.is_dir() and any(folder.iterdir()):
        return folder
    return None


@dataclass(frozen=True)
class HubGpus:
    """The GPUs found by the same probe and rule as `dlbox up`."""

    mode: str = "none"  # none | gpus | cdi | runtime
    ids: tuple[str, ...] = ()
    note: str = "GPUs turned off"


def plan_hub(
    image: str,
    cfg: Settings,
    state: Path,
    exposure: Exposure,
    *,
    gpus: HubGpus,
    shm_bytes: int,
    course_dir: Path | None = None,
    ports: tuple[int, int] | None = None,
    docker_host: str = "",
    engine: str = "docker",
) -> tuple[HubConfig, list[str]]:
    """The configuration `hub up` writes, and the warnings to show. ports: (hub, proxy API);
    None picks free loopback ports. docker_host: the engine's Docker API ("" for Docker's
    default socket; Podman's API service socket on Podman)."""
    warnings = check_exposure(exposure)
    admin = str(cfg["hub_admin"]).strip()
    if admin:
        validate_username(admin)
    port = int(cfg["hub_port"])
    if not 1 <= port <= 65535:
        raise UsageError(f"hub_port {port} is out of range.", "Use a port such as 8000.")
    mem, cpu = parse_limits(str(cfg["hub_mem_limit"]), str(cfg["hub_cpu_limit"]))
    timeout = int(cfg["hub_idle_timeout"])
    if timeout < 60:
        raise UsageError(
            f"hub_idle_timeout {timeout} s is too short.", "Use 60 s or more (3600: one hour)."
        )
    data = Path(cfg["data_dir"]).expanduser().resolve()
    hub_port, api_port = ports or (free_loopback_port(), free_loopback_port())
    config = HubConfig(
        state_dir=state,
        image=image,
        host=exposure.host,
        port=port,
        hub_port=hub_port,
        api_port=api_port,
        admin=admin,
        authenticator=str(cfg["hub_authenticator"]),
        gpu_policy=str(cfg["hub_gpu_policy"]),
        gpu_mode=gpus.mode,
        gpu_ids=gpus.ids,
        idle_timeout=timeout,
        mem_limit=mem,
        cpu_limit=cpu,
        shm_bytes=shm_bytes,
        data_dir=data,
        course_dir=course_seed(cfg, course_dir),
        tls=exposure.tls,
        python=sys.executable,
        docker_host=docker_host,
        engine=engine,
        extra_config=extra_config(str(cfg["hub_extra_config"])),
    )
    if not gpus.ids:
        warnings.append(f"no GPU for the hub's users: {gpus.note}")
    return config, warnings
