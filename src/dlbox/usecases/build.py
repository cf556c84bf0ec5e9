"""`dlbox build`: the environment image for the settings and the project's extras, built only
when missing (or asked to), then pushed if asked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dlbox.config import Settings
from dlbox.extend.project_extras import lock_state
from dlbox.extend.project_image import build_options
from dlbox.extend.push import check_ref, push_image
from dlbox.gpu.choice import cuda_choice
from dlbox.gpu.lines import LineChoice
from dlbox.image.build import BuildResult
from dlbox.image.relock import LockResult, lock_environment
from dlbox.usecases.engines import container_engine
from dlbox.usecases.environment import ensure_environment_for
from dlbox.usecases.reporting import SILENT, Reporter


@dataclass(frozen=True)
class ImageRequest:
    rebuild: bool = False  # build even if the image exists
    no_cache: bool = False  # ignore the engine's layer cache
    push: str | None = None  # then tag the image as this reference and push it


@dataclass(frozen=True)
class BuildOutcome:
    result: BuildResult
    cuda: LineChoice
    pushed: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {**self.result.to_dict(), "cuda": self.cuda.to_dict(), "pushed": self.pushed}


def build_image(cfg: Settings, request: ImageRequest, reporter: Reporter = SILENT) -> BuildOutcome:
    cuda = cuda_choice(cfg)  # the CUDA line (locked environment) for this machine's driver
    if request.push:
        check_ref(request.push)  # a bad reference fails now, not after a long build
    if note := lock_state(cfg):
        reporter.warn(note)
    options = build_options(cfg, rebuild=request.rebuild, no_cache=request.no_cache, line=cuda)
    engine = container_engine(cfg).container
    assert engine is not None
    result = ensure_environment_for(engine, options, reporter)
    pushed = push_image(engine, result.tag, request.push).ref if request.push else None
    return BuildOutcome(result, cuda, pushed)


def relock(out: Path | None = None) -> LockResult:
    """`dlbox lock`: re-resolve both CUDA lines' lock files with uv, into dlbox's source tree
    (or `out`); never into an installed package."""
    return lock_environment(out)
