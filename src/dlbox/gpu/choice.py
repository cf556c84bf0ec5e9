"""The CUDA line for this machine from the settings and the driver: the one function `up`,
`build`, `verify`, `run` and (through its own seams) `doctor` use."""

from __future__ import annotations

import platform

from dlbox.config import Settings
from dlbox.gpu.driver import DriverInfo, host_driver, host_is_wsl
from dlbox.gpu.lines import HostGpuFacts, LineChoice, choose_line

_ARCHES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


def host_gpu_facts(driver: DriverInfo, system: str, machine: str, wsl: bool) -> HostGpuFacts:
    arch = _ARCHES.get(machine.lower(), machine.lower())
    return HostGpuFacts(driver.state, driver.version, system, arch, wsl)


def cuda_choice(cfg: Settings) -> LineChoice:
    """The CUDA line for this machine: `--cuda`/the `cuda` setting, else from the driver."""
    host = host_gpu_facts(host_driver(), platform.system(), platform.machine(), host_is_wsl())
    return choose_line(str(cfg["cuda"]), cfg.source("cuda"), host)
