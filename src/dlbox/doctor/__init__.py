"""`dlbox doctor`: check every assumption dlbox makes about this machine, with a fix for each."""

from dlbox.doctor.facts import Facts
from dlbox.doctor.model import Check, CheckResult, DoctorReport, Finding
from dlbox.doctor.runner import CHECK_IDS, CHECKS, run_checks, run_doctor

__all__ = [
    "CHECKS",
    "CHECK_IDS",
    "Check",
    "CheckResult",
    "DoctorReport",
    "Facts",
    "Finding",
    "run_checks",
    "run_doctor",
]
