"""`dlbox hub export --kubernetes FILE`: the Zero to JupyterHub values file (registered into the
`hub` group by cli/hub_cmd.py)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from dlbox.cli import console
from dlbox.cli.common import JSON_HELP, guarded, settings
from dlbox.usecases.hub_export import KubeExportOptions, command_text, export_kubernetes


def register(hub: typer.Typer) -> None:
    @hub.command()
    def export(
        kubernetes: Path = typer.Option(
            ...,
            "--kubernetes",
            metavar="FILE",
            help="Write a Zero to JupyterHub values file to FILE.",
        ),
        image: str | None = typer.Option(
            None,
            "--image",
            metavar="NAME",
            help="Image the cluster pulls, without tag.",
        ),
        tag: str | None = typer.Option(
            None, "--tag", help="Image tag (default: `dlbox build`'s content hash)."
        ),
        cuda: str | None = typer.Option(
            None, "--cuda", help="CUDA line: 12 (driver 525-579) or 13 (580+)."
        ),
        force: bool = typer.Option(False, "--force", help="Replace a FILE dlbox did not write."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Write the values that run this environment for a class on Kubernetes."""

        def body() -> None:
            result = export_kubernetes(
                settings({"cuda": cuda}),
                KubeExportOptions(kubernetes, image=image, tag=tag, force=force),
            )
            if as_json:
                console.print_result(result)
                return
            chart = result.chart
            console.success(
                escape(
                    f"wrote {result.file}: {result.reference}, Zero to JupyterHub chart "
                    f"{chart.chart} (hub jupyterhub {chart.hub_jupyterhub}, image "
                    f"{chart.image_jupyterhub})"
                )
            )
            console.info(
                escape(
                    f"CUDA {result.cuda.spec.cuda} line ({result.cuda.reason}): GPU nodes need "
                    f"an NVIDIA driver >= {result.node_driver}"
                )
            )
            for note in result.notes:
                console.warn(escape(note))
            console.info("1. push the image where the cluster pulls from:")
            console.info(escape(f"   {command_text(result.push_command)}"))
            console.info("2. install or upgrade the hub (Helm 3, kubectl pointing at the cluster):")
            for argv in result.helm_commands:
                console.info(escape(f"   {command_text(argv)}"))
            console.info("   then: docs/kubernetes.md (data volume, users, checking a lesson)")

        guarded(body, as_json)
