"""`dlbox course list` as text: one line per course within the terminal's width, the source URL
last and never broken.

Where each course opens is shown relative to the code folder (named once, below the table), so
rows stay short. When a row would be wider than the terminal (a long URL), the URL moves to its
own indented line below the row, whole, so it stays clickable and copyable."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dlbox.cli import help_text
from dlbox.cli.link_rows import link_last_lines
from dlbox.course.repos import CourseEntry
from dlbox.redact import redact_url

HEADERS = ("NAME", "STATE", "OPENS IN")
CONFIGURED = " *"


def _opens_in(entry: CourseEntry) -> str:
    inside = (entry.repo.open_in or "").strip("/")
    return f"{entry.repo.folder}/{inside}" if inside and inside != "." else entry.repo.folder


def course_rows(entries: Sequence[CourseEntry]) -> list[tuple[str, ...]]:
    return [
        (
            e.repo.name + (CONFIGURED if e.configured else ""),
            "cloned" if e.cloned else "-",
            _opens_in(e),
        )
        for e in entries
    ]


def course_lines(entries: Sequence[CourseEntry], width: int | None = None) -> list[str]:
    """One line per course, the URL last (or on its own line when the row would not fit)."""
    width = width or help_text.width()
    urls = [redact_url(e.repo.url) for e in entries]
    return link_last_lines(HEADERS, "SOURCE", course_rows(entries), urls, width)


def footer_lines(entries: Sequence[CourseEntry], code_dir: Path) -> list[str]:
    """Below the table: the folder OPENS IN is relative to, the * legend, how to clone."""
    lines = ["OPENS IN is inside the code folder:", "  " + str(code_dir)]
    if any(e.configured for e in entries):
        lines.append("* the configured course (setting `course`), which `dlbox up` opens")
    lines.append("Clone one with `dlbox course get NAME` (or a git URL).")
    return lines
