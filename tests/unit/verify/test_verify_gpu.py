"""`dlbox verify`'s default smoke run goes to the GPU when the probe finds one, and says which
device, how much memory and which CUDA; CPU-only machines keep the CPU smoke run."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlbox.cli.verify_view import device_text
from dlbox.config import load_settings
from dlbox.engines.base import ProbeOutcome, UserMapping
from dlbox.usecases.verify import VerifyRequest, verify_options
from dlbox.verify.container.run_notebooks import _PROBE

GPU = ("GPU 0: NVIDIA L4 (UUID: GPU-1)",)


class ProbeOnlyEngine:
    """Enough of an engine for planning: a GPU probe with a fixed answer, nothing started."""

    name = "docker"
    probe_modes = ("gpus",)

    def __init__(self, gpu: bool) -> None:
        self.gpu = gpu

    def describe(self) -> dict[str, object]:
        return {"engine": "docker", "gpu": self.gpu}

    def gpu_facts(self) -> dict[str, object]:
        return {"runtimes": ["nvidia", "runc"] if self.gpu else ["runc"]}

    def probe_gpus(self, image: str) -> list[ProbeOutcome]:
        if self.gpu:
            return [ProbeOutcome("gpus", True, GPU, "GPU visible in the container")]
        return [ProbeOutcome("gpus", False, (), "could not select device driver")]

    def user_mapping(self, user: str | None) -> UserMapping:
        return UserMapping(("--user", user or "0:0"), False, "runs as you")


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PATH", "/nonexistent")  # no nvidia-smi: the probe alone decides
    env = {"DLBOX_CODE_DIR": str(tmp_path / "code"), "DLBOX_DATA_DIR": str(tmp_path / "data")}
    return load_settings({}, environ=env, cwd=tmp_path)


def test_smoke_runs_on_the_gpu_when_one_is_found(cfg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    options = verify_options(ProbeOnlyEngine(True), cfg, "img", VerifyRequest((), "smoke", 60.0))  # type: ignore[arg-type]
    assert options.profile == "smoke" and options.require_gpu
    assert options.gpu.mode == "gpus" and options.gpus == GPU
    assert options.code_dir is None and options.data_dir is None  # still scratch folders
    assert not (tmp_path / "code").exists()  # and nothing created on the host


def test_smoke_stays_on_the_cpu_without_a_gpu(cfg) -> None:  # type: ignore[no-untyped-def]
    options = verify_options(ProbeOnlyEngine(False), cfg, "img", VerifyRequest((), "smoke", 60.0))  # type: ignore[arg-type]
    assert not options.require_gpu and options.gpus == ()


def test_device_text_names_device_memory_and_cuda() -> None:
    gpu = {
        "cuda": True,
        "device": "NVIDIA L4",
        "memory_mib": 22563,
        "cuda_runtime": "12.8",
        "torch": "2.10.0",
        "device_count": 1,
    }
    assert device_text(gpu) == "NVIDIA L4, 22 GiB, CUDA 12.8 (torch 2.10.0)"
    assert device_text({**gpu, "device_count": 2}).endswith(", 2 GPUs")
    assert device_text({"cuda": False, "device": "cpu"}) == "cpu"
    assert device_text({"error": "device probe failed: x"}) == "device probe failed: x"


def test_the_in_container_probe_reports_memory_and_cuda_runtime() -> None:
    compile(_PROBE, "<probe>", "exec")
    for key in ("memory_mib", "cuda_runtime", "capability", "device_count"):
        assert f"'{key}'" in _PROBE
