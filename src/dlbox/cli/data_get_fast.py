"""`dlbox data get` without the CLI framework, where nothing live is drawn: with --json, or
when stderr is not a terminal (scripts, notebooks, CI). A small download should not wait
~0.1 s for Typer and Rich to load (issue 19: a 5 MB get within 0.3 s of curl). Only
`data get NAME... [--sha256 X] [--data-dir D] [--force] [--json]` is handled here; anything else
(`--retries`, `--help`, a typo) and every get on a terminal (progress bars) goes to the Typer
command in data_cmd.py, whose messages this prints the same way."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dlbox.cli import output
from dlbox.datasets.download import Events
from dlbox.errors import DlboxError

if TYPE_CHECKING:
    from dlbox.datasets.manage import GetResult

VALUED = ("--sha256", "--data-dir")


@dataclass
class GetArgs:
    names: list[str] = field(default_factory=list)
    sha256: str | None = None
    data_dir: str | None = None
    force: bool = False
    as_json: bool = False


def parse(argv: Sequence[str]) -> GetArgs | None:
    """The arguments after `data get`, or None when this parser does not know them."""
    got = GetArgs()
    args = list(argv)
    while args:
        arg = args.pop(0)
        key, eq, value = arg.partition("=")
        if key in VALUED:
            if not eq:
                if not args or args[0].startswith("-"):
                    return None
                value = args.pop(0)
            setattr(got, key[2:].replace("-", "_"), value)
        elif arg == "--force":
            got.force = True
        elif arg == "--json":
            got.as_json = True
        elif arg.startswith("-") or not arg:
            return None
        else:
            got.names.append(arg)
    return got if got.names else None


class MessageEvents(Events):
    """The download's notes, as the progress-bar version (cli/progress.py) words them."""

    def waiting(self, name: str) -> None:
        output.info(f"waiting: another dlbox process is getting {name}")

    def retry(self, attempt: int, retries: int, reason: str, delay: float) -> None:
        output.info(f"warning: {reason}; retry {attempt} of {retries} in {delay:.0f} s")

    def download_start(self, name: str, url: str, total: int | None, have: int) -> None:
        if have:
            from dlbox.cli.progress_text import human

            output.info(f"resuming {name} at {human(have)}")

    def extracting(self, name: str) -> None:
        output.info(f"unpacking {name}")


def get(args: GetArgs) -> None:
    from dlbox.cli.progress_text import done_line
    from dlbox.config import load_settings
    from dlbox.usecases.data import GetRequest, data_layout, get_datasets

    data_dir = str(Path(args.data_dir)) if args.data_dir else None  # as Typer's Path gives it
    layout = data_layout(load_settings({"data_dir": data_dir}))
    request = GetRequest(tuple(args.names), args.sha256, args.force)

    def done(result: GetResult) -> None:
        if not args.as_json:
            output.info("✓ " + done_line(result))

    outcome = get_datasets(layout, request, MessageEvents(), done)
    if args.as_json:
        output.print_result(outcome)


def run(argv: Sequence[str]) -> int | None:
    """The exit code of `dlbox data get ARGV`, or None: for the Typer command."""
    args = parse(argv)
    if args is None or (not args.as_json and sys.stderr.isatty()):
        return None
    try:
        get(args)
    except (DlboxError, OSError, KeyboardInterrupt) as exc:
        from dlbox.cli.ps_fast import failed

        return failed(exc, args.as_json)
    return 0
