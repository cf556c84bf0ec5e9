"""Shared CLI plumbing: run a command body, map errors to text/JSON and exit codes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, NoReturn, TypeVar

import typer

from dlbox.cli import console
from dlbox.config import Settings, load_settings
from dlbox.errors import READ_ONLY_ERRNOS, DlboxError, not_writable

T = TypeVar("T")

FOLDERS_FIX = (
    "point dlbox at folders you can write (--code-dir, --data-dir, or DLBOX_STATE_DIR for its "
    "own state)"
)
JSON_HELP = "Print a machine-readable JSON document instead of text."
JsonFlag = Annotated[bool, typer.Option("--json", help=JSON_HELP)]  # `as_json: JsonFlag = False`


def fail(exc: DlboxError, as_json: bool = False) -> NoReturn:
    console.error(exc, as_json)
    raise typer.Exit(exc.exit_code)


def guarded(body: Callable[[], T], as_json: bool = False) -> T:
    """Run body; a DlboxError becomes a one-paragraph message and its exit code."""
    try:
        return body()
    except DlboxError as exc:
        fail(exc, as_json)
    except OSError as exc:  # the last line of defence: a message naming the file, not a traceback
        if exc.errno in READ_ONLY_ERRNOS:
            fail(not_writable(exc, FOLDERS_FIX), as_json)
        where = f" at {exc.filename}" if exc.filename else ""
        fail(
            DlboxError(
                f"{exc.strerror or exc}{where}.", FOLDERS_FIX[0].upper() + FOLDERS_FIX[1:] + "."
            ),
            as_json,
        )
    except KeyboardInterrupt:
        console.err.print("interrupted")
        raise typer.Exit(130) from None


def settings(flags: Mapping[str, object] | None = None) -> Settings:
    return load_settings(flags)
