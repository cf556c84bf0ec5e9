"""`dlbox data list` as text: one line per dataset within the terminal's width, with the fastai
name each one answers to (`URLs.PETS` is `oxford-iiit-pet`), the description last and clipped."""

from __future__ import annotations

from collections.abc import Sequence

from dlbox.cli import help_text
from dlbox.cli.progress_text import human
from dlbox.datasets.manage import DatasetStatus

HEADERS = ("NAME", "URLs.", "STATE", "SIZE", "ON DISK", "DESCRIPTION")
STATES = {"present": "present", "absent": "-", "found": "present*", "archive": "archive"}


def _state(d: DatasetStatus) -> str:
    if d.state == "partial":
        return f"partial {human(d.partial_bytes)}"
    return STATES.get(d.state, d.state)


def _clip(text: str, room: int) -> str:
    text = text.rstrip(".")
    return text if len(text) <= room else text[: max(room - 3, 0)].rstrip() + "..."


def dataset_lines(datasets: Sequence[DatasetStatus], width: int | None = None) -> list[str]:
    width = width or help_text.width()
    rows = [
        (
            d.name,
            ", ".join(d.aliases) or "-",
            _state(d),
            human(d.size),
            human(d.unpacked_bytes) if d.unpacked_bytes else "-",
        )
        for d in datasets
    ]
    widths = [max(len(r[i]) for r in [HEADERS[:5], *rows]) for i in range(5)]
    right = {3, 4}

    def cells(row: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )

    room = width - len(cells(HEADERS[:5])) - 2
    lines = [(cells(HEADERS[:5]) + ("  " + HEADERS[5] if room >= 12 else "")).rstrip()]
    for row, d in zip(rows, datasets, strict=True):
        tail = "  " + _clip(d.description, room) if room >= 12 and d.description else ""
        lines.append((cells(row) + tail).rstrip())
    return lines
