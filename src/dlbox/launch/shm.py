"""/dev/shm sizing. PyTorch DataLoader workers pass batches through shared memory; Docker's
default 64 MiB makes them die with "unable to allocate shared memory" / Bus error.

Rule (documented in the README): half of the host's RAM, at least 1 GiB, at most 16 GiB (the size
fastai's course22 devcontainer uses). `--shm-size` overrides; `--ipc host` shares the host's.
"""

from __future__ import annotations

import os
import re

GIB = 1024**3
MIN_SHM = 1 * GIB
MAX_SHM = 16 * GIB
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)


def host_memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8 * GIB


def auto_shm_bytes(total_ram: int | None = None) -> int:
    total = host_memory_bytes() if total_ram is None else total_ram
    half_mib = (total // 2) // 1024**2 * 1024**2  # whole MiB
    return max(MIN_SHM, min(MAX_SHM, half_mib))


def parse_size(text: str) -> int:
    """'8g', '512m', '2GiB', '1073741824' -> bytes. Raises ValueError with the accepted forms."""
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a size; use e.g. 512m, 8g or 2GiB")
    number, unit = float(m.group(1)), m.group(2).lower()
    scale = {"": 1, "k": 1024, "m": 1024**2, "g": GIB, "t": 1024**4}[unit]
    value = int(number * scale)
    if value < 64 * 1024**2:
        raise ValueError(f"{text!r} is below 64m, too small for DataLoader workers")
    return value


def human(size: int) -> str:
    for unit, scale in (("GiB", GIB), ("MiB", 1024**2)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{size} B"
