"""`dlbox verify`'s result and `dlbox course list` at 80 columns: one line per row, URLs and paths
whole, problems last with their fix (as `doctor` and `ps`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlbox.cli.course_view import course_lines, footer_lines
from dlbox.cli.verify_view import result_lines
from dlbox.course.repos import CATALOG, CourseEntry, CourseRepo
from dlbox.verify import VerifyResult
from dlbox.verify.model import FailingCell, NotebookResult
from tests.unit.cli.snapshot import fits, matches_snapshot, run_dlbox

OUT = Path("/home/student/.local/share/dlbox/verify/20261202-080102")
OOM = "CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 22.00 GiB total capacity)"
SOURCE = (
    "learn = vision_learner(dls, resnet34, metrics=error_rate)\n"
    "learn.fine_tune(1, base_lr=1e-3, freeze_epochs=1, cbs=[ShowGraphCallback(), "
    "SaveModelCallback(monitor='error_rate')])"
)


def notebook(
    name: str, status: str, run: int, cells: int, failing: FailingCell | None = None
) -> NotebookResult:
    return NotebookResult(name, None, status, cells, run, 12.5 * run, failing)


def result(*notebooks: NotebookResult, error: str | None = None) -> VerifyResult:
    return VerifyResult(
        ok=all(nb.passed for nb in notebooks) and error is None,
        profile="smoke",
        image="dlbox-env:0123456789abcdef",
        notebooks=notebooks,
        seconds=143.2,
        out_dir=OUT,
        device={"device": "cpu", "cuda": False},
        engine="docker",
        error=error,
        log_path=OUT / "verify.log",
        notes=("ran as UID 1000 (your user) with the code folder mounted read-write",),
    )


def failing() -> VerifyResult:
    oom = FailingCell(12, 7, "RuntimeError", OOM, "Traceback (most recent call last)\n...", SOURCE)
    slow = FailingCell(5, 3, "CellTimeoutError", "", "the cell ran past the 600 s timeout", "")
    return result(
        notebook("lesson1-dogscats", "passed", 30, 30),
        notebook("lesson1-pets", "failed", 12, 41, oom),
        notebook("my-own-experiment-with-a-rather-long-notebook-file-name", "timeout", 5, 9, slow),
    )


def test_verify_result_fits_80_columns_problems_last_with_their_fix() -> None:
    lines = result_lines(failing(), "ran on the CPU; CUDA 13 line: no NVIDIA driver", width=80)
    text = "\n".join(lines) + "\n"
    fits(text)
    table = lines[lines.index(next(ln for ln in lines if ln.startswith("NOTEBOOK"))) :][:4]
    assert [row.split()[0] for row in table] == [
        "NOTEBOOK",
        "lesson1-dogscats",
        "lesson1-pets",
        "my-own-experiment-with-a-rather-long-notebook-file-name",
    ]  # one line per notebook, the long name whole while it fits
    assert table[2].split()[1:] == ["failed", "12/41", "150.0"]
    assert "  " + str(OUT) in lines  # the output folder whole, on its own line
    problems = text.index("2 to look at:")
    assert problems > text.index("lesson1-dogscats")  # problems after the table
    assert text.index("✗ lesson1-pets failed in cell 12: RuntimeError: CUDA out of") > problems
    assert "    " + str(OUT / "lesson1-pets.ipynb") in lines  # where to look, whole
    assert "--timeout SECONDS" in text  # the timeout's fix
    assert lines[-1] == "FAILED: 1 passed, 1 failed, 1 timeout in 143 s"
    matches_snapshot("verify-80", text)


def test_verify_all_passed_has_no_problem_section() -> None:
    ok = result(notebook("lesson1-dogscats", "passed", 30, 30))
    lines = result_lines(ok, width=80)
    assert "to look at" not in "\n".join(lines)
    assert lines[-1] == "ok: 1 passed in 143 s"


def test_verify_run_error_comes_last_with_the_log() -> None:
    broken = result(
        notebook("lesson1-pets", "not run", 0, 0),
        error="the GPU check failed: no CUDA device is visible in the container",
    )
    lines = result_lines(broken, width=80)
    fits("\n".join(lines))
    assert lines[-6].startswith("- lesson1-pets did not run")
    assert lines[-5].startswith("✗ error: the GPU check failed")
    assert lines[-4:-2] == ["  Fix: read the run's log:", "    " + str(OUT / "verify.log")]
    assert lines[-1] == "FAILED: 1 not run in 143 s"


def test_verify_narrow_terminal_clips_a_long_name_not_the_row() -> None:
    text = "\n".join(result_lines(failing(), width=60)) + "\n"
    fits(text.replace(str(OUT / "lesson1-pets.ipynb"), "a path, never cut"), 60)
    assert "\nmy-own-experiment-with-a-rather-...  timeout    5/9     62.5\n" in text
    assert "\n! my-own-experiment-with-a-rather-long-notebook-file-name\n" in text


def entries(code: Path) -> list[CourseEntry]:
    private = CourseRepo("ml-class", "https://git.example.edu/ml/class.git", "ml")
    repos = [*CATALOG.values(), private]
    return [
        CourseEntry(r, code / r.folder, r.name in ("course22", "ml-class"), r.name == "course22")
        for r in repos
    ]


def test_course_list_fits_80_columns_urls_whole(tmp_path: Path) -> None:
    lines = course_lines(entries(tmp_path), width=80)
    text = "\n".join(lines) + "\n"
    fits(text)
    assert lines[0].split() == ["NAME", "STATE", "OPENS", "IN", "SOURCE"]
    assert lines[1].split() == ["course22", "*", "cloned", "course22", CATALOG["course22"].url]
    assert lines[3].split() == ["fastai-dl1", "-", "fastai/courses/dl1", CATALOG["fastai-dl1"].url]
    assert len(lines) == 5  # one line per course
    matches_snapshot("course-list", text)
    footer = footer_lines(entries(tmp_path), tmp_path)
    assert "  " + str(tmp_path) in footer
    assert footer[-2].startswith("* the configured course")


def test_course_list_narrow_puts_each_whole_url_on_its_own_line(tmp_path: Path) -> None:
    lines = course_lines(entries(tmp_path), width=60)
    fits("\n".join(lines), 60)
    assert "  https://git.example.edu/ml/class.git" in lines
    matches_snapshot("course-list-narrow", "\n".join(lines) + "\n")


def test_course_list_command_at_80_columns(tmp_path: Path) -> None:
    done = run_dlbox(
        "course",
        "list",
        env={"DLBOX_CODE_DIR": str(tmp_path / "code"), "DLBOX_COURSE": "fastbook"},
    )
    assert done.returncode == 0, done.stderr
    fits(done.stdout)
    assert done.stdout.splitlines()[2].split()[:3] == ["fastbook", "*", "-"]
    assert str(tmp_path / "code") in done.stderr
    assert "Clone one with `dlbox course get NAME`" in done.stderr


def test_hub_status_is_one_line_per_user_with_the_url_whole() -> None:
    from dlbox.cli.hub_view import status_lines
    from dlbox.hub.results import HubStatus, UserStatus

    url = "https://deep-learning-class.cs.example-university.edu:8443/"
    users = (
        UserStatus("teacher", True, "stopped"),
        UserStatus("ann", False, "running", gpus="0", port=40001, idle_seconds=185.0),
        UserStatus("[bob]", False, "pending", gpus="1"),
    )
    lines = status_lines(HubStatus(True, url, users=users))
    fits("\n".join(lines))
    assert lines[0] == f"dlbox hub at {url}"
    assert lines[1].split() == ["USER", "SERVER", "GPU", "PORT", "IDLE", "ADMIN"]
    assert lines[3].split() == ["ann", "running", "0", "40001", "3", "min"]
    assert lines[4].split() == ["[bob]", "pending", "1", "-", "-"]  # brackets as written
    matches_snapshot("hub-status", "\n".join(lines) + "\n")
    empty = status_lines(HubStatus(True, url))
    assert empty[-1] == "No users yet: `dlbox hub users add NAME` adds one."


def test_the_verify_command_prints_the_view_and_exits_1_on_a_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The command wiring: the use case is faked at its boundary, the text is the view's."""
    from typer.testing import CliRunner

    from dlbox.cli.app import app
    from dlbox.usecases import verify as verify_case

    outcome = verify_case.VerifyOutcome(failing(), on_gpu=False, cuda=None)
    monkeypatch.setattr(verify_case, "verify", lambda cfg, request, reporter: outcome)
    done = CliRunner().invoke(app, ["verify", "--engine", "local"], env={"COLUMNS": "80"})
    assert done.exit_code == 1, done.output
    lines = done.stdout.splitlines()
    assert lines == result_lines(failing(), width=80)
