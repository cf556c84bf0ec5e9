"""`dlbox course get|update`: course repositories (git) in the code folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dlbox.config import Settings
from dlbox.config.edit import validate_folders
from dlbox.course.repos import (
    CourseEntry,
    CourseResult,
    get_course,
    list_courses,
    resolve_course,
    update_course,
    update_targets,
)
from dlbox.errors import DlboxError
from dlbox.usecases.reporting import SILENT, Reporter


def get(cfg: Settings, name: str, reporter: Reporter = SILENT) -> CourseResult:
    """Clone the course (shallow) into the code folder; an existing clone is reused."""
    repo = resolve_course(name)
    validate_folders(cfg)
    with reporter.working(f"cloning {repo.name}") as on_line:
        return get_course(repo, Path(cfg["code_dir"]), on_line)


@dataclass
class UpdateOutcome:
    courses: list[CourseResult] = field(default_factory=list)
    errors: list[DlboxError] = field(default_factory=list)  # one per clone that failed

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, object]:
        return {
            "courses": [r.to_dict() for r in self.courses],
            "errors": [e.to_dict() for e in self.errors],
        }


def update(cfg: Settings, name: str | None, reporter: Reporter = SILENT) -> UpdateOutcome:
    """Fast-forward the named course, else the configured one, else every clone. With one
    target its failure is raised; with several, each failure is recorded and the rest go on."""
    targets = update_targets(cfg, name)
    outcome = UpdateOutcome()
    for repo in targets:
        try:
            with reporter.working(f"updating {repo.name}") as on_line:
                outcome.courses.append(update_course(repo, Path(cfg["code_dir"]), on_line))
        except DlboxError as exc:
            if len(targets) == 1:
                raise
            outcome.errors.append(exc)
    return outcome


def listing(cfg: Settings) -> list[CourseEntry]:
    """`course list`: the catalog, the configured course and any other clone in code_dir, with
    their state."""
    return list_courses(cfg)
