"""Which GPUs a hub user's server gets: a pure decision over the GPUs the probe found and what
running servers already hold (one GPU each round-robin, exclusive, or all shared)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dlbox.errors import DlboxError

POLICIES = ("round-robin", "exclusive", "shared")


class GpusTaken(DlboxError):
    """Every GPU is held by another user's server under the exclusive policy."""


def assign_gpus(
    policy: str, gpus: Sequence[str], held: Mapping[str, Sequence[str]], owner: str
) -> tuple[str, ...]:
    """GPU ids for `owner`'s server. gpus: the machine's GPU ids; held: server -> its GPU ids
    (the owner's own entry, from an earlier start, is kept)."""
    if policy not in POLICIES:
        raise ValueError(f"unknown GPU policy {policy!r}")
    if not gpus:
        return ()
    if owner in held and held[owner] and all(g in gpus for g in held[owner]):
        return tuple(held[owner])
    if policy == "shared":
        return tuple(gpus)
    load = {g: 0 for g in gpus}
    for server, ids in held.items():
        if server == owner:
            continue
        for gpu in ids:
            if gpu in load:
                load[gpu] += 1
    if policy == "exclusive":
        free = [g for g in gpus if load[g] == 0]
        if not free:
            holders = ", ".join(sorted(s for s in held if s != owner and held[s]))
            raise GpusTaken(
                f"All {len(gpus)} GPU(s) of this machine are in use ({holders}); the exclusive "
                "GPU policy gives each running server a GPU of its own.",
                "Wait until a server stops (idle servers stop by themselves), ask the admin to "
                "stop one, or switch to `dlbox config set hub_gpu_policy round-robin`.",
            )
        return (free[0],)
    # round-robin: the least-loaded GPU, the lowest index among equals.
    return (min(gpus, key=lambda g: (load[g], gpus.index(g))),)


def visible_devices(assigned: Sequence[str]) -> str:
    """CUDA_VISIBLE_DEVICES inside the container: the engine exposes only the assigned GPUs,
    which the container numbers 0..n-1 (empty: no GPU, torch never tries CUDA)."""
    return ",".join(str(i) for i in range(len(assigned)))


def host_config_for(mode: str, assigned: Sequence[str]) -> dict[str, object]:
    """Docker API host-config entries exposing `assigned` GPUs through the probe's mechanism."""
    if not assigned or mode == "none":
        return {}
    ids = list(assigned)
    if mode == "gpus":
        return {"device_requests": [{"Driver": "", "DeviceIDs": ids, "Capabilities": [["gpu"]]}]}
    if mode == "cdi":
        cdi = [f"nvidia.com/gpu={i}" for i in ids]
        return {"device_requests": [{"Driver": "cdi", "DeviceIDs": cdi}]}
    if mode == "runtime":
        return {"runtime": "nvidia"}
    raise ValueError(f"unknown GPU mode {mode!r}")
