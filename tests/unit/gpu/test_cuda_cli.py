"""What a user sees of the CUDA line: `up --dry-run` (text and --json) and `doctor --json`, with
a fake nvidia-smi on PATH standing in for the driver."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlbox.cli.app import app
from tests.unit.doctor.fakes import H100, fake_nvidia_smi

runner = CliRunner()


@pytest.fixture
def driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def install(version: str | None) -> None:
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir(exist_ok=True)
        if version is not None:
            fake_nvidia_smi(bin_dir, stdout=H100.format(driver=version))
        monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
        monkeypatch.setenv("DLBOX_CODE_DIR", str(tmp_path / "code"))
        monkeypatch.setenv("DLBOX_DATA_DIR", str(tmp_path / "data"))

    return install


def _dry_run_json(*flags: str) -> dict[str, object]:
    result = runner.invoke(app, ["up", "--dry-run", "--json", "--engine", "local", *flags])
    assert result.exit_code == 0, result.output
    doc: dict[str, object] = json.loads(result.stdout)
    return doc


def test_a_550_driver_gets_the_cuda_12_line(driver) -> None:  # type: ignore[no-untyped-def]
    driver("550.54.15")
    doc = _dry_run_json()
    cuda = doc["cuda"]
    assert isinstance(cuda, dict)
    assert cuda["line"] == "12" and cuda["driver"] == "550.54.15" and cuda["cuda"] == "12.8"
    assert cuda["source"] == "default" and cuda["requested"] == "auto"


def test_the_flag_overrides_and_says_so(driver) -> None:  # type: ignore[no-untyped-def]
    driver("550.54.15")
    cuda = _dry_run_json("--cuda", "13")["cuda"]
    assert isinstance(cuda, dict)
    assert cuda["line"] == "13" and cuda["source"] == "flag --cuda"
    assert "older than the 580 that CUDA 13 needs" in str(cuda["warning"])


def test_no_driver_gets_the_default_line_in_text(driver) -> None:  # type: ignore[no-untyped-def]
    driver(None)
    result = runner.invoke(app, ["up", "--dry-run", "--engine", "local", "--explain"])
    assert result.exit_code == 0, result.output
    assert "CUDA 13 line" in result.output
    assert "no NVIDIA GPU seen (driver: absent)" in result.output


def test_the_setting_is_validated(driver) -> None:  # type: ignore[no-untyped-def]
    driver("580.65.06")
    result = runner.invoke(app, ["up", "--dry-run", "--engine", "local", "--cuda", "11"])
    assert result.exit_code != 0
    assert "11" in result.output and "Traceback" not in result.output


def test_doctor_json_names_the_line(driver) -> None:  # type: ignore[no-untyped-def]
    driver("535.183.01")
    result = runner.invoke(app, ["doctor", "--json", "--engine", "local"])
    doc = json.loads(result.stdout)
    check = next(c for c in doc["checks"] if c["id"] == "driver")
    assert check["status"] == "ok", check
    assert "CUDA 12 line (torch 2.10.0, CUDA 12.8" in check["finding"]
    assert check["details"]["cuda_line"]["line"] == "12"


def test_export_writes_the_chosen_lines_locks(driver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    driver(None)
    out = tmp_path / "export12"
    result = runner.invoke(app, ["export", str(out), "--cuda", "12", "--arch", "x86_64", "--json"])
    assert result.exit_code == 0, result.output
    torch_lock = (out / "locks" / "torch.txt").read_text()
    assert "torch==2.10." in torch_lock and "nvidia-cuda-runtime-cu12==12.8." in torch_lock
