"""`dlbox ps` as text: one line per session that fits 80 columns, the URL last and never broken.

When a row would be wider than the terminal (a long name, or the URL with --show-token), the URL
moves to its own indented line below the row, whole, so it stays clickable and copyable."""

from __future__ import annotations

from collections.abc import Sequence

from dlbox.cli.link_rows import link_last_lines
from dlbox.launch.sessions import human_duration
from dlbox.usecases.sessions import FoundSession

HEADERS = ("NAME", "ENGINE", "STATUS", "GPUS")


def session_rows(found: Sequence[FoundSession]) -> list[tuple[str, ...]]:
    return [
        (
            f.name,
            f.engine.name,
            _status(f),
            f.session.gpus,
        )
        for f in found
    ]


def _status(found: FoundSession) -> str:
    """`up 3m05s` for a running session (as `docker ps` says it), else its state."""
    uptime = found.session.uptime_seconds()
    if found.session.running and uptime is not None:
        return f"up {human_duration(uptime)}"
    return found.session.state


def sessions_table(
    found: Sequence[FoundSession], show_token: bool = False, width: int | None = None
) -> str:
    if not width:
        from dlbox.cli import help_text

        width = help_text.width()
    urls = [f.session.url(show_token) for f in found]
    return "\n".join(link_last_lines(HEADERS, "URL", session_rows(found), urls, width)) + "\n"
