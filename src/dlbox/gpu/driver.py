"""The host's NVIDIA driver as `nvidia-smi` reports it: one reader that `up`, `build`, `verify`
and `doctor` share, so they can never disagree about the driver (and so about the CUDA line)."""

from __future__ import annotations

import functools
import os
import platform
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dlbox import process
from dlbox.errors import ProcessError

SMI_TIMEOUT = 20.0
QUERY = ["--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"]
PROC_VERSION = Path("/proc/driver/nvidia/version")
WSL_NVIDIA_SMI = "/usr/lib/wsl/lib/nvidia-smi"
_PROC_DRIVER = re.compile(r"Kernel Module\s+(?:for\s+\S+\s+)?(\d+(?:\.\d+)+)")

RunFn = Callable[[Sequence[str], float], process.Completed]


@dataclass(frozen=True)
class Gpu:
    name: str
    memory_mib: int | None
    driver: str

    def describe(self) -> str:
        if self.memory_mib is None:
            return self.name
        return f"{self.name} ({self.memory_mib / 1024:.0f} GiB)"


@dataclass(frozen=True)
class DriverInfo:
    state: str  # ok | absent | no-gpu | error | unsupported-platform
    version: str = ""
    gpus: tuple[Gpu, ...] = ()
    message: str = ""
    smi: str | None = None

    @property
    def sees_gpu(self) -> bool:
        return self.state == "ok" and bool(self.gpus)

    def to_dict(self) -> dict[str, object]:
        return {
            "state": self.state,
            "version": self.version,
            "nvidia_smi": self.smi,
            "message": self.message,
            "gpus": [
                {"name": g.name, "memory_mib": g.memory_mib, "driver": g.driver} for g in self.gpus
            ],
        }


def parse_query(text: str) -> tuple[Gpu, ...]:
    """Lines of `nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader`."""
    gpus = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.rsplit(",", 2)]
        if len(parts) != 3 or not parts[0]:
            continue
        mem = re.match(r"(\d+)", parts[1])
        gpus.append(Gpu(parts[0], int(mem.group(1)) if mem else None, parts[2]))
    return tuple(gpus)


def proc_driver_version(text: str | None) -> str:
    """The loaded kernel module's version from /proc/driver/nvidia/version ('' if none)."""
    m = _PROC_DRIVER.search(text or "")
    return m.group(1) if m else ""


def read_driver(
    *,
    system: str,
    smi: str | None,
    run: RunFn,
    read_text: Callable[[Path], str | None],
) -> DriverInfo:
    """What nvidia-smi says (every seam passed in: doctor passes its fakeable Facts)."""
    if system == "Darwin":
        return DriverInfo("unsupported-platform", message="macOS has no NVIDIA/CUDA driver")
    if smi is None:
        loaded = proc_driver_version(read_text(PROC_VERSION))
        why = f"a driver {loaded} is loaded but " if loaded else ""
        return DriverInfo("absent", loaded, message=f"{why}nvidia-smi is not on PATH")
    try:
        done = run([smi, *QUERY], SMI_TIMEOUT)
    except ProcessError as exc:
        return DriverInfo("error", message=exc.message, smi=smi)
    output = (done.stdout + "\n" + done.stderr).strip()
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    if done.returncode != 0:
        if "no devices were found" in output.lower():
            loaded = proc_driver_version(read_text(PROC_VERSION))
            return DriverInfo("no-gpu", loaded, message=lines[0], smi=smi)
        said = lines[0][:200] if lines else f"exit code {done.returncode}"
        return DriverInfo("error", message=said, smi=smi)
    gpus = parse_query(done.stdout)
    if not gpus:
        loaded = proc_driver_version(read_text(PROC_VERSION))
        return DriverInfo("no-gpu", loaded, message="no GPU listed", smi=smi)
    return DriverInfo("ok", gpus[0].driver, gpus, smi=smi)


def run_unchecked(argv: Sequence[str], timeout: float) -> process.Completed:
    """A probe's command: its exit status is an answer, not an error (also doctor's facts)."""
    return process.run(argv, timeout=timeout, check=False)


def read_text_or_none(path: Path) -> str | None:
    """A probe's file (/proc/version, /proc/driver/nvidia/version): None when unreadable."""
    try:
        return path.read_text(errors="replace")
    except OSError:
        return None


def is_wsl(system: str, proc_version: str | None) -> bool:
    return system == "Linux" and "microsoft" in (proc_version or "").lower()


def find_nvidia_smi(path_env: str | None = None, wsl: bool = False) -> str | None:
    found = shutil.which("nvidia-smi", path=path_env)
    if found is None and wsl and os.path.exists(WSL_NVIDIA_SMI):
        found = WSL_NVIDIA_SMI
    return found


def host_driver() -> DriverInfo:
    """This machine's driver, read once per dlbox process (and PATH)."""
    return _host_driver(os.environ.get("PATH"))


@functools.lru_cache(maxsize=4)
def _host_driver(path_env: str | None) -> DriverInfo:
    system = platform.system()
    wsl = is_wsl(system, read_text_or_none(Path("/proc/version")))
    smi = find_nvidia_smi(path_env, wsl=wsl)
    return read_driver(system=system, smi=smi, run=run_unchecked, read_text=read_text_or_none)


def host_is_wsl() -> bool:
    return is_wsl(platform.system(), read_text_or_none(Path("/proc/version")))
