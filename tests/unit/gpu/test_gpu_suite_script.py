"""scripts/gpu_check.py --suite (run by hand on a GPU machine): its driver table matches
dlbox's, and without a GPU it says FAIL instead of producing any figure."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from dlbox.gpu.lines import MIN_DRIVER, version_tuple

SCRIPTS = Path(__file__).parents[3] / "scripts"


def _suite() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gpu_suite", SCRIPTS / "gpu_suite.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_suite_uses_dlboxs_driver_minimums() -> None:
    table = _suite().MIN_DRIVER
    assert table == {line: version_tuple(MIN_DRIVER[int(line)][0]) for line in ("13", "12")}


def test_without_a_gpu_it_fails_and_reports_no_figure(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / "gpu_check.py"), "--suite"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": str(tmp_path)},  # no nvidia-smi
    )
    assert done.returncode == 1
    assert (
        done.stdout.strip()
        == "FAIL driver: nvidia-smi lists no GPU: this suite needs an NVIDIA GPU"
    )
