"""`dlbox data list|get|verify|rm`: managed, verified, resumable dataset downloads."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from dlbox.cli import console
from dlbox.cli.common import JSON_HELP, guarded, settings
from dlbox.datasets import (
    DownloadOptions,
    Events,
    GetOptions,
    GetResult,
    Layout,
    get_dataset,
    list_datasets,
    remove_dataset,
    resolve,
    verify_datasets,
)
from dlbox.errors import UsageError

DATA_DIR_HELP = "Data folder (default from config: data_dir; mounted at /data)."


def _layout(data_dir: Path | None) -> Layout:
    cfg = settings({"data_dir": str(data_dir) if data_dir else None})
    return Layout(Path(cfg["data_dir"]))


def human(n: int | None) -> str:
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError


class ProgressEvents(Events):
    """Rich progress bar (bytes, rate, ETA) on stderr; notes for waits and retries."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.task: TaskID | None = None

    def waiting(self, name: str) -> None:
        console.info(f"waiting: another dlbox process is getting {name}")

    def retry(self, attempt: int, retries: int, reason: str, delay: float) -> None:
        console.warn(f"{escape(reason)}; retry {attempt} of {retries} in {delay:.0f} s")

    def download_start(self, name: str, url: str, total: int | None, have: int) -> None:
        if self.task is None:
            self.task = self.progress.add_task(name, total=total, completed=have)
        else:
            self.progress.reset(self.task, total=total, completed=have, description=name)
        if have:
            console.info(f"resuming {escape(name)} at {human(have)}")

    def download_progress(self, nbytes: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, nbytes)

    def download_end(self) -> None:
        if self.task is not None:
            self.progress.remove_task(self.task)
            self.task = None

    def extracting(self, name: str) -> None:
        console.info(f"unpacking {escape(name)}")


def _done_line(result: GetResult) -> str:
    if result.status == "present":
        return f"{result.name} is already present in {result.path}"
    if result.status == "found":
        return (f"{result.name} already exists in {result.path} (not downloaded by dlbox; "
                "--force replaces it)")
    how = "downloaded" if result.status == "downloaded" else "unpacked from the kept archive"
    resumed = f", resumed at {human(result.resumed_from)}" if result.resumed_from else ""
    return (f"{result.name}: {how} ({human(result.size)}{resumed}, checked: {result.check}) "
            f"-> {result.path} ({result.files} files, {human(result.bytes)})")


def register(app: typer.Typer) -> None:
    data = typer.Typer(help="Datasets: list, download (verified, resumable), check and remove.",
                       no_args_is_help=True)
    app.add_typer(data, name="data")

    @data.command("list")
    def list_cmd(
        data_dir: Path | None = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """The catalog and what is present in the data folder."""

        def body() -> None:
            result = list_datasets(_layout(data_dir))
            if as_json:
                console.print_json({"ok": True, **result.to_dict()})
                return
            table = Table(title=f"datasets in {result.data_dir}", title_justify="left")
            for col in ("name", "state", "download", "on disk", "description"):
                table.add_column(col, justify="right" if col in ("download", "on disk") else "left")
            for d in result.datasets:
                state = {"present": "[green]present[/green]", "absent": "[dim]absent[/dim]",
                         "partial": f"[yellow]partial ({human(d.partial_bytes)})[/yellow]",
                         "found": "present (not by dlbox)",
                         "archive": "archive only"}[d.state]
                table.add_row(d.name, state, human(d.size), human(d.unpacked_bytes),
                              escape(d.description))
            console.out.print(table)

        guarded(body, as_json)

    @data.command("get")
    def get_cmd(
        names: list[str] = typer.Argument(..., help="Catalog names (see `dlbox data list`), "
                                          "fastai names (PETS) or archive URLs."),
        sha256: str | None = typer.Option(None, "--sha256", help="Expected SHA-256 of the "
                                          "archive (required for a URL)."),
        force: bool = typer.Option(False, "--force", help="Download and unpack again."),
        retries: int = typer.Option(5, "--retries", min=0, help="Retries on network errors."),
        max_unpacked_mb: int | None = typer.Option(
            None, "--max-unpacked-mb", min=1,
            help="Refuse archives that unpack to more (default: 20x the archive, >= 1 GB)."),
        data_dir: Path | None = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Download, verify and unpack datasets into the data folder (resumes interrupted
        downloads; a second process getting the same dataset waits for the first)."""

        def body() -> None:
            if sha256 is not None and len(names) != 1:
                raise UsageError("--sha256 applies to one archive, but several were named.",
                                 "Get them one at a time, each with its own --sha256.")
            datasets = [resolve(n, sha256) for n in names]
            layout = _layout(data_dir)
            options = GetOptions(
                force=force, download=DownloadOptions(retries=retries),
                max_unpacked_bytes=max_unpacked_mb * 1_000_000 if max_unpacked_mb else None)
            results = []
            with Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                          TransferSpeedColumn(), TimeRemainingColumn(), console=console.err,
                          transient=True, disable=as_json) as progress:
                for dataset in datasets:
                    result = get_dataset(layout, dataset, options, ProgressEvents(progress))
                    results.append(result)
                    if not as_json:
                        console.success(escape(_done_line(result)))
            if as_json:
                console.print_json({"ok": True, "data_dir": str(layout.root),
                                    "datasets": [r.to_dict() for r in results]})

        guarded(body, as_json)

    @data.command("verify")
    def verify_cmd(
        names: list[str] = typer.Argument(None, help="Datasets to check (default: all that "
                                          "dlbox downloaded)."),
        data_dir: Path | None = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Re-check downloaded datasets: archive checksum, unpacked file count and size."""

        def body() -> bool:
            result = verify_datasets(_layout(data_dir), names or None)
            if as_json:
                console.print_json({"ok": result.ok, **result.to_dict()})
            elif not result.items:
                console.info(f"no datasets downloaded by dlbox in {result.data_dir}")
            for item in [] if as_json else result.items:
                if item.ok:
                    console.success(f"{item.name}: ok ({', '.join(item.checked)})")
                else:
                    console.err.print(f"[bold red]✗[/bold red] {item.name}: "
                                      + escape("; ".join(item.problems)))
            if not result.ok and not as_json:
                console.info("Fix: `dlbox data get --force NAME` downloads a damaged dataset "
                             "again.")
            return result.ok

        if not guarded(body, as_json):
            raise typer.Exit(1)

    @data.command("rm")
    def rm_cmd(
        names: list[str] = typer.Argument(..., help="Datasets to remove."),
        keep_archive: bool = typer.Option(False, "--keep-archive",
                                          help="Keep the downloaded archive."),
        data_dir: Path | None = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Remove datasets (folder, archive, partial download) from the data folder."""

        def body() -> None:
            layout = _layout(data_dir)
            results = [remove_dataset(layout, n, keep_archive) for n in names]
            if as_json:
                console.print_json({"ok": True, "removed": [r.to_dict() for r in results]})
                return
            for r in results:
                console.success(f"removed {r.name} ({len(r.removed)} paths)")

        guarded(body, as_json)
