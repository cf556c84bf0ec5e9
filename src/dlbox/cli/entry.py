"""The `dlbox` executable. `dlbox --version`, `dlbox --help` and `dlbox ps` answer without loading
the CLI framework; every other command loads only the module that defines it (dlbox.cli.app)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    argv = sys.argv[1:]
    if "_DLBOX_COMPLETE" in os.environ:  # the shell asks for completions (`dlbox completion`)
        from dlbox.cli.app import complete

        complete()
        return
    if argv in (["--version"], ["-V"]):
        from dlbox import __version__

        sys.stdout.write(f"dlbox {__version__}\n")
        return
    if argv in ([], ["-h"], ["--help"]):
        from dlbox import __version__
        from dlbox.cli.commands import render_help

        sys.stdout.write(render_help(__version__))
        raise SystemExit(2 if not argv else 0)  # no command at all is a usage error, as in uv
    if argv[:1] == ["ps"]:  # the most frequent command answers without Typer and Rich
        from dlbox.cli import ps_fast

        code = ps_fast.run(argv[1:])
        if code is not None:
            raise SystemExit(code)
    if argv[:2] == ["data", "get"]:  # a small download should not wait for Typer and Rich
        from dlbox.cli import data_get_fast

        code = data_get_fast.run(argv[2:])
        if code is not None:
            raise SystemExit(code)
    from dlbox.cli.app import run

    run(argv)
