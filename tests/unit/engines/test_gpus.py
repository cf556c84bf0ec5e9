"""GPU mode selection from probe results, and how refusals are explained."""

from __future__ import annotations

import pytest

from dlbox.engines.base import ProbeOutcome
from dlbox.engines.gpus import classify_probe_failure, parse_gpu_list
from dlbox.errors import UsageError
from dlbox.launch.gpu_select import decide, parse_gpus, visible_devices

TWO = ("GPU 0: NVIDIA H100 (UUID: GPU-a)", "GPU 1: NVIDIA H100 (UUID: GPU-b)")
REFUSED = ProbeOutcome("gpus", False, (), "toolkit missing")


def outcomes(ok_mode: str | None) -> list[ProbeOutcome]:
    return [
        ProbeOutcome(m, m == ok_mode, TWO if m == ok_mode else (), "x")
        for m in ("gpus", "cdi", "runtime")
    ]


@pytest.mark.parametrize("mode", ["gpus", "cdi", "runtime"])
def test_first_working_mode_wins(mode: str) -> None:
    decision = decide("auto", outcomes(mode))
    assert decision.request.mode == mode and decision.gpus == TWO
    assert decision.warning is None


def test_gpus_preferred_over_cdi_when_both_work() -> None:
    both = [ProbeOutcome("gpus", True, TWO), ProbeOutcome("cdi", True, TWO)]
    assert decide("all", both).request.mode == "gpus"


def test_no_gpu_with_auto_runs_on_cpu_loudly() -> None:
    decision = decide("auto", outcomes(None))
    assert not decision.request.enabled
    assert decision.warning and "NO GPU FOUND" in decision.warning


def test_requested_but_unusable_is_an_error_with_the_fix() -> None:
    with pytest.raises(UsageError) as info:
        decide("all", outcomes(None))
    assert info.value.hint and "NVIDIA Container Toolkit" in info.value.hint


def test_device_list_and_out_of_range() -> None:
    decision = decide("1", outcomes("cdi"))
    assert decision.request.devices == ("1",) and decision.gpus == (TWO[1],)
    with pytest.raises(UsageError) as info:
        decide("0,5", outcomes("gpus"))
    assert "5" in info.value.message


def test_none_needs_no_probe() -> None:
    assert not decide("none", []).request.enabled


@pytest.mark.parametrize("bad", ["two", "0,,x", "-1", ""])
def test_bad_gpus_value(bad: str) -> None:
    with pytest.raises(UsageError):
        parse_gpus(bad)


def test_visible_devices_count_from_zero_inside() -> None:
    d = decide("1", outcomes("gpus"))
    assert visible_devices(d.request, 2) == "0"
    assert visible_devices(decide("all", outcomes("gpus")).request, 2) == "0,1"
    assert visible_devices(decide("none", []).request, 0) == ""


def test_parse_gpu_list() -> None:
    assert parse_gpu_list("GPU 0: A100 (UUID: x)\n") == ("GPU 0: A100 (UUID: x)",)
    assert parse_gpu_list("/dev/nvidia0\n/dev/nvidia1\n") == (
        "GPU 0: /dev/nvidia0",
        "GPU 1: /dev/nvidia1",
    )
    assert parse_gpu_list("") == ()


@pytest.mark.parametrize(
    ("mode", "stderr", "expect"),
    [
        (
            "gpus",
            'docker: Error response from daemon: could not select device driver "" with '
            "capabilities: [[gpu]].",
            "Container Toolkit is not installed",
        ),
        (
            "gpus",
            "nvidia-container-cli: invoking the NVIDIA Container Runtime Hook directly "
            "(e.g. specifying the docker --gpus flag) is not supported",
            "CDI mode",
        ),
        ("cdi", "Error: unresolvable CDI devices nvidia.com/gpu=all", "nvidia-ctk cdi generate"),
        ("cdi", "docker: nvidia.com/gpu=all is not an absolute path.", "predates CDI"),
        (
            "runtime",
            "docker: Error response from daemon: unknown or invalid runtime name: nvidia",
            "no 'nvidia' runtime",
        ),
        ("gpus", "", "saw no GPU"),
    ],
)
def test_probe_failures_are_explained(mode: str, stderr: str, expect: str) -> None:
    assert expect in classify_probe_failure(mode, stderr)


def test_timed_out_probes_are_not_cached(tmp_path: object) -> None:
    from dlbox.launch.gpu_select import cached_probe

    calls: list[int] = []

    def probe() -> list[ProbeOutcome]:
        calls.append(1)
        return [ProbeOutcome("gpus", False, (), "timed out", transient=True)]

    cached_probe("engine", probe)
    cached_probe("engine", probe)
    assert len(calls) == 2
    stable = [ProbeOutcome("gpus", False, (), "toolkit missing")]
    cached_probe("engine", lambda: (calls.append(1), stable)[1])
    assert cached_probe("engine", probe) == stable  # a real answer is reused
