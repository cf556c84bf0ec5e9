"""`dlbox doctor` as text: one line per check, problems last with their fix, the summary at the
bottom, so the last screen of an 80x24 terminal shows what needs doing.

Passing checks take one line each (a finding too long for the terminal ends in "..."; --json
has it whole). Warnings and failures follow, each with its whole finding and its fix, wrapped
at word boundaries so commands are never cut."""

from __future__ import annotations

from rich.markup import escape

from dlbox.cli import help_text
from dlbox.doctor.model import CheckResult, DoctorReport

SYMBOLS = {"ok": "✓", "warn": "!", "fail": "✗", "skip": "-"}
COLOURS = {"ok": "green", "warn": "yellow", "fail": "bold red", "skip": "dim"}
PROBLEMS = ("warn", "fail")
ELLIPSIS = "..."


def _clip(text: str, room: int) -> str:
    text = " ".join(text.split())
    if len(text) <= room:
        return text
    return text[: max(room - len(ELLIPSIS), 0)].rstrip() + ELLIPSIS


def report_lines(report: DoctorReport, fix_hints: bool, width: int | None = None) -> list[str]:
    """Plain lines (no markup); the status symbol is each check line's first character."""
    width = width or help_text.width()
    left = max((len(c.title) for c in report.checks), default=0) + 2
    quiet = [c for c in report.checks if c.status not in PROBLEMS]
    problems = [c for c in report.checks if c.status in PROBLEMS]
    problems.sort(key=lambda c: c.status != "fail")
    lines = [f"dlbox doctor {report.dlbox_version}", ""]
    for check in quiet:
        lines.append(f"{SYMBOLS[check.status]} {check.title.ljust(left)}")
        lines[-1] += _clip(check.finding, width - len(lines[-1]))
        if fix_hints and check.fix:
            lines += help_text.wrap("Fix: " + check.fix, " " * (left + 2), width)
    if problems:
        lines += ["", f"{len(problems)} to look at:" if len(problems) > 1 else "1 to look at:"]
    for check in problems:
        lines += _problem(check, width)
    lines += ["", summary_line(report)]
    return lines


def _problem(check: CheckResult, width: int) -> list[str]:
    head = help_text.wrap(f"{check.title}: {check.finding}", "  ", width)
    head[0] = SYMBOLS[check.status] + head[0][1:]
    fix = help_text.wrap("Fix: " + check.fix, "  ", width) if check.fix else []
    return head + fix


def summary_line(report: DoctorReport) -> str:
    counts = ", ".join(f"{report.count(s)} {s}" for s in ("ok", "warn", "fail", "skip"))
    return f"{counts} in {report.seconds:.1f} s"


def coloured(line: str) -> str:
    """Rich markup for one plain line: its status symbol in colour, the rest escaped."""
    for status, symbol in SYMBOLS.items():
        if line.startswith(symbol + " "):
            return f"[{COLOURS[status]}]{symbol}[/{COLOURS[status]}]{escape(line[1:])}"
    return escape(line)
