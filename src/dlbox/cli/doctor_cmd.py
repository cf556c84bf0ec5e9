"""`dlbox doctor`: check every assumption, with the fix for each."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from dlbox.cli import console
from dlbox.cli.common import JSON_HELP, guarded
from dlbox.doctor import DoctorReport, Facts, run_doctor

SYMBOLS = {
    "ok": "[green]✓[/green]",
    "warn": "[yellow]![/yellow]",
    "fail": "[bold red]✗[/bold red]",
    "skip": "[dim]-[/dim]",
}


def report_table(report: DoctorReport, fix_hints: bool) -> Table:
    """Status, check, finding and fix. The fix shows for warn/fail rows; with --fix-hints also
    for ok and skip rows that have one."""
    table = Table(title=f"dlbox doctor ({report.dlbox_version})", title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("check", no_wrap=True)
    table.add_column("finding")
    table.add_column("fix")
    for check in report.checks:
        show_fix = fix_hints or check.status in ("warn", "fail")
        table.add_row(
            SYMBOLS[check.status],
            escape(check.title),
            escape(check.finding),
            escape(check.fix) if show_fix else "",
        )
    return table


def summary_line(report: DoctorReport) -> str:
    counts = ", ".join(f"{report.count(s)} {s}" for s in ("ok", "warn", "fail", "skip"))
    return f"{counts} in {report.seconds:.1f} s"


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor(
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
        fix_hints: bool = typer.Option(
            False, "--fix-hints", help="Show the fix column for every check, not only for "
            "warnings and failures."
        ),
        engine: str | None = typer.Option(None, "--engine", help="auto, docker, podman or local."),
    ) -> None:
        """Check the engine, GPU, driver, shm, disk, port, network and config, with a fix for
        each. Exits non-zero if any check fails; `--json` output is safe to paste in a bug
        report (no tokens, proxy credentials redacted)."""

        def body() -> DoctorReport:
            facts = Facts(flags={"engine": engine})
            if as_json:
                return run_doctor(facts)
            with console.err.status("checking this machine..."):
                return run_doctor(facts)

        report = guarded(body, as_json)
        if as_json:
            console.print_json(report.to_dict())
        else:
            console.out.print(report_table(report, fix_hints))
            console.info(summary_line(report))
        if report.failed:
            raise typer.Exit(1)
