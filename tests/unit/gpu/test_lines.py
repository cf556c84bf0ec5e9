"""The CUDA line chosen from what a fake nvidia-smi reports (drivers 470-580 and none), and the
--cuda / `cuda` setting override, through the same reader `up` and `doctor` use."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlbox import process
from dlbox.errors import UsageError
from dlbox.gpu.choice import host_gpu_facts
from dlbox.gpu.driver import DriverInfo, read_driver
from dlbox.gpu.lines import HostGpuFacts, LineChoice, choose_line
from tests.unit.doctor.fakes import H100, fake_nvidia_smi


def _driver(tmp_path: Path, smi_stdout: str | None, rc: int = 0) -> DriverInfo:
    smi = None
    if smi_stdout is not None:
        smi = str(fake_nvidia_smi(tmp_path / "bin", stdout=smi_stdout, rc=rc))
    return read_driver(
        system="Linux",
        smi=smi,
        run=lambda argv, timeout: process.run(argv, timeout=timeout, check=False),
        read_text=lambda path: None,
    )


def _choose(
    tmp_path: Path,
    driver: str | None,
    requested: str = "auto",
    source: str = "default",
    machine: str = "x86_64",
) -> LineChoice:
    out = None if driver is None else H100.format(driver=driver)
    info = _driver(tmp_path, out)
    return choose_line(requested, source, host_gpu_facts(info, "Linux", machine, False))


@pytest.mark.parametrize(
    ("driver", "line", "said"),
    [
        ("580.65.06", "13", "driver 580.65.06 >= 580: the CUDA 13 line"),
        ("570.172.08", "12", "driver 570.172.08 < 580 (CUDA 13's minimum) but >= 525.60.13"),
        ("550.54.15", "12", "by minor version compatibility; natively from 570.26"),
        ("535.183.01", "12", "the CUDA 12 line (CUDA 12.8 by minor version compatibility"),
        ("470.256.02", "13", "driver 470.256.02 is older than every line"),
    ],
)
def test_line_from_the_driver(tmp_path: Path, driver: str, line: str, said: str) -> None:
    choice = _choose(tmp_path, driver)
    assert choice.line == line
    assert said in choice.reason
    assert choice.driver == driver
    assert choice.to_dict()["cuda"] == ("12.8" if line == "12" else "13.x")


def test_570_runs_cuda_12_8_natively(tmp_path: Path) -> None:
    choice = _choose(tmp_path, "570.172.08")
    assert "minor version compatibility" not in choice.reason
    assert choice.warning is None


def test_470_warns_that_no_line_uses_the_gpu(tmp_path: Path) -> None:
    choice = _choose(tmp_path, "470.256.02")
    assert choice.warning is not None
    assert "CUDA 12 needs >= 525.60.13, CUDA 13 >= 580" in choice.warning
    assert "runs on the CPU" in choice.warning


def test_no_nvidia_smi_gives_the_default_line(tmp_path: Path) -> None:
    choice = _choose(tmp_path, None)
    assert (choice.line, choice.warning) == ("13", None)
    assert "no NVIDIA GPU seen (driver: absent)" in choice.reason


def test_nvidia_smi_without_a_gpu_gives_the_default_line(tmp_path: Path) -> None:
    info = _driver(tmp_path, "No devices were found", rc=6)
    choice = choose_line("auto", "default", host_gpu_facts(info, "Linux", "x86_64", False))
    assert choice.line == "13" and "driver: no-gpu" in choice.reason


@pytest.mark.parametrize("driver", ["470.256.02", "535.183.01", "580.65.06"])
def test_flag_overrides_the_driver(tmp_path: Path, driver: str) -> None:
    choice = _choose(tmp_path, driver, requested="12", source="flag --cuda")
    assert choice.line == "12"
    assert choice.reason == "CUDA 12 line set by flag --cuda"


def test_forcing_13_on_an_old_driver_warns(tmp_path: Path) -> None:
    choice = _choose(tmp_path, "550.54.15", requested="13", source="flag --cuda")
    assert choice.line == "13"
    assert choice.warning is not None and "older than the 580 that CUDA 13 needs" in choice.warning
    assert "--cuda auto" in choice.warning


def test_aarch64_keeps_cuda_13_when_pypi_has_no_cuda_12_torch(tmp_path: Path) -> None:
    choice = _choose(tmp_path, "550.54.15", machine="aarch64")
    assert choice.line == "13"
    assert "PyPI has no CUDA build of torch 2.10 for aarch64" in choice.reason
    assert choice.warning is not None and "580" in choice.warning


def test_wsl_uses_the_windows_driver_numbers() -> None:
    host = HostGpuFacts("ok", "526.98", "Linux", "x86_64", windows_driver=True)
    assert choose_line("auto", "default", host).line == "13"  # below 527.41: no CUDA 12
    host = HostGpuFacts("ok", "546.01", "Linux", "x86_64", windows_driver=True)
    assert choose_line("auto", "default", host).line == "12"


def test_macos_uses_the_default_line() -> None:
    host = HostGpuFacts("unsupported-platform", "", "Darwin", "aarch64")
    choice = choose_line("12", "flag --cuda", host)
    assert choice.line == "13" and "macOS has no CUDA" in choice.reason
    assert choice.warning == "--cuda 12 ignored"


def test_a_bad_value_names_the_choices() -> None:
    with pytest.raises(UsageError) as err:
        choose_line("11", "flag --cuda", HostGpuFacts("absent"))
    assert "'11' is not a CUDA line" in err.value.message
    assert "--cuda 12" in (err.value.hint or "") and "--cuda 13" in (err.value.hint or "")
