"""The image a project asks for: the base image and build settings from config, its extras from
dlbox.toml and dlbox.lock. The one place that turns settings into an EnvSpec and BuildOptions, so
`build`, `up`, `verify` and `doctor` all mean the same image."""

from __future__ import annotations

from pathlib import Path

from dlbox.config import Settings
from dlbox.extend.project_extras import lock_root_override, project_extras
from dlbox.gpu.choice import cuda_choice
from dlbox.gpu.lines import LineChoice
from dlbox.image.build import BuildOptions
from dlbox.image.ca import detect_ca_bundle
from dlbox.image.spec import EnvSpec


def env_spec(cfg: Settings, line: LineChoice | None = None) -> EnvSpec:
    """[extras] from dlbox.toml, with dlbox.lock's exact pins for the pip ones, on the CUDA line
    chosen for this machine."""
    choice = line or cuda_choice(cfg)
    return EnvSpec(
        base_image=cfg["base_image"],
        extras=project_extras(cfg),
        lock_root=lock_root_override(),
        cuda_line=choice.line,
    )


def build_options(
    cfg: Settings,
    *,
    rebuild: bool = False,
    no_cache: bool = False,
    line: LineChoice | None = None,
) -> BuildOptions:
    ca_path = cfg["ca_bundle"]
    network = cfg["build_network"]
    return BuildOptions(
        spec=env_spec(cfg, line),
        ca=detect_ca_bundle(Path(ca_path) if ca_path else None),
        network=None if network in ("", "default") else network,
        rebuild=rebuild,
        no_cache=no_cache,
    )
