"""The runner: concurrency, time limits, and crashes turned into failures."""

from __future__ import annotations

import time
from pathlib import Path

from dlbox.doctor import Check, Finding, run_checks, run_doctor
from dlbox.doctor.facts import Facts
from dlbox.errors import DlboxError

from .fakes import make_facts


def _sleeper(seconds: float, status: str = "ok"):  # type: ignore[no-untyped-def]
    def run(facts: Facts) -> Finding:
        time.sleep(seconds)
        return Finding(status, f"slept {seconds}")  # type: ignore[arg-type]

    return run


def _raises(facts: Facts) -> Finding:
    raise ValueError("boom")


def _dlbox_error(facts: Facts) -> Finding:
    raise DlboxError("engine went away", "Start it again.")


def test_checks_run_concurrently_in_order(tmp_path: Path) -> None:
    checks = [Check(f"c{i}", f"C{i}", _sleeper(0.3)) for i in range(5)]
    start = time.monotonic()
    results = run_checks(make_facts(tmp_path), checks)
    assert time.monotonic() - start < 1.2  # not 5 x 0.3 s
    assert [r.id for r in results] == ["c0", "c1", "c2", "c3", "c4"]
    assert all(r.status == "ok" and r.seconds >= 0.29 for r in results)


def test_a_crash_becomes_a_failure_with_the_reason(tmp_path: Path) -> None:
    results = run_checks(
        make_facts(tmp_path),
        [
            Check("boom", "Boom", _raises),
            Check("err", "Err", _dlbox_error),
            Check("fine", "Fine", _sleeper(0)),
        ],
    )
    boom, err, fine = results
    assert boom.status == "fail" and "ValueError: boom" in boom.finding
    assert err.status == "fail" and "engine went away" in err.finding
    assert err.fix == "Start it again."
    assert fine.status == "ok"


def test_a_timeout_becomes_a_failure(tmp_path: Path) -> None:
    start = time.monotonic()
    results = run_checks(
        make_facts(tmp_path),
        [Check("slow", "Slow", _sleeper(1.5), timeout=0.2), Check("fast", "Fast", _sleeper(0))],
    )
    assert time.monotonic() - start < 1.0
    slow, fast = results
    assert slow.status == "fail" and "timed out" in slow.finding
    assert fast.status == "ok"


def test_report_summary_and_exit_semantics(tmp_path: Path) -> None:
    report = run_doctor(
        make_facts(tmp_path),
        [
            Check("a", "A", _sleeper(0)),
            Check("b", "B", _sleeper(0, "warn")),
            Check("c", "C", _raises),
        ],
    )
    assert report.failed and report.overall == "fail"
    summary = report.summary()
    assert summary["ok"] == 1 and summary["warn"] == 1 and summary["fail"] == 1
    assert summary["failed"] == ["c"] and summary["warned"] == ["b"]
