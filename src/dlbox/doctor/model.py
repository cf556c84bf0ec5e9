"""The doctor's plain data: a check (what to run, how long it may take) and its result."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from dlbox.doctor.facts import Facts

Status = Literal["ok", "warn", "fail", "skip"]
STATUSES: tuple[Status, ...] = ("ok", "warn", "fail", "skip")
SCHEMA = "dlbox.doctor/1"


@dataclass(frozen=True)
class Finding:
    """What one check found: a status, one line of finding, one line of fix, and the facts."""

    status: Status
    finding: str
    fix: str = ""
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    run: Callable[[Facts], Finding]
    timeout: float = 30.0


@dataclass(frozen=True)
class CheckResult:
    id: str
    title: str
    status: Status
    finding: str
    fix: str
    seconds: float
    details: Mapping[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "finding": self.finding,
            "fix": self.fix,
            "seconds": round(self.seconds, 3),
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class DoctorReport:
    checks: tuple[CheckResult, ...]
    dlbox_version: str
    platform: Mapping[str, object]
    seconds: float

    def count(self, status: Status) -> int:
        return sum(1 for c in self.checks if c.status == status)

    @property
    def failed(self) -> bool:
        return self.count("fail") > 0

    @property
    def overall(self) -> Status:
        for status in ("fail", "warn"):
            if self.count(status):
                return status
        return "ok"

    def summary(self) -> dict[str, object]:
        counts: dict[str, object] = {s: self.count(s) for s in STATUSES}
        counts.update(
            status=self.overall,
            failed=[c.id for c in self.checks if c.status == "fail"],
            warned=[c.id for c in self.checks if c.status == "warn"],
            seconds=round(self.seconds, 3),
        )
        return counts

    def to_dict(self) -> dict[str, object]:
        return {
            "schema": SCHEMA,
            "dlbox_version": self.dlbox_version,
            "platform": dict(self.platform),
            "checks": [c.to_dict() for c in self.checks],
            "summary": self.summary(),
        }
