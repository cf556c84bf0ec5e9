"""GPU exposure for Docker-compatible engines: the three mechanisms, their flags, and what a
failed probe means. Pure functions; the probe itself runs in the engine."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dlbox.engines.base import GpuRequest, ProbeOutcome

# Tried in this order: Docker's --gpus (NVIDIA Container Toolkit hook), CDI devices (Podman and
# CDI-mode toolkits, which refuse --gpus), then the legacy nvidia runtime.
PROBE_MODES = ("gpus", "cdi", "runtime")

MODE_FLAGS = {
    "gpus": "--gpus (NVIDIA Container Toolkit)",
    "cdi": "--device nvidia.com/gpu=... (Container Device Interface)",
    "runtime": "--runtime nvidia (legacy nvidia-docker runtime)",
}

_GPU_LINE = re.compile(r"^GPU \d+: .*", re.MULTILINE)
_DEV_LINE = re.compile(r"^/dev/nvidia(\d+)$", re.MULTILINE)


def gpu_argv(gpu: GpuRequest) -> list[str]:
    """Engine flags for a GPU request. `devices` empty means all GPUs."""
    if gpu.mode == "none":
        return []
    if gpu.mode == "gpus":
        if not gpu.devices:
            return ["--gpus", "all"]
        # Docker's --gpus takes a CSV value: a list of devices must be quoted inside the value.
        return ["--gpus", '"device=' + ",".join(gpu.devices) + '"']
    if gpu.mode == "cdi":
        ids = gpu.devices or ("all",)
        argv: list[str] = []
        for dev in ids:
            argv += ["--device", f"nvidia.com/gpu={dev}"]
        return argv
    if gpu.mode == "runtime":
        visible = ",".join(gpu.devices) if gpu.devices else "all"
        return [
            "--runtime",
            "nvidia",
            "--env",
            f"NVIDIA_VISIBLE_DEVICES={visible}",
            "--env",
            "NVIDIA_DRIVER_CAPABILITIES=compute,utility",
        ]
    raise ValueError(f"unknown GPU mode {gpu.mode!r}")


def parse_gpu_list(output: str) -> tuple[str, ...]:
    """GPUs from `nvidia-smi -L` lines, or from /dev/nvidiaN entries when nvidia-smi is absent."""
    lines = tuple(m.group(0).strip() for m in _GPU_LINE.finditer(output))
    if lines:
        return lines
    return tuple(f"GPU {m.group(1)}: /dev/nvidia{m.group(1)}" for m in _DEV_LINE.finditer(output))


def classify_probe_failure(mode: str, stderr: str, stdout: str = "") -> str:
    """Turn an engine's refusal into a finding a person can act on."""
    text = (stderr + "\n" + stdout).lower()
    if "could not select device driver" in text:
        return "the NVIDIA Container Toolkit is not installed or not configured for this engine"
    if "invoking the nvidia container runtime hook directly" in text:
        return "the NVIDIA runtime is in CDI mode and refuses --gpus; use CDI devices instead"
    if "is not an absolute path" in text and mode == "cdi":
        return "this Docker version predates CDI device names (Docker 25+ or Podman have them)"
    if "unresolvable cdi devices" in text or "cdi" in text and "not" in text and mode == "cdi":
        return (
            "no CDI spec for nvidia.com/gpu (run `nvidia-ctk cdi generate`, or without the "
            "toolkit `sudo dlbox gpu cdi --write`)"
        )
    if "unknown or invalid runtime name" in text or "unknown runtime" in text:
        return "the engine has no 'nvidia' runtime registered"
    if "oci runtime" in text and "nvidia" in text and "not found" in text:
        # Podman: `--runtime nvidia`, or containers.conf naming a runtime that is not installed.
        return (
            "Podman has no 'nvidia' OCI runtime: it reaches NVIDIA GPUs through CDI (run "
            "`sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml`, or without the toolkit "
            '`sudo dlbox gpu cdi --write`), and drop any runtime = "nvidia" from containers.conf'
        )
    if "unknown flag" in text or "unknown shorthand flag" in text:
        return f"this engine's CLI does not support {MODE_FLAGS[mode]}"
    if "nvml" in text or "driver" in text and "failed" in text:
        return "the NVIDIA driver is installed but failed to initialise (driver/library mismatch?)"
    if "no such image" in text or "unable to find image" in text:
        return "the probe image is not present"
    if not stderr.strip():
        return "the container started but saw no GPU"
    last = stderr.strip().splitlines()[-1]
    return last[:200]


@dataclass(frozen=True)
class GpuDecision:
    """What `up` will do about GPUs, and why (shown by --explain and doctor)."""

    request: GpuRequest
    gpus: tuple[str, ...]
    reason: str
    warning: str | None = None
    probed: bool = True  # False: a dry run with no cached probe answer (the flag is a guess)


def choose_gpu_mode(outcomes: Sequence[ProbeOutcome]) -> ProbeOutcome | None:
    """The first probe mode that showed a GPU, in PROBE_MODES order."""
    by_mode = {o.mode: o for o in outcomes}
    for mode in PROBE_MODES:
        outcome = by_mode.get(mode)
        if outcome and outcome.ok:
            return outcome
    return None
