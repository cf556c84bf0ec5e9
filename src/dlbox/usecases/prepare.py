"""What `up` makes sure of before it starts Jupyter: the configured course is cloned and the
configured datasets are present. Network trouble never stops `up`: it becomes a warning."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dlbox.config import Settings
from dlbox.course.repos import CourseResult, ensure_course
from dlbox.datasets.catalog import resolve
from dlbox.datasets.download import Events
from dlbox.datasets.manage import GetResult, get_dataset
from dlbox.datasets.store import Layout
from dlbox.errors import ConfigError, DlboxError, UsageError
from dlbox.launch.user import invoking_user
from dlbox.verify.install import LessonsResult, install_lessons


@dataclass
class PrepareResult:
    course: CourseResult
    datasets: list[GetResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    lessons: LessonsResult | None = None

    @property
    def course_subdir(self) -> str:
        return self.course.notebook_subdir

    def to_dict(self) -> dict[str, object]:
        return {
            "course": self.course.to_dict(),
            "datasets": [d.to_dict() for d in self.datasets],
            "warnings": self.warnings,
            "lessons": self.lessons.to_dict() if self.lessons else None,
        }


def prepare_project(
    cfg: Settings,
    *,
    fetch_data: bool = True,
    on_git_line: Callable[[str], None] = lambda _line: None,
    events: Events | None = None,
) -> PrepareResult:
    course = ensure_course(cfg, on_git_line)
    result = PrepareResult(course)
    code_dir = Path(cfg["code_dir"]).expanduser()
    try:
        user = invoking_user()
        owner = (user.uid, user.gid) if os.getuid() == 0 and not user.is_root else None
        result.lessons = install_lessons(code_dir, owner)
    except OSError as exc:
        result.warnings.append(f"could not copy the lesson notebooks into {code_dir}: {exc}")
    if course.warning:
        result.warnings.append(f"course: {course.warning}")
    names = list(cfg["datasets"])
    if not names:
        return result
    if not fetch_data:
        result.warnings.append(
            f"--no-data: not checking the configured datasets ({', '.join(names)})."
        )
        return result
    layout = Layout(Path(cfg["data_dir"]).expanduser())
    for name in names:
        try:
            dataset = resolve(name)
        except UsageError as exc:
            raise ConfigError(
                f"The datasets setting ({cfg.source('datasets')}) names {name!r}: {exc.message}",
                "Fix the name (`dlbox data list` shows the catalog) with "
                "`dlbox config set datasets NAME,...`.",
            ) from exc
        try:
            result.datasets.append(get_dataset(layout, dataset, events=events))
        except UsageError:
            raise
        except DlboxError as exc:
            result.warnings.append(
                f"dataset {name}: {exc.message} Jupyter starts without it; "
                f"retry with `dlbox data get {name}`."
            )
    return result
