"""`dlbox gpu cdi`: a CDI spec for this machine's NVIDIA GPUs (no NVIDIA Container Toolkit)."""

from __future__ import annotations

from pathlib import Path

from dlbox.gpu.cdi import SYSTEM_DIR, CdiPlan, host_cdi

CDI_SYSTEM_DIR = SYSTEM_DIR  # where engines read CDI specs without being told (/etc/cdi)


def cdi_spec(folder: Path | None = None, *, write: bool = False) -> CdiPlan:
    """The spec for this machine's driver, written into `folder` when `write` (by default
    /etc/cdi as root, else the user's CDI folder)."""
    return host_cdi(folder, write=write)
