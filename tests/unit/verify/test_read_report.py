"""What `dlbox verify` reports from the in-container runner's report.json (verify/runner.py
read_report), and how it counts a notebook's code cells for the time limit: written against
surviving mutants (CONTRIBUTING.md, "Mutation testing"). A run is ok only when the report says so,
the engine exited 0 and every notebook passed; a notebook the run never reached says "not run"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlbox.errors import DlboxError, UsageError
from dlbox.verify.model import NotebookResult, VerifyOptions
from dlbox.verify.runner import Job, _code_cells, read_report

OPTIONS = VerifyOptions(notebooks=(), image="dlbox-env:abc", profile="smoke")


def _jobs(tmp_path: Path) -> list[Job]:
    return [
        Job("lesson1", tmp_path / "lesson1.ipynb", "/verify/in/lesson1.ipynb", "/code"),
        Job("lesson2", tmp_path / "lesson2.ipynb", "/verify/in/lesson2.ipynb", "/code"),
        Job("lesson3", tmp_path / "lesson3.ipynb", "/verify/in/lesson3.ipynb", "/code"),
    ]


def _report(out: Path, **data: object) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(data))


def _read(tmp_path: Path, returncode: int = 0) -> object:
    out = tmp_path / "out"
    return read_report(
        out,
        _jobs(tmp_path),
        OPTIONS,
        12.5,
        out / "verify.log",
        returncode,
        [],
        engine="docker",
        notes=("a note",),
    )


PASSED = {"name": "lesson1", "status": "passed", "code_cells": 2, "seconds": 3.0}


def test_a_full_report_becomes_the_result_users_see(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _report(
        out,
        ok=True,
        notebooks=[
            {**PASSED, "cells": [{"index": 0, "seconds": 1.0, "status": "ok"}]},
            {"name": "lesson2", "status": "passed", "code_cells": 1, "seconds": 1.0},
            {"name": "lesson3", "status": "passed", "code_cells": 1, "seconds": 1.0},
        ],
        device={"cuda": False, "torch": "2.15.0"},
        uid=1000,
    )
    (out / "lesson1.ipynb").write_text("{}")  # the executed copy
    result = _read(tmp_path)
    assert result.ok is True  # type: ignore[attr-defined]
    assert result.profile == "smoke" and result.image == "dlbox-env:abc"  # type: ignore[attr-defined]
    assert result.seconds == 12.5 and result.out_dir == out  # type: ignore[attr-defined]
    assert result.device == {"cuda": False, "torch": "2.15.0"}  # type: ignore[attr-defined]
    assert result.uid == 1000 and result.error is None  # type: ignore[attr-defined]
    assert result.log_path == out / "verify.log"  # type: ignore[attr-defined]
    assert result.engine == "docker" and result.notes == ("a note",)  # type: ignore[attr-defined]
    first = result.notebooks[0]  # type: ignore[attr-defined]
    assert first.name == "lesson1" and first.host_path == tmp_path / "lesson1.ipynb"
    assert first.executed == out / "lesson1.ipynb"
    assert first.cell_seconds == ((0, 1.0, "ok"),) and first.cells_run == 1


def test_notebooks_the_run_never_reached_are_not_run_and_the_run_is_not_ok(
    tmp_path: Path,
) -> None:
    _report(tmp_path / "out", ok=True, notebooks=[PASSED])
    result = _read(tmp_path)
    assert result.ok is False  # type: ignore[attr-defined]
    assert [n.status for n in result.notebooks] == ["passed", "not run", "not run"]  # type: ignore[attr-defined]
    assert result.notebooks[1] == NotebookResult(  # type: ignore[attr-defined]
        "lesson2", tmp_path / "lesson2.ipynb", "not run", 0, 0, 0.0, None
    )


@pytest.mark.parametrize(
    ("report_ok", "returncode", "statuses", "ok"),
    [
        (True, 0, ("passed", "passed", "passed"), True),
        (False, 0, ("passed", "passed", "passed"), False),  # the runner says no
        (True, 1, ("passed", "passed", "passed"), False),  # the engine exited non-zero
        (True, 0, ("passed", "failed", "passed"), False),  # one notebook failed
    ],
)
def test_ok_needs_the_report_the_exit_code_and_every_notebook(
    tmp_path: Path, report_ok: bool, returncode: int, statuses: tuple[str, ...], ok: bool
) -> None:
    notebooks = [
        {"name": f"lesson{i + 1}", "status": s, "code_cells": 1, "seconds": 1.0}
        for i, s in enumerate(statuses)
    ]
    _report(tmp_path / "out", ok=report_ok, notebooks=notebooks)
    assert _read(tmp_path, returncode).ok is ok  # type: ignore[attr-defined]


def test_the_runners_error_and_an_unknown_notebook_come_through(tmp_path: Path) -> None:
    _report(
        tmp_path / "out",
        ok=False,
        error="no GPU visible",
        notebooks=[{"name": "extra", "status": "failed", "code_cells": 0, "seconds": 0}],
    )
    result = _read(tmp_path)
    assert result.error == "no GPU visible"  # type: ignore[attr-defined]
    assert result.device == {} and result.uid is None  # type: ignore[attr-defined]
    names = [(n.name, n.host_path) for n in result.notebooks]  # type: ignore[attr-defined]
    assert names[0] == ("extra", None) and [n for n, _ in names[1:]] == [
        "lesson1",
        "lesson2",
        "lesson3",
    ]


def test_no_report_is_an_error_with_the_last_lines_the_run_said(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    tail = [f"line {i}" for i in range(20)]
    with pytest.raises(DlboxError) as err:
        read_report(out, _jobs(tmp_path), OPTIONS, 1.0, out / "verify.log", 3, tail)
    assert err.value.message == (
        "The verify run exited with code 3 before writing a report.\nIt said:\n"
        + "\n".join(tail[-15:])
    )
    assert err.value.hint == (
        "Check that the image is a dlbox environment (`dlbox build`) and read the log."
    )
    assert err.value.log_path == out / "verify.log"
    with pytest.raises(DlboxError) as quiet:
        read_report(out, _jobs(tmp_path), OPTIONS, 1.0, out / "verify.log", 3, [])
    assert quiet.value.message == "The verify run exited with code 3 before writing a report."


def test_code_cells_count_only_code(tmp_path: Path) -> None:
    nb = tmp_path / "n.ipynb"
    cells = [{"cell_type": t} for t in ("markdown", "code", "raw", "code", "code")]
    nb.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    assert _code_cells(nb) == 3
    nb.write_text(json.dumps({"nbformat": 4}), encoding="utf-8")
    assert _code_cells(nb) == 0


def test_a_notebook_that_is_not_json_is_a_usage_error(tmp_path: Path) -> None:
    nb = tmp_path / "broken.ipynb"
    nb.write_text("{not json", encoding="utf-8")
    with pytest.raises(UsageError) as err:
        _code_cells(nb)
    assert err.value.message.startswith(f"{nb} is not a readable notebook: Expecting")
    assert err.value.hint == "Open it in Jupyter and save it again."
    with pytest.raises(UsageError, match="is not a readable notebook"):
        _code_cells(tmp_path / "missing.ipynb")


def test_a_report_of_a_run_that_stopped_before_any_notebook(tmp_path: Path) -> None:
    """The runner writes {"ok": false, "error": ...} when it cannot start (no GPU, say)."""
    _report(tmp_path / "out", ok=False, error="CUDA was asked for but no GPU is visible")
    result = _read(tmp_path)
    assert result.ok is False  # type: ignore[attr-defined]
    assert result.error == "CUDA was asked for but no GPU is visible"  # type: ignore[attr-defined]
    assert [n.status for n in result.notebooks] == ["not run"] * 3  # type: ignore[attr-defined]
