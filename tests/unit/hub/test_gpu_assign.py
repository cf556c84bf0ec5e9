"""GPUs per hub user: round-robin, exclusive (a clear refusal), shared."""

from __future__ import annotations

import pytest

from dlbox.hub.gpu_assign import GpusTaken, assign_gpus, host_config_for, visible_devices

GPUS = ["0", "1"]


def test_round_robin_gives_the_least_loaded_gpu_and_wraps() -> None:
    held: dict[str, tuple[str, ...]] = {}
    for user in ("ann", "bob", "cy", "dee"):
        held[user] = assign_gpus("round-robin", GPUS, held, user)
    assert held == {"ann": ("0",), "bob": ("1",), "cy": ("0",), "dee": ("1",)}
    del held["ann"]
    assert assign_gpus("round-robin", GPUS, held, "eve") == ("0",)


def test_exclusive_refuses_when_all_are_taken() -> None:
    held = {"ann": ("0",), "bob": ("1",)}
    with pytest.raises(GpusTaken) as caught:
        assign_gpus("exclusive", GPUS, held, "cy")
    assert "All 2 GPU(s)" in caught.value.message and "ann, bob" in caught.value.message
    assert caught.value.hint and "round-robin" in caught.value.hint
    del held["bob"]
    assert assign_gpus("exclusive", GPUS, held, "cy") == ("1",)


def test_shared_gives_every_gpu_and_restart_keeps_own() -> None:
    assert assign_gpus("shared", GPUS, {"ann": ("0", "1")}, "bob") == ("0", "1")
    assert assign_gpus("exclusive", GPUS, {"ann": ("1",)}, "ann") == ("1",)


def test_no_gpu_means_cpu() -> None:
    assert assign_gpus("exclusive", [], {}, "ann") == ()
    assert visible_devices(()) == ""
    assert host_config_for("gpus", ()) == {}


def test_engine_requests_per_mechanism() -> None:
    assert host_config_for("gpus", ("1",)) == {
        "device_requests": [{"Driver": "", "DeviceIDs": ["1"], "Capabilities": [["gpu"]]}]
    }
    assert host_config_for("cdi", ("0",)) == {
        "device_requests": [{"Driver": "cdi", "DeviceIDs": ["nvidia.com/gpu=0"]}]
    }
    assert visible_devices(("3",)) == "0"  # the engine renumbers: the container sees GPU 0
