"""The environment a session starts from: the image (container engines) or the venv (the local
engine), made from the settings when it is missing."""

from __future__ import annotations

from dlbox.config import Settings
from dlbox.engines.base import Engine, ProvidesEnvironment
from dlbox.errors import UsageError
from dlbox.extend.project_image import build_options
from dlbox.image.build import BuildOptions, BuildResult, ensure_environment
from dlbox.usecases.reporting import SILENT, Reporter


def ensure_environment_for(
    engine: Engine, cfg: Settings | BuildOptions, reporter: Reporter = SILENT
) -> BuildResult:
    """The image or venv the settings (or build options made from them) describe, built only
    when missing (or when the options say rebuild)."""
    what = (
        "local environment (venv)"
        if isinstance(engine, ProvidesEnvironment)
        else "environment image"
    )
    options = cfg if isinstance(cfg, BuildOptions) else build_options(cfg)
    with reporter.building(what) as on_line:
        return ensure_environment(engine, options, on_line)


def existing_environment(engine: Engine, ref: str) -> str:
    """An image (or venv) the user named: it must be there already."""
    if not engine.image_exists(ref):
        raise UsageError(
            f"The environment {ref} is not present in the {engine.name} engine.",
            "Make it with `dlbox build` (or `dlbox up`), or leave out --image.",
        )
    return ref
