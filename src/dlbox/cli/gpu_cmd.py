"""`dlbox gpu cdi`: a CDI spec for NVIDIA GPUs on machines without the NVIDIA Container Toolkit."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from dlbox.cli import console
from dlbox.cli.common import JSON_HELP, guarded
from dlbox.gpu.cdi import CdiPlan
from dlbox.usecases.gpu import CDI_SYSTEM_DIR, cdi_spec


def _render(plan: CdiPlan, show_spec: bool) -> None:
    if show_spec:
        console.out.print(escape(plan.text), end="", soft_wrap=True, highlight=False)
    devices = ", ".join(f"nvidia.com/gpu={d}" for d in [*map(str, plan.gpus), "all"])
    console.info(
        f"{len(plan.gpus)} GPU(s), {len(plan.libraries)} driver libraries, "
        f"{len(plan.binaries)} tools; devices: {devices}"
    )
    for path in plan.conflicts:
        console.warn(
            f"{path} already describes nvidia.com/gpu (the NVIDIA Container Toolkit's?): "
            "keep one of the two."
        )
    if not plan.written:
        console.info(f"would write {plan.path} (run again with --write)")
        return
    console.success(f"wrote {plan.path}")
    if plan.path.parent != CDI_SYSTEM_DIR:
        console.info(
            f"Rootless Podman 5.5 or later reads it: dlbox names {plan.path.parent} with "
            "--cdi-spec-dir on its GPU runs. Older Podman, a Podman service and Docker read "
            "/etc/cdi and /var/run/cdi only: write it there with `sudo dlbox gpu cdi --write`."
        )
    console.info(
        "Try: podman run --rm --device nvidia.com/gpu=all debian:bookworm-slim nvidia-smi -L "
        '(Docker 25+: enable CDI with "features": {"cdi": true} in /etc/docker/daemon.json).'
    )


def register(app: typer.Typer) -> None:
    gpu = typer.Typer(help="NVIDIA GPU helpers.", no_args_is_help=True)
    app.add_typer(gpu, name="gpu")

    @gpu.command("cdi")
    def cdi_command(
        write: bool = typer.Option(False, "--write", help="Write the spec (default: show it)."),
        output: Path | None = typer.Option(
            None, "--dir", help="CDI folder (default: /etc/cdi as root, else ~/.config/cdi)."
        ),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Show (or --write) a CDI spec for this machine's NVIDIA GPUs.

        With it, Podman and Docker with CDI give containers the GPU without the NVIDIA
        Container Toolkit."""

        def body() -> None:
            plan = cdi_spec(output, write=write)
            if as_json:
                console.print_result(plan)
            else:
                _render(plan, show_spec=not write)

        guarded(body, as_json)
