"""`dlbox up` (with --explain / --dry-run) and `dlbox run`: parse, call the use case, render."""

from __future__ import annotations

import sys
import webbrowser
from pathlib import Path

import typer

from dlbox.cli import console
from dlbox.cli.common import JSON_HELP, guarded, settings
from dlbox.cli.progress import ConsoleReporter
from dlbox.cli.up_view import render_dry_run, render_up
from dlbox.errors import UsageError
from dlbox.usecases.run_once import RunRequest, follow_logs, run_once
from dlbox.usecases.up import SessionFlags, UpRequest, browser_page, dry_run, up

FOLDERS = "Folders and network"
GPU = "GPUs and memory"
CodeOpt = typer.Option(
    None, "--code-dir", help="Host code folder, mounted at /code.", rich_help_panel=FOLDERS
)
DataOpt = typer.Option(
    None, "--data-dir", help="Host data folder, mounted at /data.", rich_help_panel=FOLDERS
)
GpusOpt = typer.Option(
    None, "--gpus", help="auto (default), all, none, or indices like 0,1.", rich_help_panel=GPU
)
ShmOpt = typer.Option(
    None,
    "--shm-size",
    help="/dev/shm size, e.g. 8g (default: half of RAM, 1-16g).",
    rich_help_panel=GPU,
)
IpcOpt = typer.Option(
    None,
    "--ipc",
    help="'host' shares the host IPC namespace instead of --shm-size.",
    rich_help_panel=GPU,
)
CudaOpt = typer.Option(
    None,
    "--cuda",
    help="CUDA line: 12 (drivers 525-579) or 13 (580+); default: from the driver.",
    rich_help_panel=GPU,
)
EngineOpt = typer.Option(
    None, "--engine", help="auto (default), docker, podman, or local (no containers)."
)


def register(app: typer.Typer) -> None:
    @app.command(name="up")
    def up_command(
        code_dir: Path | None = CodeOpt,
        data_dir: Path | None = DataOpt,
        port: int | None = typer.Option(
            None, "--port", help="Preferred host port (default 8888).", rich_help_panel=FOLDERS
        ),
        host: str | None = typer.Option(
            None,
            "--host",
            help="Address to publish on (default 127.0.0.1).",
            rich_help_panel=FOLDERS,
        ),
        gpus: str | None = GpusOpt,
        per_gpu: bool = typer.Option(
            False, "--per-gpu", help="One server per GPU, consecutive ports.", rich_help_panel=GPU
        ),
        shm_size: str | None = ShmOpt,
        ipc: str | None = IpcOpt,
        engine: str | None = EngineOpt,
        cuda: str | None = CudaOpt,
        name: str | None = typer.Option(
            None, "--name", help="Session name (default: per project).", rich_help_panel=FOLDERS
        ),
        open_browser: bool = typer.Option(False, "--open", help="Open the URL in a browser."),
        foreground: bool = typer.Option(False, "--foreground", help="Stream the logs after start."),
        explain_: bool = typer.Option(
            False, "--explain", help="Print the docker command and why each flag."
        ),
        dry_run_: bool = typer.Option(False, "--dry-run", help="Show the command; start nothing."),
        reprobe: bool = typer.Option(
            False, "--reprobe-gpus", help="Probe GPU access again.", rich_help_panel=GPU
        ),
        no_data: bool = typer.Option(
            False, "--no-data", help="Do not download the configured datasets."
        ),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Start Jupyter in the environment and print its URL.

        Builds the image (or the local engine's venv) when needed, clones the configured course,
        gets the configured datasets, and reuses this project's session when one runs."""

        def body() -> None:
            flags = SessionFlags(code_dir, data_dir, port, host, gpus, shm_size, ipc, engine, cuda)
            cfg = settings(flags.overrides())
            request = UpRequest(
                per_gpu=per_gpu,
                name=name,
                open_browser=open_browser,
                foreground=foreground,
                refresh_gpu_probe=reprobe,
                fetch_data=not no_data,
                explain=explain_,
            )
            if dry_run_:
                preview = dry_run(cfg, request)
                if as_json:
                    console.print_result(preview)
                else:
                    render_dry_run(preview, brief=not explain_)
                return
            outcome = up(cfg, request, ConsoleReporter(quiet=as_json))
            for started in outcome.launch.started:
                console.reveal_url(started.url)  # the user's own token: the URL is the point
            if as_json:
                console.print_result(outcome)
                return
            render_up(outcome)
            first = outcome.launch.started[0] if outcome.launch.started else None
            if open_browser and first:
                webbrowser.open(browser_page(first.session.name, first.url).as_uri())
            if foreground and first:
                sys.exit(follow_logs(outcome.engine, first.session.name))

        guarded(body, as_json)

    @app.command(name="run")
    def run_command(
        cmd: list[str] = typer.Argument(None, metavar="-- CMD...", help="The command to run."),
        code_dir: Path | None = CodeOpt,
        data_dir: Path | None = DataOpt,
        gpus: str | None = GpusOpt,
        shm_size: str | None = ShmOpt,
        engine: str | None = EngineOpt,
        cuda: str | None = CudaOpt,
    ) -> None:
        """Run a one-off command in the environment, with the same mounts as up.

        Options for dlbox come first, the command after `--`:

            dlbox run --gpus all -- python train.py"""

        def body() -> int:
            request = RunRequest(tuple(cmd or ()), interactive=sys.stdin.isatty())
            if not request.command:
                raise UsageError(
                    "No command given.", "Example: dlbox run -- python -c 'import fastai'"
                )
            flags = SessionFlags(
                code_dir, data_dir, gpus=gpus, shm_size=shm_size, engine=engine, cuda=cuda
            )
            cfg = settings(flags.overrides())
            # the build progress (first run) on a terminal; the command owns stdout
            return run_once(cfg, request, ConsoleReporter(quiet=not console.err.is_terminal))

        raise typer.Exit(guarded(body))
