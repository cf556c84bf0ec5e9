"""docs/reference.md is generated from the code (scripts/reference.py) and must be current."""

from __future__ import annotations

import inspect
import runpy
import subprocess
import sys
from pathlib import Path

import dlbox.errors

ROOT = Path(__file__).parents[2]


def test_reference_is_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "reference.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr + " (then commit docs/reference.md)"


def test_every_error_exit_code_is_documented() -> None:
    documented = runpy.run_path(str(ROOT / "scripts" / "reference.py"))["EXIT_CODES"]
    codes = {
        cls.exit_code
        for _, cls in inspect.getmembers(dlbox.errors, inspect.isclass)
        if issubclass(cls, dlbox.errors.DlboxError)
    }
    assert codes <= set(documented)
