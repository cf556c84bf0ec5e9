"""`dlbox data list|get|verify|rm`: managed, verified, resumable dataset downloads."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from dlbox.cli import console
from dlbox.cli.common import JSON_HELP, guarded, settings
from dlbox.cli.data_view import dataset_lines
from dlbox.cli.progress import download_bars
from dlbox.cli.progress_text import done_line
from dlbox.datasets.manage import GetResult
from dlbox.datasets.store import Layout
from dlbox.usecases.data import (
    GetRequest,
    data_layout,
    get_datasets,
    list_data,
    remove_datasets,
    verify_data,
)

DATA_DIR_HELP = "Data folder (default from config: data_dir; mounted at /data)."


def _layout(data_dir: Path | None) -> Layout:
    return data_layout(settings({"data_dir": str(data_dir) if data_dir else None}))


def register(app: typer.Typer) -> None:
    data = typer.Typer(
        help="Datasets: list, download (verified, resumable), check and remove.",
        no_args_is_help=True,
    )
    app.add_typer(data, name="data")

    @data.command("list")
    def list_cmd(
        data_dir: Path | None = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """The catalog and what is present in the data folder.

        URLs. is the name fastai gives the dataset (`untar_data(URLs.PETS)`); `dlbox data get`
        takes either name. present* means the folder is there but dlbox did not download it."""

        def body() -> None:
            result = list_data(_layout(data_dir))
            if as_json:
                console.print_result(result)
                return
            console.info(
                f"datasets in {result.data_dir} (present*: there, not downloaded by dlbox)"
            )
            for line in dataset_lines(result.datasets):
                console.out.print(line, markup=False, highlight=False)

        guarded(body, as_json)

    @data.command("get")
    def get_cmd(
        names: list[str] = typer.Argument(
            ..., help="Catalog names (see `dlbox data list`), fastai names (PETS) or archive URLs."
        ),
        sha256: str | None = typer.Option(
            None, "--sha256", help="Expected SHA-256 of the archive (required for a URL)."
        ),
        force: bool = typer.Option(False, "--force", help="Download and unpack again."),
        retries: int = typer.Option(5, "--retries", min=0, help="Retries on network errors."),
        max_unpacked_mb: int | None = typer.Option(
            None,
            "--max-unpacked-mb",
            min=1,
            help="Refuse archives that unpack to more (default: 20x the archive, >= 1 GB).",
        ),
        max_files: int | None = typer.Option(
            None,
            "--max-files",
            min=1,
            help="Refuse archives with more members (default: one per 64 archive bytes, "
            ">= 10,000).",
        ),
        data_dir: Path | None = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Download, verify and unpack datasets into the data folder.

        Interrupted downloads resume; a second process getting the same dataset waits for the
        first."""

        def body() -> None:
            request = GetRequest(tuple(names), sha256, force, retries, max_unpacked_mb, max_files)
            layout = _layout(data_dir)

            def done(result: GetResult) -> None:
                if not as_json:
                    console.success(escape(done_line(result)))

            with download_bars(quiet=as_json) as events:
                outcome = get_datasets(layout, request, events, done)
            if as_json:
                console.print_result(outcome)

        guarded(body, as_json)

    @data.command("verify")
    def verify_cmd(
        names: list[str] = typer.Argument(
            None, help="Datasets to check (default: all that dlbox downloaded)."
        ),
        data_dir: Path | None = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Re-check downloaded datasets: checksum, file count and size."""

        def body() -> bool:
            result = verify_data(_layout(data_dir), names or None)
            if as_json:
                console.print_result(result, ok=result.ok)
            elif not result.items:
                console.info(f"no datasets downloaded by dlbox in {result.data_dir}")
            for item in [] if as_json else result.items:
                if item.ok:
                    console.success(f"{item.name}: ok ({', '.join(item.checked)})")
                else:
                    console.err.print(
                        f"[bold red]✗[/bold red] {item.name}: " + escape("; ".join(item.problems))
                    )
            if not result.ok and not as_json:
                console.info(
                    "Fix: `dlbox data get --force NAME` downloads a damaged dataset again."
                )
            return result.ok

        if not guarded(body, as_json):
            raise typer.Exit(1)

    @data.command("rm")
    def rm_cmd(
        names: list[str] = typer.Argument(..., help="Datasets to remove."),
        keep_archive: bool = typer.Option(
            False, "--keep-archive", help="Keep the downloaded archive."
        ),
        data_dir: Path | None = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Remove datasets (folder, archive, partial download)."""

        def body() -> None:
            outcome = remove_datasets(_layout(data_dir), names, keep_archive)
            if as_json:
                console.print_result(outcome)
                return
            for r in outcome.removed:
                console.success(f"removed {r.name} ({len(r.removed)} paths)")

        guarded(body, as_json)
