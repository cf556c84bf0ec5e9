"""Which CUDA the locked PyTorch wheels bundle (read from a lock). The driver rule and its
numbers live in dlbox.gpu.lines; they are re-exported here for the doctor's checks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from dlbox.gpu.lines import (
    MIN_DRIVER,
    RULE_SOURCE,
    driver_supports,
    required_driver,
    rule_text,
    version_tuple,
)

__all__ = [
    "MIN_DRIVER",
    "RULE_SOURCE",
    "LockedCuda",
    "driver_supports",
    "locked_cuda",
    "required_driver",
    "rule_text",
    "version_tuple",
]

_CU_TAG = re.compile(r"\+cu(\d+)$")


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
