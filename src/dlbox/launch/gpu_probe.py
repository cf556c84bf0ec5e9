"""The GPU probe as `up`, `run`, `verify` and `doctor` all ask for it: one cache key made of
everything that changes the answer, so a fix (toolkit installed, engine restarted with a new
runtime, a CDI spec written, a driver update, a reboot) is never hidden by an old answer."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from dlbox.engines.base import Engine, ProbeOutcome
from dlbox.gpu.cdi import ENGINE_DIRS, spec_files, user_dir
from dlbox.gpu.driver import DriverInfo, host_driver
from dlbox.launch.gpu_select import cached_probe


def cdi_fingerprint(folders: Sequence[Path]) -> list[str]:
    """The CDI specs present (name and modification time): writing or removing one changes it."""
    found = []
    for path in spec_files(folders):
        try:
            found.append(f"{path}@{path.stat().st_mtime_ns}")
        except OSError:
            continue
    return found


def probe_key(engine: Engine, driver: DriverInfo, cdi_folders: Sequence[Path] | None = None) -> str:
    """Engine (version, mode, endpoint), its runtimes, the CDI specs, the driver's version and
    state; the boot is added by the cache itself."""
    folders = list(cdi_folders) if cdi_folders is not None else [*ENGINE_DIRS, user_dir()]
    return json.dumps(
        {
            "engine": engine.describe(),
            "runtimes": engine.gpu_facts(),
            "cdi": cdi_fingerprint(folders),
            "driver": [driver.state, driver.version],
        },
        sort_keys=True,
        default=str,
    )


def probe_gpus(
    engine: Engine,
    image: str,
    *,
    refresh: bool = False,
    dry_run: bool = False,
    driver: DriverInfo | None = None,
) -> list[ProbeOutcome] | None:
    """What the probe says for this engine now: from the cache when nothing that matters
    changed (and never a cached "no GPU" while nvidia-smi sees one), else a fresh probe that
    is then cached. dry_run: the cache only (None without an answer). `doctor` passes
    refresh=True: its fresh answer is the one `up` then reads, so the two never disagree."""
    seen = driver or host_driver()
    return cached_probe(
        probe_key(engine, seen),
        None if dry_run else (lambda: engine.probe_gpus(image)),
        refresh and not dry_run,
        host_sees_gpu=seen.sees_gpu,
    )
