"""Which NVIDIA driver the locked PyTorch wheels need: the rule, its source, and the lookups.

Since CUDA 11, an application built with any toolkit of one CUDA major release runs on a driver at
or above that major's minimum ("minor version compatibility"). The minimums come from NVIDIA's
CUDA Toolkit release notes, table "CUDA Toolkit and Corresponding Driver Versions", and the
CUDA Compatibility guide's minor-version table. Keep this table the only place these numbers live.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

RULE_SOURCE = (
    "NVIDIA CUDA Toolkit release notes, 'CUDA Toolkit and Corresponding Driver Versions' / "
    "minor version compatibility "
    "(https://docs.nvidia.com/deploy/cuda-compatibility/minor-version-compatibility.html)"
)

# CUDA major -> minimum driver (Linux, Windows). WSL2 reports the Windows driver's version.
MIN_DRIVER: dict[int, tuple[str, str]] = {
    11: ("450.80.02", "452.39"),
    12: ("525.60.13", "527.41"),
    13: ("580", "580"),
}

_CU_TAG = re.compile(r"\+cu(\d+)$")


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


@dataclass(frozen=True)
class LockedCuda:
    """The CUDA release the locked torch wheels bundle, and where that was read from."""

    torch: str
    cuda: str | None  # "13.2"; None for CPU-only wheels
    source: str

    @property
    def major(self) -> int | None:
        return int(self.cuda.split(".")[0]) if self.cuda else None


def locked_cuda(pins: Mapping[str, str]) -> LockedCuda:
    """From lock pins: nvidia-cuda-runtime (or -cuNN) first, else torch's +cuXYZ local tag."""
    torch = pins.get("torch", "unknown")
    for name in sorted(pins):
        if name == "nvidia-cuda-runtime" or name.startswith("nvidia-cuda-runtime-cu"):
            parts = version_tuple(pins[name])
            if len(parts) >= 2:
                return LockedCuda(torch, f"{parts[0]}.{parts[1]}", f"{name}=={pins[name]}")
    m = _CU_TAG.search(torch)
    if m:
        digits = m.group(1)
        return LockedCuda(torch, f"{int(digits[:-1])}.{digits[-1]}", f"torch=={torch}")
    return LockedCuda(torch, None, "no CUDA runtime in the lock (CPU-only wheels)")
