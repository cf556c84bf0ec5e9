"""The container GPU check: real DockerEngine.probe_gpus driving a fake docker CLI per mode."""

from __future__ import annotations

from pathlib import Path

from dlbox.doctor.checks_gpu import CDI_FIX, TOOLKIT_FIX, check_gpu_container

from .fakes import H100, engine_choice, fake_docker, fake_nvidia_smi, make_facts

NO_TOOLKIT = (
    'docker: Error response from daemon: could not select device driver "" with '
    "capabilities: [[gpu]]."
)
CDI_REFUSES = (
    "docker: Error response from daemon: failed to create task for container: failed to create "
    "shim task: OCI runtime create failed: invoking the NVIDIA Container Runtime Hook directly "
    "(e.g. specifying the docker --gpus flag) is not supported. Please use the NVIDIA Container "
    "Runtime (e.g. specify the --runtime=nvidia flag) instead.: unknown."
)
NO_CDI_SPEC = (
    "docker: Error response from daemon: CDI device injection failed: unresolvable CDI devices "
    "nvidia.com/gpu=all."
)
NO_RUNTIME = "docker: Error response from daemon: unknown or invalid runtime name: nvidia."
LISTED = "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1234)"


def _facts(tmp_path: Path, modes, host_smi: dict | None):  # type: ignore[no-untyped-def]
    docker = fake_docker(tmp_path / "engine", modes)
    if host_smi is not None:
        fake_nvidia_smi(tmp_path / "bin", **host_smi)
    return make_facts(tmp_path, choose_engine=lambda p, e: engine_choice(docker))


HOST_GPU = {"stdout": H100.format(driver="580.65.06")}


def test_toolkit_missing(tmp_path: Path) -> None:
    modes = {
        "gpus": (125, "", NO_TOOLKIT),
        "cdi": (125, "", NO_CDI_SPEC),
        "runtime": (125, "", NO_RUNTIME),
    }
    found = check_gpu_container(_facts(tmp_path, modes, HOST_GPU))
    assert found.status == "fail"
    assert found.finding.startswith("NVIDIA Container Toolkit missing: the host sees 1 GPU(s)")
    assert found.fix.startswith(TOOLKIT_FIX)
    assert "sudo dlbox gpu cdi --write" in found.fix
    assert found.fix.endswith(
        "After a fix, `dlbox up --reprobe-gpus` (or `dlbox doctor`) probes again."
    )
    by_mode = {m["mode"]: m for m in found.details["modes"]}  # type: ignore[attr-defined]
    assert set(by_mode) == {"gpus", "cdi", "runtime"}
    assert not any(m["ok"] for m in by_mode.values())
    assert found.details["image"] == "debian:bookworm-slim"


def test_cdi_mode_refuses_gpus_flag(tmp_path: Path) -> None:
    modes = {
        "gpus": (125, "", CDI_REFUSES),
        "cdi": (125, "", NO_CDI_SPEC),
        "runtime": (125, "", NO_RUNTIME),
    }
    found = check_gpu_container(_facts(tmp_path, modes, HOST_GPU))
    assert found.status == "fail"
    assert "CDI mode and refuses --gpus" in found.finding
    assert found.fix.startswith(CDI_FIX) and "nvidia-ctk cdi generate" in found.fix
    assert "--reprobe-gpus" in found.fix


def test_cdi_mode_with_cdi_devices_working(tmp_path: Path) -> None:
    modes = {
        "gpus": (125, "", CDI_REFUSES),
        "cdi": (0, LISTED, ""),
        "runtime": (125, "", NO_RUNTIME),
    }
    found = check_gpu_container(_facts(tmp_path, modes, HOST_GPU))
    assert found.status == "ok"
    assert "Container Device Interface" in found.finding and "H100" in found.finding
    assert found.details["mode"] == "cdi"


def test_gpus_flag_works(tmp_path: Path) -> None:
    modes = {
        "gpus": (0, LISTED + "\nGPU 1: NVIDIA H100 (UUID: GPU-5678)", ""),
        "cdi": (125, "", NO_CDI_SPEC),
        "runtime": (0, LISTED, ""),
    }
    found = check_gpu_container(_facts(tmp_path, modes, HOST_GPU))
    assert found.status == "ok"
    assert found.details["mode"] == "gpus"
    assert "(+1 more)" in found.finding


def test_legacy_runtime_only(tmp_path: Path) -> None:
    modes = {
        "gpus": (125, "", NO_TOOLKIT),
        "cdi": (125, "", NO_CDI_SPEC),
        "runtime": (0, LISTED, ""),
    }
    found = check_gpu_container(_facts(tmp_path, modes, HOST_GPU))
    assert found.status == "ok" and found.details["mode"] == "runtime"


def test_containers_start_but_see_no_gpu(tmp_path: Path) -> None:
    modes = {m: (0, "", "") for m in ("gpus", "cdi", "runtime")}
    found = check_gpu_container(_facts(tmp_path, modes, HOST_GPU))
    assert found.status == "fail" and "see none" in found.finding


def test_no_driver_means_none_found_warning(tmp_path: Path) -> None:
    modes = {
        "gpus": (125, "", NO_TOOLKIT),
        "cdi": (125, "", NO_CDI_SPEC),
        "runtime": (125, "", NO_RUNTIME),
    }
    found = check_gpu_container(_facts(tmp_path, modes, None))
    assert found.status == "warn"
    assert found.finding.startswith("no GPU found")


def test_driver_present_but_no_gpu_is_told_apart(tmp_path: Path) -> None:
    modes = {
        "gpus": (125, "", NO_TOOLKIT),
        "cdi": (125, "", NO_CDI_SPEC),
        "runtime": (125, "", NO_RUNTIME),
    }
    found = check_gpu_container(
        _facts(tmp_path, modes, {"stdout": "No devices were found", "rc": 6})
    )
    assert found.status == "warn"
    assert found.finding.startswith("driver present but no GPU")
    assert found.fix != TOOLKIT_FIX


def test_broken_host_driver_fails(tmp_path: Path) -> None:
    modes = {m: (125, "", NO_TOOLKIT) for m in ("gpus", "cdi", "runtime")}
    found = check_gpu_container(
        _facts(tmp_path, modes, {"stdout": "NVIDIA-SMI has failed because ...", "rc": 9})
    )
    assert found.status == "fail" and "host driver fails" in found.finding


def test_skips_without_engine(tmp_path: Path) -> None:
    found = check_gpu_container(make_facts(tmp_path))
    assert found.status == "skip" and "no container engine" in found.finding


def test_skips_on_macos(tmp_path: Path) -> None:
    found = check_gpu_container(make_facts(tmp_path, system="Darwin", machine="arm64"))
    assert found.status == "skip" and "--engine local" in found.fix
