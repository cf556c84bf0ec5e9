"""Deciding which GPUs a session gets: the user's request (auto | all | none | 0,1) against what
real probe containers showed this engine can expose. Probe results are cached per boot."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from dlbox import paths
from dlbox.engines.base import GpuRequest, ProbeOutcome
from dlbox.engines.gpus import MODE_FLAGS, GpuDecision, choose_gpu_mode
from dlbox.errors import UsageError

PROBE_CACHE_SECONDS = 6 * 3600
REPROBE = "--reprobe-gpus"
# GPU modes of the local engine (no container): what the host itself offers.
HOST_MODES = {
    "host": "the host's NVIDIA driver (local engine, no container)",
    "mps": "Apple's Metal GPU (PyTorch MPS, local engine)",
}


def mode_text(mode: str) -> str:
    return MODE_FLAGS.get(mode) or HOST_MODES.get(mode, mode)


def _working(outcomes: Sequence[ProbeOutcome]) -> ProbeOutcome | None:
    found = choose_gpu_mode(outcomes)
    if found is None:
        found = next((o for o in outcomes if o.ok and o.mode in HOST_MODES), None)
    return found


def parse_gpus(value: str) -> tuple[str, tuple[str, ...]]:
    """'auto' | 'all' | 'none' | '0,1' -> (kind, device ids)."""
    text = value.strip().lower()
    if text in ("auto", "all", "none"):
        return text, ()
    parts = tuple(p.strip() for p in text.split(",") if p.strip())
    if not parts or not all(p.isdigit() for p in parts):
        raise UsageError(
            f"--gpus {value!r} is not understood.",
            "Use --gpus auto (default), all, none, or GPU indices such as --gpus 0 or --gpus 0,1.",
        )
    return "list", parts


def visible_devices(request: GpuRequest, count: int) -> str:
    """CUDA_VISIBLE_DEVICES inside the container: the engine already hides other GPUs, so the
    container's own indices are 0..n-1; with no GPU it is empty (torch then never tries CUDA)."""
    if not request.enabled:
        return ""
    n = len(request.devices) if request.devices else count
    return ",".join(str(i) for i in range(max(n, 1)))


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


def cached_probe(
    engine_key: str,
    probe: Callable[[], list[ProbeOutcome]] | None,
    refresh: bool = False,
    host_sees_gpu: bool = False,
) -> list[ProbeOutcome] | None:
    """Probe results, reused while the key (engine, its runtimes, CDI specs, driver: see
    launch.gpu_probe) and the boot are the same, at most PROBE_CACHE_SECONDS. A cached "no GPU"
    is not trusted while the host's nvidia-smi sees a GPU: that is probed again (the fix may
    have just been made). probe=None (a dry run) reads the cache only: None when it holds no
    answer."""
    cache = paths.state_dir() / "gpu-probe.json"
    key = f"{engine_key}|{_boot_id()}"
    if not refresh and cache.is_file():
        try:
            data = json.loads(cache.read_text())
            if data.get("key") == key and time.time() - data.get("at", 0) < PROBE_CACHE_SECONDS:
                cached = [
                    ProbeOutcome(o["mode"], o["ok"], tuple(o["gpus"]), o["message"])
                    for o in data["outcomes"]
                ]
                if not (host_sees_gpu and _working(cached) is None):
                    return cached
        except (ValueError, KeyError, TypeError):
            pass
    if probe is None:
        return None
    outcomes = probe()
    if any(o.transient for o in outcomes) or not paths.writes_allowed():
        return outcomes  # a timed-out probe is no answer: ask again next time
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(
        json.dumps({"key": key, "at": time.time(), "outcomes": [asdict(o) for o in outcomes]})
    )
    tmp.replace(cache)
    return outcomes


def unprobed(gpus_setting: str, modes: Sequence[str]) -> GpuDecision:
    """A dry run with no cached probe answer: the flag `up` would try first, said as such."""
    kind, devices = parse_gpus(gpus_setting)
    if kind == "none":
        return GpuDecision(GpuRequest("none"), (), "GPUs turned off (--gpus none): running on CPU")
    if not modes:
        return GpuDecision(GpuRequest("none"), (), "this engine exposes no GPUs to probe for")
    tries = ", then ".join(mode_text(m) for m in modes)
    return GpuDecision(
        GpuRequest(modes[0], devices),
        (),
        f"not probed (dry run, no cached probe answer): `up` would start a probe container "
        f"trying {tries}, and use the first that shows a GPU (none: CPU)",
        probed=False,
    )


def decide(gpus_setting: str, outcomes: Sequence[ProbeOutcome]) -> GpuDecision:
    """Turn the request and the probe results into flags, or a clear error."""
    kind, devices = parse_gpus(gpus_setting)
    if kind == "none":
        return GpuDecision(GpuRequest("none"), (), "GPUs turned off (--gpus none): running on CPU")
    working = _working(outcomes)
    failures = "; ".join(f"{mode_text(o.mode)}: {o.message}" for o in outcomes if not o.ok)
    on_host = bool(outcomes) and all(o.mode in HOST_MODES for o in outcomes)
    if working is None:
        if kind == "auto":
            return GpuDecision(
                GpuRequest("none"),
                (),
                "no GPU found on this machine: running on CPU"
                if on_host
                else "no GPU reachable from containers: running on CPU",
                warning=(
                    "NO GPU FOUND: the environment runs on the CPU, so training will be "
                    f"slow. Probes: {failures or 'none ran'}. Run `dlbox doctor` for the fix, "
                    f"then `dlbox up {REPROBE}` to probe again (or pass --gpus none to silence "
                    "this)."
                ),
            )
        if on_host:
            raise UsageError(
                f"--gpus {gpus_setting} was requested, but this machine shows no GPU ({failures}).",
                "Install the NVIDIA driver (`nvidia-smi -L` must list your GPUs; `dlbox doctor` "
                f"checks each step), then add {REPROBE}; or run with --gpus none.",
            )
        raise UsageError(
            f"--gpus {gpus_setting} was requested, but no GPU is usable from containers "
            f"({failures or 'no probe succeeded'}).",
            "Install the NVIDIA driver and the NVIDIA Container Toolkit "
            "(then `sudo nvidia-ctk runtime configure --runtime=docker` and restart the daemon), "
            "or without the toolkit `sudo dlbox gpu cdi --write` (Podman, Docker 25+ with CDI); "
            f"`dlbox doctor` checks each step; then add {REPROBE}. Or run with --gpus none.",
        )
    found = working.gpus
    if kind == "list":
        missing = [d for d in devices if int(d) >= len(found)]
        if missing:
            raise UsageError(
                f"--gpus {gpus_setting}: this machine has {len(found)} GPU(s) "
                f"(indices 0-{len(found) - 1}), so {', '.join(missing)} does not exist.",
                "Pick indices from `dlbox doctor` or `nvidia-smi -L`, or use --gpus all.",
            )
        chosen = tuple(found[int(d)] for d in devices)
        return GpuDecision(
            GpuRequest(working.mode, devices),
            chosen,
            f"GPU(s) {','.join(devices)} via {mode_text(working.mode)}",
        )
    return GpuDecision(
        GpuRequest(working.mode, ()),
        found,
        f"all {len(found)} GPU(s) via {mode_text(working.mode)}",
    )
