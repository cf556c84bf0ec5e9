"""The CUDA lines dlbox ships (one locked environment each), the NVIDIA driver each needs, and
the choice of line for a machine. This module is the only place the driver numbers live.

Sources (NVIDIA): the CUDA Toolkit release notes, table "CUDA Toolkit and Corresponding Driver
Versions", and the CUDA Compatibility guide's "minor version compatibility" table. Since CUDA 11,
an application built with any toolkit of one major release runs on a driver at or above that
major's minimum (minor version compatibility), except features that need the newer driver (PTX
JIT of code newer than the driver); a toolkit's own release needs its "native" driver for those.

- CUDA 13.x: driver >= 580 (Linux and Windows). -> the CUDA 13 line (torch 2.15).
- CUDA 12.x: driver >= 525.60.13 (Linux) / 527.41 (Windows) by minor version compatibility;
  CUDA 12.8 natively needs >= 570.26 (Linux) / 570.65 (Windows). -> the CUDA 12 line (torch 2.10,
  PyPI's newest torch built on CUDA 12.8).
- Below 525.60.13 no line can use the GPU: the default line, on the CPU, with a warning.
WSL2 reports the Windows driver's version, so WSL uses the Windows column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dlbox.errors import UsageError

RULE_SOURCE = (
    "NVIDIA CUDA Toolkit release notes, 'CUDA Toolkit and Corresponding Driver Versions' / "
    "minor version compatibility "
    "(https://docs.nvidia.com/deploy/cuda-compatibility/minor-version-compatibility.html)"
)

# CUDA major -> minimum driver (Linux, Windows) for minor version compatibility.
MIN_DRIVER: dict[int, tuple[str, str]] = {
    11: ("450.80.02", "452.39"),
    12: ("525.60.13", "527.41"),
    13: ("580", "580"),
}
# CUDA release -> the driver that runs it natively (Linux, Windows).
NATIVE_DRIVER: dict[str, tuple[str, str]] = {
    "12.8": ("570.26", "570.65"),
    "13.0": ("580.65.06", "580.88"),
}

CHOICES = ("auto", "12", "13")


@dataclass(frozen=True)
class CudaLine:
    """One locked environment: its name (the CUDA major), the CUDA its wheels bundle, and the
    lock folder (under dlbox/image/env) it comes from."""

    name: str
    cuda_major: int
    cuda: str
    torch: str  # the torch series, for messages ("2.10")
    folder: str  # lock folder relative to dlbox/image/env
    torch_in: str  # input file relative to dlbox/image/env
    # Linux architectures whose PyPI torch wheels for this line carry CUDA.
    cuda_arches: tuple[str, ...] = ("x86_64", "aarch64")


LINES: dict[str, CudaLine] = {
    "13": CudaLine("13", 13, "13.x", "2.15", "locks", "torch.in"),
    "12": CudaLine("12", 12, "12.8", "2.10", "cuda12/locks", "cuda12/torch.in", ("x86_64",)),
}
DEFAULT_LINE = "13"


def version_tuple(text: str) -> tuple[int, ...]:
    """'525.60.13' -> (525, 60, 13); non-numeric parts end the tuple."""
    parts: list[int] = []
    for piece in text.strip().split("."):
        digits = re.match(r"\d+", piece)
        if not digits:
            break
        parts.append(int(digits.group(0)))
    return tuple(parts)


def required_driver(cuda_major: int, windows: bool = False) -> str | None:
    pair = MIN_DRIVER.get(cuda_major)
    if pair is None:
        return None
    return pair[1] if windows else pair[0]


def driver_supports(driver: str, cuda_major: int, windows: bool = False) -> bool | None:
    """True/False by the rule; None when the rule does not know this CUDA major."""
    need = required_driver(cuda_major, windows)
    if need is None:
        return None
    return version_tuple(driver) >= version_tuple(need)


def rule_text(cuda_major: int, windows: bool = False) -> str:
    need = required_driver(cuda_major, windows)
    where = "Windows/WSL2" if windows else "Linux"
    if need is None:
        return f"no driver rule known for CUDA {cuda_major}.x"
    return f"CUDA {cuda_major}.x needs an NVIDIA driver >= {need} on {where}"


def native_driver(cuda: str, windows: bool = False) -> str | None:
    pair = NATIVE_DRIVER.get(cuda)
    return None if pair is None else pair[1 if windows else 0]


def check_line(value: str, where: str = "--cuda") -> str:
    text = value.strip().lower()
    if text not in CHOICES:
        raise UsageError(
            f"{where} {value!r} is not a CUDA line.",
            "Use --cuda 12 (drivers 525-579), --cuda 13 (drivers 580+), or leave it out (auto: "
            "chosen from the driver).",
        )
    return text


@dataclass(frozen=True)
class HostGpuFacts:
    """What the choice depends on: the driver nvidia-smi reports, and the platform."""

    driver_state: str  # ok | absent | no-gpu | error | unsupported-platform
    driver: str = ""
    system: str = "Linux"
    arch: str = "x86_64"
    windows_driver: bool = False  # WSL2: the Windows driver's numbering


@dataclass(frozen=True)
class LineChoice:
    """The CUDA line an environment uses, who chose it and why (up, --explain, doctor, --json)."""

    line: str
    requested: str  # auto | 12 | 13
    source: str  # where `requested` came from (a setting source, or "default")
    reason: str
    warning: str | None = None
    driver: str = ""

    @property
    def spec(self) -> CudaLine:
        return LINES[self.line]

    def to_dict(self) -> dict[str, object]:
        return {
            "line": self.line,
            "cuda": self.spec.cuda,
            "requested": self.requested,
            "source": self.source,
            "driver": self.driver or None,
            "reason": self.reason,
            "warning": self.warning,
        }


def _too_old(driver: str, line: CudaLine, windows: bool) -> str | None:
    need = required_driver(line.cuda_major, windows)
    if need is None or driver_supports(driver, line.cuda_major, windows):
        return None
    return (
        f"driver {driver} is older than the {need} that CUDA {line.cuda_major} needs, so torch "
        f"will not see the GPU. Use --cuda auto (or `dlbox config set cuda auto`), or update "
        f"the driver."
    )


def _no_cuda_wheels(line: CudaLine, host: HostGpuFacts) -> str | None:
    if host.system == "Linux" and host.arch not in line.cuda_arches:
        return (
            f"PyPI has no CUDA build of torch {line.torch} for {host.arch}, so the CUDA "
            f"{line.name} line runs on the CPU there; a driver >= {MIN_DRIVER[13][0]} and the "
            "CUDA 13 line use the GPU."
        )
    return None


def choose_line(requested: str, source: str, host: HostGpuFacts) -> LineChoice:
    """The line for this machine: the user's --cuda/setting, else from the driver."""
    requested = check_line(requested, "cuda" if source == "default" else f"cuda ({source})")
    win = host.windows_driver
    if host.system == "Darwin":
        why = "macOS has no CUDA: the local engine uses the default line's macOS lock (MPS/CPU)"
        note = None if requested in ("auto", DEFAULT_LINE) else f"--cuda {requested} ignored"
        return LineChoice(DEFAULT_LINE, requested, source, why, note)
    if requested != "auto":
        line = LINES[requested]
        warning = _no_cuda_wheels(line, host)
        if warning is None and host.driver_state == "ok":
            warning = _too_old(host.driver, line, win)
        return LineChoice(
            requested,
            requested,
            source,
            f"CUDA {requested} line set by {source}",
            warning,
            host.driver,
        )
    if host.driver_state != "ok" or not host.driver:
        return LineChoice(
            DEFAULT_LINE,
            requested,
            source,
            f"no NVIDIA GPU seen (driver: {host.driver_state}): the default CUDA "
            f"{DEFAULT_LINE} line",
            driver=host.driver,
        )
    d = host.driver
    if driver_supports(d, 13, win):
        return LineChoice(
            "13",
            requested,
            source,
            f"driver {d} >= {required_driver(13, win)}: the CUDA 13 line",
            driver=d,
        )
    if driver_supports(d, 12, win):
        twelve = LINES["12"]
        if (skip := _no_cuda_wheels(twelve, host)) is not None:
            return LineChoice(
                DEFAULT_LINE, requested, source, skip, _too_old(d, LINES["13"], win), d
            )
        native = native_driver(twelve.cuda, win)
        reason = (
            f"driver {d} < {required_driver(13, win)} (CUDA 13's minimum) but >= "
            f"{required_driver(12, win)}: the CUDA 12 line (CUDA {twelve.cuda}"
        )
        if native and version_tuple(d) < version_tuple(native):
            reason += f" by minor version compatibility; natively from {native})"
        else:
            reason += ")"
        return LineChoice("12", requested, source, reason, driver=d)
    return LineChoice(
        DEFAULT_LINE,
        requested,
        source,
        f"driver {d} is older than every line: the default CUDA {DEFAULT_LINE} line, on the CPU",
        f"NVIDIA driver {d} is too old for the GPU: CUDA 12 needs >= {required_driver(12, win)}, "
        f"CUDA 13 >= {required_driver(13, win)}. Update the driver (then `dlbox up` picks the "
        "line itself); until then the environment runs on the CPU.",
        d,
    )
