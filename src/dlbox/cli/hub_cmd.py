"""`dlbox hub`: JupyterHub for a class or team on one machine (config, up, status, down, logs,
users add/remove/list) and the Zero to JupyterHub values file for Kubernetes (`hub export`)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from dlbox.cli import console, hub_export_cmd
from dlbox.cli.common import JsonFlag, guarded
from dlbox.cli.hub_view import login_help, render_change, status_lines
from dlbox.cli.progress import ConsoleReporter
from dlbox.usecases import hub_commands as usecase
from dlbox.usecases.hub_commands import HubOptions


def _hub_options(
    host: str | None = typer.Option(None, help="Address the hub listens on (default 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port the hub listens on (default 8000)."),
    admin: str | None = typer.Option(None, help="Admin user name: approves sign-ups."),
    authenticator: str | None = typer.Option(None, help="native (sign-up + approval) or pam."),
    gpu_policy: str | None = typer.Option(None, help="round-robin, exclusive or shared."),
    gpus: str | None = typer.Option(None, help="GPUs for users: auto, all, none or a list (0,1)."),
    ssl_cert: Path | None = typer.Option(None, help="TLS certificate (PEM) for the hub's port."),
    ssl_key: Path | None = typer.Option(None, help="TLS private key (PEM) for the hub's port."),
    insecure: bool = typer.Option(
        False, "--insecure", help="Allow a non-loopback --host without TLS."
    ),
    course_dir: Path | None = typer.Option(
        None, help="Notebooks for new users (default: code_dir)."
    ),
    engine: str | None = typer.Option(None, help="docker or podman (default: the setting)."),
) -> HubOptions:
    """The options `hub config` and `hub up` share (see with_hub_options)."""
    return HubOptions(
        host,
        port,
        admin,
        authenticator,
        gpu_policy,
        gpus,
        ssl_cert,
        ssl_key,
        insecure,
        course_dir,
        engine,
    )


def with_hub_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options of `_hub_options`, defined once, for `hub config` and `hub up`: Typer sees
    them before the command's own parameters; the command gets them as `options`."""
    shared = inspect.signature(_hub_options, eval_str=True).parameters
    own = inspect.signature(command, eval_str=True)
    rest = [p for name, p in own.parameters.items() if name != "options"]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> None:
        options = _hub_options(**{name: kwargs.pop(name) for name in shared})
        command(options=options, **kwargs)

    wrapper.__signature__ = own.replace(parameters=[*shared.values(), *rest])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in [*shared.values(), *rest]}
    return wrapper


def register(app: typer.Typer) -> None:
    hub = typer.Typer(
        help="JupyterHub for a class or team; a values file for Kubernetes (`hub export`).\n\n"
        "`hub up` serves the environment to many users on this machine; `hub export` writes a "
        "Zero to JupyterHub (Helm chart) values file for a cluster.",
        no_args_is_help=True,
    )
    users = typer.Typer(help="Hub users: add, remove, list.", no_args_is_help=True)
    app.add_typer(hub, name="hub")
    hub.add_typer(users, name="users")
    hub_export_cmd.register(hub)

    @hub.command("config")
    @with_hub_options
    def config(options: HubOptions) -> None:
        """Print the jupyterhub_config.py `hub up` writes (it holds no secret)."""
        console.plain(guarded(lambda: usecase.config_text(options)), end="")

    @hub.command("up")
    @with_hub_options
    def up(options: HubOptions, as_json: JsonFlag = False) -> None:
        """Start JupyterHub serving the environment image to many users.

        Starts the hub and its proxy, waits until the hub answers, then prints its URL and how
        users log in."""
        reporter = ConsoleReporter(quiet=as_json)
        result = guarded(lambda: usecase.up(options, reporter), as_json)
        if as_json:
            console.print_result(result)
            return
        for warning in result.warnings:
            console.warn(escape(warning))
        if result.already_running:
            console.info("The hub is already running (`dlbox hub down` stops it).")
        else:
            console.success(f"hub answering in {result.seconds:.1f} s (image {result.image})")
        console.plain(result.url)
        for line in login_help(result):
            console.info(escape(line))
        if not result.admin:
            console.info("No admin named: pass --admin NAME to approve sign-ups in the browser.")

    @hub.command("status")
    def status(as_json: JsonFlag = False) -> None:
        """Whether the hub runs, and its users' servers, GPUs, ports, idle time."""
        result = guarded(usecase.status, as_json)
        if as_json:
            console.print_result(result)
        elif not result.running:
            console.info("No hub is running. Start one with `dlbox hub up --admin NAME`.")
        else:
            console.plain("\n".join(status_lines(result)))

    @hub.command("down")
    def down(as_json: JsonFlag = False) -> None:
        """Stop what `hub up` started: the users' servers, the hub, its proxy.

        Users' files (their volumes), the user list and the secrets stay."""
        result = guarded(usecase.down, as_json)
        if as_json:
            console.print_result(result)
            return
        if not result.was_running and not result.removed:
            console.info("No hub was running.")
            return
        console.success(
            "hub stopped" + (f" ({', '.join(result.stopped)})" if result.stopped else "")
        )
        if result.removed:
            console.info(f"removed leftover containers: {', '.join(result.removed)}")

    @hub.command("logs")
    def logs(
        which: str = typer.Argument("hub", help="hub or proxy."),
        follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new lines."),
        tail: int = typer.Option(100, "--tail", min=0, help="Lines to show."),
    ) -> None:
        """Show the hub's (or the proxy's) log."""
        log = guarded(lambda: usecase.read_log(which, tail))
        if log.lines is None:
            console.info("No log yet: the hub has not been started (`dlbox hub up`).")
        elif follow:
            raise typer.Exit(usecase.follow_log(log, tail))
        else:
            console.plain("\n".join(log.lines))

    @users.command("add")
    def users_add(
        names: list[str] = typer.Argument(..., help="User names (lower case)."),
        admin: bool = typer.Option(False, "--admin", help="Make them hub admins."),
        as_json: JsonFlag = False,
    ) -> None:
        """Add users to the running hub (their sign-up is then approved at once)."""
        result = guarded(lambda: usecase.add_users(names, admin=admin), as_json)
        render_change(result, as_json, "{} already exists")

    @users.command("remove")
    def users_remove(
        names: list[str] = typer.Argument(..., help="User names."), as_json: JsonFlag = False
    ) -> None:
        """Remove users (their server stops; their code volume stays)."""
        result = guarded(lambda: usecase.remove_users(names), as_json)
        render_change(result, as_json, "{}: no such user")

    @users.command("list")
    def users_list(as_json: JsonFlag = False) -> None:
        """The hub's users and their servers."""
        result = guarded(usecase.list_users, as_json)
        if as_json:
            console.print_result(users=[u.to_dict() for u in result.users])
            return
        for user in result.users:
            console.plain(f"{user.name}\t{user.server}" + ("\tadmin" if user.admin else ""))
