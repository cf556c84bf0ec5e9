"""The only place dlbox prints. Commands hand results and errors here."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape

from dlbox.errors import BuildError, DlboxError, ProcessError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def info(message: str) -> None:
    err.print(message)


def success(message: str) -> None:
    err.print(f"[green]✓[/green] {message}")


def warn(message: str) -> None:
    err.print(f"[bold yellow]warning:[/bold yellow] {message}")


def render_error(exc: DlboxError) -> str:
    """One paragraph: what happened, why (the few relevant lines), and what to do."""
    parts = [exc.message]
    if isinstance(exc, BuildError) and exc.relevant:
        parts.append("Relevant build output:\n" + "\n".join("  " + ln for ln in exc.relevant))
    elif isinstance(exc, ProcessError) and exc.stderr_tail:
        parts.append(
            "It said:\n" + "\n".join("  " + ln for ln in exc.stderr_tail.splitlines()[-8:])
        )
    if exc.log_path:
        parts.append(f"Full log: {exc.log_path}")
    if exc.hint:
        parts.append(f"Fix: {exc.hint}")
    return "\n".join(parts)


def error(exc: DlboxError, as_json: bool = False) -> None:
    if as_json:
        print_json({"ok": False, **exc.to_dict()})
        return
    err.print("[bold red]error:[/bold red] " + escape(render_error(exc)))
