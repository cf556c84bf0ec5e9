"""`dlbox up` (with --explain / --dry-run), `ps`, `logs`, `stop`, `shell`, `run`."""

from __future__ import annotations

import sys
import webbrowser
from dataclasses import replace
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from dlbox import process
from dlbox.cli import console, explain_view
from dlbox.cli.common import JSON_HELP, environment_engine, guarded, settings
from dlbox.cli.data_cmd import ProgressEvents
from dlbox.cli.progress import ensure_with_progress
from dlbox.config import Settings
from dlbox.engines.base import Engine
from dlbox.errors import DlboxError, UsageError
from dlbox.image.build import BuildResult
from dlbox.image.options import build_options
from dlbox.launch import sessions
from dlbox.launch.environment import environment_container, labels_for, plan_environment
from dlbox.launch.launcher import list_sessions, stop, up
from dlbox.launch.options import env_options, up_options
from dlbox.launch.prepare import PrepareResult, prepare_project


def _flags(
    code_dir: Path | None,
    data_dir: Path | None,
    port: int | None,
    host: str | None,
    gpus: str | None,
    shm_size: str | None,
    ipc: str | None,
    engine: str | None,
) -> dict[str, object]:
    if ipc not in (None, "host", "private"):
        raise UsageError(f"--ipc {ipc} is not supported.", "Use --ipc host, or leave it out.")
    return {
        "code_dir": str(code_dir) if code_dir else None,
        "data_dir": str(data_dir) if data_dir else None,
        "port": port,
        "host": host,
        "gpus": gpus,
        "shm_size": shm_size,
        "ipc_host": None if ipc is None else ipc == "host",
        "engine": engine,
    }


def prepare_environment(eng: Engine, cfg: Settings, quiet: bool) -> BuildResult:
    """The image (container engines) or the venv (local engine), with a live one-line status."""
    return ensure_with_progress(eng, build_options(cfg), quiet)


def _project(cfg: Settings, *, fetch_data: bool, quiet: bool) -> PrepareResult:
    """The configured course cloned and datasets present (first run), with live progress."""
    if cfg["course"] and not quiet:
        console.info(f"course: {cfg['course']}")
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console.err,
        transient=True,
        disable=quiet,
    ) as progress:
        return prepare_project(cfg, fetch_data=fetch_data, events=ProgressEvents(progress))


def _engine_and_image(cfg: Settings, quiet: bool) -> tuple[Engine, str, BuildResult]:
    eng, choice = environment_engine(cfg)
    if not quiet:
        console.info(f"engine: {choice.name} ({choice.reason})")
    result = prepare_environment(eng, cfg, quiet)
    if result.built and not quiet:
        console.success(f"built {result.tag} in {result.seconds:.0f} s")
    return eng, result.tag, result


CodeOpt = typer.Option(None, "--code-dir", help="Host code folder, mounted at /code.")
DataOpt = typer.Option(None, "--data-dir", help="Host data folder, mounted at /data.")
GpusOpt = typer.Option(None, "--gpus", help="auto (default), all, none, or indices like 0,1.")
ShmOpt = typer.Option(
    None, "--shm-size", help="/dev/shm size, e.g. 8g (default: half of RAM, 1-16g)."
)
IpcOpt = typer.Option(
    None, "--ipc", help="'host' shares the host IPC namespace instead of --shm-size."
)
EngineOpt = typer.Option(
    None, "--engine", help="auto (default), docker, podman or local (a venv, no containers)."
)


def register(app: typer.Typer) -> None:
    @app.command(name="up")
    def up_command(
        code_dir: Path | None = CodeOpt,
        data_dir: Path | None = DataOpt,
        port: int | None = typer.Option(None, "--port", help="Preferred host port (default 8888)."),
        host: str | None = typer.Option(
            None, "--host", help="Address to publish on (default 127.0.0.1)."
        ),
        gpus: str | None = GpusOpt,
        per_gpu: bool = typer.Option(
            False, "--per-gpu", help="One server per GPU, consecutive ports."
        ),
        shm_size: str | None = ShmOpt,
        ipc: str | None = IpcOpt,
        engine: str | None = EngineOpt,
        name: str | None = typer.Option(
            None, "--name", help="Session name (default: per project)."
        ),
        open_browser: bool = typer.Option(False, "--open", help="Open the URL in a browser."),
        foreground: bool = typer.Option(False, "--foreground", help="Stream the logs after start."),
        explain_: bool = typer.Option(
            False, "--explain", help="Print the docker command and why each flag."
        ),
        dry_run: bool = typer.Option(False, "--dry-run", help="Show the command; start nothing."),
        reprobe: bool = typer.Option(False, "--reprobe-gpus", help="Probe GPU access again."),
        no_data: bool = typer.Option(
            False, "--no-data", help="Do not download the configured datasets."
        ),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Start Jupyter in the locked environment (build if needed) and print its URL."""

        def body() -> None:
            cfg = settings(_flags(code_dir, data_dir, port, host, gpus, shm_size, ipc, engine))
            options = up_options(
                cfg,
                per_gpu=per_gpu,
                open_browser=open_browser,
                foreground=foreground,
                name=name,
                refresh_gpu_probe=reprobe,
            )
            if dry_run:
                explain_view.dry_run(cfg, options, as_json, brief=not explain_)
                return
            project = _project(cfg, fetch_data=not no_data, quiet=as_json)
            if project.course_subdir != options.env.course_subdir:
                options = replace(
                    options, env=replace(options.env, course_subdir=project.course_subdir)
                )
            eng, image, prepared = _engine_and_image(cfg, as_json)
            rows = (
                explain_view.explain_rows(eng, image, options, dry_run=False) if explain_ else None
            )
            if rows and not as_json:
                explain_view.print_explain(rows, brief=False)
            result = up(eng, image, options, prepared)
            if as_json:
                doc = {"ok": True, **result.to_dict(), "project": project.to_dict()}
                if rows:
                    doc["explain"] = explain_view.explain_json(rows)
                console.print_json(doc)
                return
            for warning in project.warnings:
                console.warn(warning)
            lessons = project.lessons
            if lessons and (lessons.copied or lessons.updated):
                console.info(
                    f"lessons: {', '.join(lessons.copied + lessons.updated)} -> {lessons.folder}"
                )
            if lessons and lessons.kept_edited:
                console.info(
                    f"lessons: kept your edited {', '.join(lessons.kept_edited)} "
                    "(dlbox never overwrites your edits)"
                )
            for note in result.notes:
                console.info(note)
            for warning in result.warnings:
                console.warn(warning)
            console.info(f"gpus: {result.plan.gpu.reason}")
            for s in result.started:
                verb = "already running" if s.reused else f"ready in {s.ready_seconds:.1f} s"
                console.success(f"{s.session.name} {verb}")
                console.out.print(s.url)
            if open_browser and result.started:
                webbrowser.open(result.started[0].url)
            if foreground and result.started:
                name0 = result.started[0].session.name
                sys.exit(process.interactive(eng.logs_argv(name0, True, None)))

        guarded(body, as_json)

    @app.command(name="ps")
    def ps_command(
        show_token: bool = typer.Option(False, "--show-token", help="Include the token in URLs."),
        engine: str | None = EngineOpt,
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """List dlbox sessions: name, image, URL, GPUs, uptime."""

        def body() -> None:
            eng = _engine_only(engine)
            found = list_sessions(eng)
            if as_json:
                console.print_json([s.to_dict(show_token) for s in found])
                return
            if not found:
                console.info("no dlbox sessions (start one with `dlbox up`)")
                return
            table = Table("NAME", "STATE", "URL", "GPUS", "UPTIME", "IMAGE")
            for column in table.columns:
                column.overflow = "fold"
            for s in found:
                table.add_row(
                    s.name,
                    s.state,
                    s.url(show_token),
                    s.gpus,
                    sessions.human_duration(s.uptime_seconds()),
                    s.image,
                )
            console.out.print(table)

        guarded(body, as_json)

    @app.command(name="logs")
    def logs_command(
        name: str | None = typer.Argument(None, help="Session (default: this project's)."),
        follow: bool = typer.Option(False, "--follow", "-f", help="Keep streaming."),
        tail: int | None = typer.Option(None, "--tail", help="Only the last N lines."),
        engine: str | None = EngineOpt,
    ) -> None:
        """Show a session's Jupyter log."""

        def body() -> int:
            eng = _engine_only(engine)
            target = _pick_session(eng, name)
            return process.interactive(eng.logs_argv(target, follow, tail))

        raise typer.Exit(guarded(body))

    @app.command(name="stop")
    def stop_command(
        names: list[str] = typer.Argument(None, help="Sessions to stop (default: this project's)."),
        all_: bool = typer.Option(False, "--all", help="Stop every dlbox session."),
        engine: str | None = EngineOpt,
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Stop and remove sessions (your notebooks and data on the host are untouched)."""

        def body() -> None:
            eng = _engine_only(engine)
            if all_:
                targets = [s.name for s in list_sessions(eng)]
            elif names:
                targets = list(names)
            else:
                targets = [_pick_session(eng, None)]
            result = stop(eng, targets)
            if as_json:
                console.print_json({"ok": True, **result.to_dict()})
            elif not result.stopped:
                console.info("no dlbox sessions to stop")
            for n in result.stopped if not as_json else []:
                console.success(f"stopped {n}")

        guarded(body, as_json)

    @app.command(name="shell")
    def shell_command(
        name: str | None = typer.Argument(None, help="Session (default: this project's)."),
        engine: str | None = EngineOpt,
    ) -> None:
        """An interactive shell in the running environment, as you."""

        def body() -> int:
            eng = _engine_only(engine)
            target = _pick_session(eng, None if name is None else name)
            from dlbox.launch.user import invoking_user

            argv = eng.exec_argv(target, ["bash", "-l"], invoking_user().spec, sys.stdin.isatty())
            return process.interactive(argv)

        raise typer.Exit(guarded(body))

    @app.command(
        name="run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )
    def run_command(
        ctx: typer.Context,
        code_dir: Path | None = CodeOpt,
        data_dir: Path | None = DataOpt,
        gpus: str | None = GpusOpt,
        shm_size: str | None = ShmOpt,
        engine: str | None = EngineOpt,
    ) -> None:
        """Run a one-off command in the environment with the same mounts: dlbox run -- CMD..."""

        def body() -> int:
            command = list(ctx.args)
            if not command:
                raise UsageError(
                    "No command given.", "Example: dlbox run -- python -c 'import fastai'"
                )
            cfg = settings(_flags(code_dir, data_dir, None, None, gpus, shm_size, None, engine))
            eng, image, _ = _engine_and_image(cfg, True)
            plan = plan_environment(eng, image, env_options(cfg))
            if plan.gpu.warning:
                console.warn(plan.gpu.warning)
            import secrets

            spec = environment_container(
                plan,
                image,
                name=f"dlbox-run-{secrets.token_hex(4)}",
                command=command,
                labels=labels_for("run", plan),
                detach=False,
                remove=True,
                interactive=sys.stdin.isatty(),
            )
            return eng.run_interactive(spec)

        raise typer.Exit(guarded(body))


def _engine_only(engine: str | None) -> Engine:
    return environment_engine(settings({"engine": engine}))[0]


def _pick_session(eng: Engine, name: str | None) -> str:
    found = list_sessions(eng)
    if name:
        if name not in {s.name for s in found}:
            raise DlboxError(f"No dlbox session named {name}.", "`dlbox ps` lists the sessions.")
        return name
    cfg = settings()
    code = str(Path(cfg["code_dir"]).expanduser().resolve())
    mine = [s.name for s in found if s.code_dir == code]
    if len(mine) >= 1:
        return mine[0]
    if len(found) == 1:
        return found[0].name
    if not found:
        raise DlboxError("No dlbox session is running.", "Start one with `dlbox up`.")
    raise DlboxError(
        "Several sessions run and none belongs to this project.",
        "Name one: " + ", ".join(s.name for s in found),
    )
