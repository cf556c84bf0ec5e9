"""`dlbox doctor` as a user sees it: table, --fix-hints, --json and the exit code."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dlbox.cli.app import app
from dlbox.doctor import CheckResult, DoctorReport
from dlbox.usecases import doctor as doctor_case

runner = CliRunner()


def _report(*statuses: str) -> DoctorReport:
    checks = tuple(
        CheckResult(
            f"c{i}",
            f"Check {i}",
            s,
            f"finding {i}",
            f"fix-{s}-{i}",
            0.01,  # type: ignore[arg-type]
            {"n": i},
        )
        for i, s in enumerate(statuses)
    )
    return DoctorReport(checks, "0.1.0", {"system": "Linux"}, 0.05)


@pytest.fixture
def report(monkeypatch: pytest.MonkeyPatch) -> list[DoctorReport]:
    holder: list[DoctorReport] = []
    monkeypatch.setattr(doctor_case, "run_doctor", lambda facts: holder[0])
    return holder


def test_table_shows_fixes_for_warn_and_fail_only(report: list[DoctorReport]) -> None:
    report.append(_report("ok", "warn", "skip"))
    result = runner.invoke(app, ["doctor"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "finding 0" in result.output and "fix-warn-1" in result.output
    assert "fix-ok-0" not in result.output and "fix-skip-2" not in result.output
    assert "1 ok, 1 warn, 0 fail, 1 skip" in result.output


def test_fix_hints_shows_every_fix(report: list[DoctorReport]) -> None:
    report.append(_report("ok", "warn", "skip"))
    result = runner.invoke(app, ["doctor", "--fix-hints"], env={"COLUMNS": "200"})
    assert "fix-ok-0" in result.output and "fix-skip-2" in result.output


def test_a_failure_exits_non_zero(report: list[DoctorReport]) -> None:
    report.append(_report("ok", "fail"))
    result = runner.invoke(app, ["doctor"], env={"COLUMNS": "200"})
    assert result.exit_code == 1 and "fix-fail-1" in result.output


def test_json_document(report: list[DoctorReport]) -> None:
    report.append(_report("ok", "fail"))
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["schema"] == "dlbox.doctor/1"
    assert doc["summary"]["failed"] == ["c1"]
    assert doc["checks"][0]["details"] == {"n": 0}
