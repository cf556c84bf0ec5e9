"""Build options from settings: the one place that turns config into an EnvSpec, so `build`,
`up`, `verify` and `doctor` all mean the same image."""

from __future__ import annotations

from pathlib import Path

from dlbox.config import Settings
from dlbox.extend.project import lock_root_override, project_extras
from dlbox.image.build import BuildOptions
from dlbox.image.ca import detect_ca_bundle
from dlbox.image.spec import EnvSpec


def env_spec(cfg: Settings) -> EnvSpec:
    """[extras] from dlbox.toml, with dlbox.lock's exact pins for the pip ones."""
    return EnvSpec(
        base_image=cfg["base_image"], extras=project_extras(cfg), lock_root=lock_root_override()
    )


def build_options(cfg: Settings, *, rebuild: bool = False, no_cache: bool = False) -> BuildOptions:
    ca_path = cfg["ca_bundle"]
    network = cfg["build_network"]
    return BuildOptions(
        spec=env_spec(cfg),
        ca=detect_ca_bundle(Path(ca_path) if ca_path else None),
        network=None if network in ("", "default") else network,
        rebuild=rebuild,
        no_cache=no_cache,
    )
