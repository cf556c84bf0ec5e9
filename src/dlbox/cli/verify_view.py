"""`dlbox verify` as text: one line per notebook, problems last with their fix, the summary at
the bottom, so an 80-column terminal shows what failed and what to do without scrolling back.

A notebook name too long for its column ends in "..." (the problem section and --json have it
whole). Paths (the output folder, an executed notebook, the log) always sit on their own line,
whole, so they stay copyable; prose is wrapped at word boundaries; a failing cell's source and
traceback lines are clipped to the terminal (the executed notebook has them whole)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.markup import escape

from dlbox.cli import help_text
from dlbox.verify import VerifyResult
from dlbox.verify.model import NotebookResult

HEADERS = ("NOTEBOOK", "STATUS", "CELLS", "SECONDS")
SYMBOLS = {"passed": "✓", "failed": "✗", "timeout": "!", "not run": "-"}
COLOURS = {"passed": "green", "failed": "bold red", "timeout": "yellow", "not run": "dim"}
ORDER = ("passed", "failed", "timeout", "not run")
SOURCE_LINES = 8
TRACE_LINES = 8


def _clip(text: str, room: int) -> str:
    return text if len(text) <= room else text[: max(room - 3, 0)].rstrip() + "..."


def device_text(device: dict[str, Any]) -> str:
    """'NVIDIA L4, 22 GiB, CUDA 12.8 (torch 2.10.0)' on a GPU; 'cpu' or the error otherwise."""
    if device.get("error"):
        return str(device["error"])
    name = str(device.get("device") or "unknown")
    if not device.get("cuda"):
        return name
    parts = [name]
    if device.get("memory_mib"):
        parts.append(f"{int(device['memory_mib']) / 1024:.0f} GiB")
    parts.append(f"CUDA {device.get('cuda_runtime')} (torch {device.get('torch')})")
    count = int(device.get("device_count") or 1)
    return ", ".join(parts) + (f", {count} GPUs" if count > 1 else "")


def table_lines(notebooks: Sequence[NotebookResult], width: int) -> list[str]:
    rows = [
        (nb.name, nb.status, f"{nb.cells_run}/{nb.code_cells}", f"{nb.seconds:.1f}")
        for nb in notebooks
    ]
    widths = [max(len(r[i]) for r in [HEADERS, *rows]) for i in range(1, 4)]
    rest = sum(widths) + 2 * 3  # the three right-hand columns and their gaps
    name_width = min(max(len(r[0]) for r in [HEADERS, *rows]), max(width - rest, 12))

    def line(cells: Sequence[str]) -> str:
        name, status, cells_run, seconds = cells
        return "  ".join(
            (
                _clip(name, name_width).ljust(name_width),
                status.ljust(widths[0]),
                cells_run.rjust(widths[1]),
                seconds.rjust(widths[2]),
            )
        ).rstrip()

    return [line(HEADERS)] + [line(r) for r in rows]


def _path_line(path: Path, indent: str, width: int) -> str:
    """A path whole on its own line: indented when it fits, flush left when it does not."""
    text = str(path)
    return indent + text if len(indent) + len(text) <= width else text


def _executed(result: VerifyResult, nb: NotebookResult) -> Path:
    return nb.executed or result.out_dir / f"{nb.name}.ipynb"


def _problem(result: VerifyResult, nb: NotebookResult, width: int) -> list[str]:
    failing = nb.failing
    if nb.status == "not run":
        head = f"{nb.name} did not run: the run stopped before it" + (
            " (the error is below)" if result.error else ""
        )
    elif failing is not None:
        where = f"cell {failing.index}" if failing.index is not None else "a cell"
        verb = "timed out in" if nb.status == "timeout" else "failed in"
        head = f"{nb.name} {verb} {where}: {failing.reason}"
    else:
        head = f"{nb.name} {nb.status}"
    lines = help_text.wrap(head, "  ", width)
    lines[0] = SYMBOLS.get(nb.status, "✗") + lines[0][1:]
    if failing is not None:
        source = failing.source.splitlines()[:SOURCE_LINES]
        lines += [_clip("    " + ln.rstrip(), width) for ln in source if ln.strip()]
        trace = failing.traceback.strip().splitlines()[-TRACE_LINES:]
        lines += [_clip("    | " + ln.rstrip(), width) for ln in trace]
    if nb.status == "timeout":
        lines += help_text.wrap(
            "Fix: give each cell longer with `dlbox verify --timeout SECONDS`, or run on a GPU.",
            "  ",
            width,
        )
    elif nb.status != "not run":
        lines += help_text.wrap(
            "Fix: read the cell's whole output in the executed notebook:", "  ", width
        )
        lines.append(_path_line(_executed(result, nb), "    ", width))
    return lines


def summary_line(result: VerifyResult) -> str:
    counts = [
        f"{n} {status}"
        for status in ORDER
        if (n := sum(1 for nb in result.notebooks if nb.status == status))
    ]
    verdict = "ok" if result.ok else "FAILED"
    return f"{verdict}: {', '.join(counts) or 'no notebooks'} in {result.seconds:.0f} s"


def result_lines(
    result: VerifyResult, cuda_note: str | None = None, width: int | None = None
) -> list[str]:
    """Plain lines (no markup): the table, where it ran, problems last, then the summary."""
    width = width or help_text.width()
    on = f" on {result.engine}" if result.engine else ""
    lines = help_text.wrap(f"dlbox verify: {result.profile} profile{on}, {result.image}", "", width)
    lines += [""] + table_lines(result.notebooks, width) + [""]
    lines += help_text.wrap(f"device: {device_text(result.device)}", "", width)
    if cuda_note:
        lines += help_text.wrap(cuda_note, "", width)
    for note in result.notes:
        lines += help_text.wrap(f"note: {note}", "", width)
    lines += ["executed notebooks and report.json:", _path_line(result.out_dir, "  ", width)]
    problems = [nb for nb in result.notebooks if not nb.passed]
    count = len(problems) + (1 if result.error else 0)
    if count:
        lines += ["", f"{count} to look at:"]
    for nb in problems:
        lines += _problem(result, nb, width)
    if result.error:
        error = help_text.wrap(f"error: {result.error}", "  ", width)
        error[0] = "✗" + error[0][1:]
        lines += error
        if result.log_path:
            lines += ["  Fix: read the run's log:", _path_line(result.log_path, "    ", width)]
    lines += ["", summary_line(result)]
    return lines


def coloured(line: str) -> str:
    """Rich markup for one plain line: a notebook's status symbol in colour, the rest escaped."""
    for status, symbol in SYMBOLS.items():
        if line.startswith(symbol + " "):
            return f"[{COLOURS[status]}]{symbol}[/{COLOURS[status]}]{escape(line[1:])}"
    if line.startswith(("ok: ", "FAILED: ")):
        verdict, rest = line.split(":", 1)
        colour = "green" if verdict == "ok" else "bold red"
        return f"[{colour}]{verdict}[/{colour}]:{escape(rest)}"
    return escape(line)
