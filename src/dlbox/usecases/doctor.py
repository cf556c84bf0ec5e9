"""`dlbox doctor`: every check of this machine, with the fix for each."""

from __future__ import annotations

from dlbox.doctor import DoctorReport, Facts, run_doctor


def doctor(engine: str | None = None, cuda: str | None = None) -> DoctorReport:
    """Run the checks; `engine` and `cuda` as the flags give them (None: the settings')."""
    return run_doctor(Facts(flags={"engine": engine, "cuda": cuda}))
