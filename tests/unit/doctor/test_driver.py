"""The NVIDIA driver check against fake nvidia-smi executables on PATH."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlbox.doctor import cuda
from dlbox.doctor.checks_gpu import check_driver, parse_query
from dlbox.environment.lockset import load_lockset

from .fakes import H100, fake_nvidia_smi, make_facts


def test_locked_cuda_comes_from_the_lock() -> None:
    lock = cuda.locked_cuda(load_lockset("x86_64").pins)
    assert lock.major == 13
    assert lock.cuda is not None and lock.cuda.startswith("13.")
    assert lock.source.startswith("nvidia-cuda-runtime==13.")
    assert lock.torch == load_lockset("x86_64").version("torch")


@pytest.mark.parametrize(
    ("pins", "expected"),
    [
        ({"torch": "2.4.0", "nvidia-cuda-runtime-cu12": "12.4.127"}, "12.4"),
        ({"torch": "2.7.1+cu128"}, "12.8"),
        ({"torch": "2.9.0+cu130"}, "13.0"),
        ({"torch": "2.15.0"}, None),
    ],
)
def test_locked_cuda_forms(pins: dict[str, str], expected: str | None) -> None:
    assert cuda.locked_cuda(pins).cuda == expected


def test_rule_table() -> None:
    assert cuda.driver_supports("525.60.13", 12) is True
    assert cuda.driver_supports("525.60.11", 12) is False
    assert cuda.driver_supports("579.99", 13) is False
    assert cuda.driver_supports("580.65.06", 13) is True
    assert cuda.driver_supports("999.1", 99) is None
    assert "580" in cuda.rule_text(13) and "Linux" in cuda.rule_text(13)
    assert "minor-version-compatibility" in cuda.RULE_SOURCE


def test_parse_query_lines() -> None:
    text = "NVIDIA GeForce RTX 4090, 24564 MiB, 580.65.06\nTesla T4, 15360 MiB, 580.65.06\n"
    gpus = parse_query(text)
    assert [g.name for g in gpus] == ["NVIDIA GeForce RTX 4090", "Tesla T4"]
    assert gpus[0].memory_mib == 24564 and gpus[0].driver == "580.65.06"


def _facts(tmp_path: Path, **smi: object):  # type: ignore[no-untyped-def]
    fake_nvidia_smi(tmp_path / "bin", **smi)  # type: ignore[arg-type]
    return make_facts(tmp_path)


def test_old_driver_fails_for_cuda_13(tmp_path: Path) -> None:
    found = check_driver(_facts(tmp_path, stdout=H100.format(driver="470.82.01")))
    assert found.status == "fail"
    assert "470.82.01" in found.finding and "too old" in found.finding
    assert ">= 580" in found.finding
    # No line runs on 470: the fix names the CUDA 12 line's minimum, and CUDA 13's.
    assert "525.60.13 or newer (the CUDA 12 line; 580+ for CUDA 13)" in found.fix
    assert found.details["rule_source"] == cuda.RULE_SOURCE
    assert found.details["cuda_line"]["line"] == "13"  # type: ignore[index]


def test_550_driver_is_ok_on_the_cuda_12_line(tmp_path: Path) -> None:
    found = check_driver(_facts(tmp_path, stdout=H100.format(driver="550.54.15")))
    assert found.status == "ok", found
    assert "CUDA 12 line (torch 2.10.0, CUDA 12.8" in found.finding
    assert "meets CUDA 12.x needs an NVIDIA driver >= 525.60.13" in found.finding
    assert found.details["cuda_line"]["line"] == "12"  # type: ignore[index]


def test_forced_cuda_13_on_550_names_the_override(tmp_path: Path) -> None:
    fake_nvidia_smi(tmp_path / "bin", stdout=H100.format(driver="550.54.15"))
    facts = make_facts(tmp_path, flags={"cuda": "13"})
    found = check_driver(facts)
    assert found.status == "fail"
    assert "drop --cuda 13" in found.fix and "flag --cuda" in found.fix


def test_new_driver_is_ok(tmp_path: Path) -> None:
    found = check_driver(_facts(tmp_path, stdout=H100.format(driver="580.65.06")))
    assert found.status == "ok", found
    assert "driver 580.65.06, 1 GPU(s): NVIDIA H100 80GB HBM3 (80 GiB)" in found.finding
    assert found.fix == ""
    gpus = found.details["driver"]["gpus"]  # type: ignore[index]
    assert gpus == [{"name": "NVIDIA H100 80GB HBM3", "memory_mib": 81559, "driver": "580.65.06"}]


def test_driver_present_but_no_gpu(tmp_path: Path) -> None:
    fake_nvidia_smi(tmp_path / "bin", stdout="No devices were found", rc=6)
    proc = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06  Sun Jul 27 2025\n"
    facts = make_facts(
        tmp_path, read_text=lambda p: proc if str(p) == "/proc/driver/nvidia/version" else None
    )
    found = check_driver(facts)
    assert found.status == "warn"
    assert found.finding.startswith("driver present 580.65.06 but no GPU")
    assert "lspci" in found.fix


def test_error_exit_fails_with_its_message(tmp_path: Path) -> None:
    said = (
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
        "Make sure that the latest NVIDIA driver is installed and running."
    )
    found = check_driver(_facts(tmp_path, stdout=said, rc=9))
    assert found.status == "fail"
    assert found.finding == f"nvidia-smi failed: {said}"
    assert "Reinstall or reload" in found.fix


def test_library_mismatch_says_reboot(tmp_path: Path) -> None:
    found = check_driver(
        _facts(tmp_path, stderr="Failed to initialize NVML: Driver/library version mismatch", rc=18)
    )
    assert found.status == "fail" and "reboot" in found.fix


def test_no_nvidia_smi_is_a_warning(tmp_path: Path) -> None:
    found = check_driver(make_facts(tmp_path))
    assert found.status == "warn"
    assert "no NVIDIA GPU found" in found.finding and "CPU" in found.finding
    assert ">= 580" in found.fix


def test_macos_skips_with_local_engine_hint(tmp_path: Path) -> None:
    found = check_driver(make_facts(tmp_path, system="Darwin", machine="arm64"))
    assert found.status == "skip" and "--engine local" in found.fix


def test_wsl_uses_the_windows_column(tmp_path: Path) -> None:
    fake_nvidia_smi(tmp_path / "bin", stdout=H100.format(driver="526.98"))
    wsl = "Linux version 5.15-microsoft-standard-WSL2"
    facts = make_facts(tmp_path, read_text=lambda p: wsl if str(p) == "/proc/version" else None)
    found = check_driver(facts)
    assert found.status == "fail"  # 526.98 < 580
    assert found.details["rule"] == cuda.rule_text(13, windows=True)
    assert "Windows/WSL2" in str(found.details["rule"])
