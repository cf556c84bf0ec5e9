"""The GPU probe cache never hides a fix: a fake engine whose runtimes change, CDI specs that
appear, a driver update, and a "no GPU" answer while nvidia-smi sees a GPU all probe again."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlbox.engines.base import ProbeOutcome
from dlbox.gpu.driver import DriverInfo, Gpu
from dlbox.launch.gpu_probe import probe_gpus
from dlbox.launch.gpu_select import decide

GPU = ("GPU 0: NVIDIA L4 (UUID: GPU-1)",)
NO_DRIVER = DriverInfo("absent", message="nvidia-smi is not on PATH")
SEES_GPU = DriverInfo("ok", "550.54.15", (Gpu("NVIDIA L4", 23034, "550.54.15"),))


class FakeEngine:
    """An engine whose probe answers GPU only once the 'nvidia' runtime is registered."""

    name = "docker"
    probe_modes = ("gpus",)

    def __init__(self) -> None:
        self.runtimes = ["runc"]
        self.probes = 0

    def describe(self) -> dict[str, object]:
        return {"engine": "docker", "server_version": "27.5.1"}

    def gpu_facts(self) -> dict[str, object]:
        return {"runtimes": sorted(self.runtimes), "default_runtime": "runc"}

    def probe_gpus(self, image: str) -> list[ProbeOutcome]:
        self.probes += 1
        if "nvidia" in self.runtimes:
            return [ProbeOutcome("gpus", True, GPU, "GPU visible in the container")]
        return [ProbeOutcome("gpus", False, (), "could not select device driver")]


@pytest.fixture(autouse=True)
def cdi_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr("dlbox.launch.gpu_probe.ENGINE_DIRS", ())
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "cdi"


def test_a_new_runtime_is_probed_again(tmp_path: Path) -> None:
    engine = FakeEngine()
    first = probe_gpus(engine, "img", driver=NO_DRIVER)  # type: ignore[arg-type]
    again = probe_gpus(engine, "img", driver=NO_DRIVER)  # type: ignore[arg-type]
    assert first == again and engine.probes == 1  # nothing changed: the cache answers
    engine.runtimes.append("nvidia")  # the toolkit installed, the daemon restarted
    after = probe_gpus(engine, "img", driver=NO_DRIVER)  # type: ignore[arg-type]
    assert engine.probes == 2
    assert after is not None and decide("auto", after).gpus == GPU
    engine.runtimes.remove("nvidia")  # and removed again: no stale "GPU works" either
    gone = probe_gpus(engine, "img", driver=NO_DRIVER)  # type: ignore[arg-type]
    assert engine.probes == 3 and gone is not None and not gone[0].ok


def test_no_gpu_is_rechecked_while_nvidia_smi_sees_one() -> None:
    engine = FakeEngine()
    for expected in (1, 2, 3):
        probe_gpus(engine, "img", driver=SEES_GPU)  # type: ignore[arg-type]
        assert engine.probes == expected  # every `up` looks again: the fix may have landed
    engine.runtimes.append("nvidia")
    probe_gpus(engine, "img", driver=SEES_GPU)  # type: ignore[arg-type]
    probe_gpus(engine, "img", driver=SEES_GPU)  # type: ignore[arg-type]
    assert engine.probes == 4  # the new runtime is probed once; a working answer is cached


def test_a_cdi_spec_written_is_noticed(cdi_home: Path) -> None:
    engine = FakeEngine()
    probe_gpus(engine, "img", driver=NO_DRIVER)  # type: ignore[arg-type]
    probe_gpus(engine, "img", driver=NO_DRIVER)  # type: ignore[arg-type]
    assert engine.probes == 1
    cdi_home.mkdir(parents=True)
    (cdi_home / "dlbox-nvidia.yaml").write_text('kind: "nvidia.com/gpu"\n')
    probe_gpus(engine, "img", driver=NO_DRIVER)  # type: ignore[arg-type]
    assert engine.probes == 2


def test_a_driver_update_is_noticed() -> None:
    engine = FakeEngine()
    engine.runtimes.append("nvidia")
    probe_gpus(engine, "img", driver=SEES_GPU)  # type: ignore[arg-type]
    newer = DriverInfo("ok", "580.65.06", (Gpu("NVIDIA L4", 23034, "580.65.06"),))
    probe_gpus(engine, "img", driver=newer)  # type: ignore[arg-type]
    assert engine.probes == 2


def test_doctors_fresh_answer_is_the_one_up_reads() -> None:
    engine = FakeEngine()
    probe_gpus(engine, "img", driver=NO_DRIVER)  # type: ignore[arg-type]  # an old `up`
    engine.runtimes.append("nvidia")
    doctor = probe_gpus(engine, "img", refresh=True, driver=NO_DRIVER)  # type: ignore[arg-type]
    up = probe_gpus(engine, "img", driver=NO_DRIVER)  # type: ignore[arg-type]
    assert up == doctor and engine.probes == 2


def test_a_dry_run_never_probes() -> None:
    engine = FakeEngine()
    assert probe_gpus(engine, "img", dry_run=True, driver=NO_DRIVER) is None  # type: ignore[arg-type]
    assert engine.probes == 0


def test_every_no_gpu_message_names_reprobe_and_doctor() -> None:
    failed = [ProbeOutcome("gpus", False, (), "could not select device driver")]
    warning = decide("auto", failed).warning or ""
    assert "--reprobe-gpus" in warning and "dlbox doctor" in warning
    for request, outcomes in (("all", failed), ("all", [ProbeOutcome("host", False, (), "x")])):
        with pytest.raises(Exception) as err:
            decide(request, outcomes)
        hint = getattr(err.value, "hint", "") or ""
        assert "--reprobe-gpus" in hint and "dlbox doctor" in hint
