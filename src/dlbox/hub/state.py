"""The hub's state folder: generated config, 0600 secrets, the record of what dlbox started
(pids with their start times, ports, URL) and the logs."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dlbox import paths, secretfile
from dlbox.errors import DlboxError

RECORD = "hub.json"


def hub_dir() -> Path:
    return paths.ensure_private_dir(paths.state_dir() / "hub")


def logs_dir(base: Path) -> Path:
    path = base / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def ensure_secret(path: Path, nbytes: int = 32) -> None:
    """Keep a private secret file of ours; make a new one otherwise. Never shown."""
    if secretfile.read_secret(path) is None:
        secretfile.write_secret(path, secrets.token_hex(nbytes))


def read_secret(path: Path) -> str:
    value = secretfile.read_secret(path)
    if value is None:
        raise DlboxError(
            f"The hub's secret {path.name} is missing or readable by others.",
            "Run `dlbox hub up` (it makes the secrets), as the user who started the hub.",
        )
    return value


def proc_start_time(pid: int) -> str | None:
    """The kernel's start time of pid (field 22 of /proc/PID/stat): with the pid, it names one
    process, so a recycled pid is never taken for ours."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[-1].split()[19]


@dataclass
class Started:
    """One process dlbox started for the hub."""

    name: str  # hub | proxy
    pid: int
    start_time: str
    log: str

    def alive(self) -> bool:
        return proc_start_time(self.pid) == self.start_time


@dataclass
class HubRecord:
    url: str
    host: str
    port: int
    hub_port: int
    api_port: int
    image: str
    admin: str
    authenticator: str
    gpu_policy: str
    gpu_ids: list[str]
    started_at: float
    processes: list[Started] = field(default_factory=list)
    engine: str = ""  # docker | podman: where the users' servers run ("" in older records)

    def process(self, name: str) -> Started | None:
        return next((p for p in self.processes if p.name == name), None)


def save_record(base: Path, record: HubRecord) -> None:
    tmp = base / (RECORD + ".tmp")
    tmp.write_text(json.dumps(asdict(record), indent=2))
    tmp.replace(base / RECORD)


def load_record(base: Path) -> HubRecord | None:
    try:
        data = json.loads((base / RECORD).read_text())
        data["processes"] = [Started(**p) for p in data.get("processes", [])]
        return HubRecord(**data)
    except FileNotFoundError:
        return None
    except (ValueError, TypeError, KeyError) as exc:
        raise DlboxError(
            f"The hub record {base / RECORD} is damaged ({exc}).",
            f"Remove it (`rm {base / RECORD}`), then `dlbox hub down` removes what is left.",
        ) from exc


def clear_record(base: Path) -> None:
    (base / RECORD).unlink(missing_ok=True)
