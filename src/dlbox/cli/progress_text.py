"""Progress and result wording shared by the Rich and the plain outputs (no Rich here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dlbox.datasets.manage import GetResult


def human(n: int | None) -> str:
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError


def done_line(result: GetResult) -> str:
    """What `data get` says when a dataset is ready."""
    if result.status == "present":
        return f"{result.name} is already present in {result.path}"
    if result.status == "found":
        return (
            f"{result.name} already exists in {result.path} (not downloaded by dlbox; "
            "--force replaces it)"
        )
    how = "downloaded" if result.status == "downloaded" else "unpacked from the kept archive"
    resumed = f", resumed at {human(result.resumed_from)}" if result.resumed_from else ""
    return (
        f"{result.name}: {how} ({human(result.size)}{resumed}, checked: {result.check}) "
        f"-> {result.path} ({result.files} files, {human(result.bytes)})"
    )
