"""`dlbox verify`: run notebooks cell by cell inside the environment and report what passed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dlbox.config import Settings
from dlbox.engines.base import Engine, GpuRequest
from dlbox.errors import UsageError
from dlbox.gpu.choice import cuda_choice
from dlbox.gpu.lines import LineChoice
from dlbox.launch.environment import plan_environment
from dlbox.launch.options import env_options
from dlbox.usecases.engines import environment_engine
from dlbox.usecases.environment import ensure_environment_for, existing_environment
from dlbox.usecases.reporting import SILENT, Reporter
from dlbox.verify import VerifyOptions, VerifyResult, run_verify
from dlbox.verify.model import DEFAULT_CELL_TIMEOUT, PROFILES


@dataclass(frozen=True)
class VerifyRequest:
    notebooks: tuple[Path, ...] = ()  # () means the shipped lesson notebooks
    profile: str = "smoke"  # smoke: offline, CPU, synthetic data; full: as configured
    cell_timeout: float = DEFAULT_CELL_TIMEOUT
    image: str | None = None  # None: the one `dlbox build` / `dlbox up` makes (made if missing)


@dataclass(frozen=True)
class VerifyOutcome:
    result: VerifyResult
    on_gpu: bool  # the notebooks were given a GPU
    cuda: LineChoice | None  # the CUDA line of the environment dlbox made (None: --image)

    def to_dict(self) -> dict[str, object]:
        return {**self.result.to_dict(), "cuda": self.cuda.to_dict() if self.cuda else None}


def verify(cfg: Settings, request: VerifyRequest, reporter: Reporter = SILENT) -> VerifyOutcome:
    if request.profile not in PROFILES:
        raise UsageError(
            f"Unknown profile {request.profile!r}.", f"Use one of: {', '.join(PROFILES)}."
        )
    if request.cell_timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds.")
    engine, _choice = environment_engine(cfg)
    if request.image:
        image = existing_environment(engine, request.image)
    else:
        image = ensure_environment_for(engine, cfg, reporter).tag
    options = verify_options(engine, cfg, image, request)
    with reporter.running_notebooks() as on_event:
        result = run_verify(engine, options, on_event)
    cuda = cuda_choice(cfg) if request.image is None else None
    return VerifyOutcome(result, options.require_gpu, cuda)


def verify_options(
    engine: Engine, cfg: Settings, image: str, request: VerifyRequest
) -> VerifyOptions:
    base = VerifyOptions(
        notebooks=request.notebooks,
        image=image,
        profile=request.profile,
        cell_timeout=request.cell_timeout,
    )
    if request.profile == "smoke":
        # Offline, synthetic data in a scratch folder; on the GPU when the probe finds one (the
        # proof that the install works there), else on the CPU.
        smoke = plan_environment(engine, image, env_options(cfg), create_folders=False)
        found = smoke.gpu if smoke.gpu.request.enabled else None
        return VerifyOptions(
            notebooks=base.notebooks,
            image=image,
            profile=base.profile,
            cell_timeout=base.cell_timeout,
            gpu=found.request if found else GpuRequest(),
            gpus=found.gpus if found else (),
            shm_bytes=smoke.options.shm_bytes if found else None,
            ipc_host=smoke.options.ipc_host if found else False,
        )
    plan = plan_environment(engine, image, env_options(cfg))
    return VerifyOptions(
        notebooks=base.notebooks,
        image=image,
        profile=base.profile,
        cell_timeout=base.cell_timeout,
        code_dir=plan.options.code_dir,
        data_dir=plan.options.data_dir,
        gpu=plan.gpu.request,
        gpus=plan.gpu.gpus,
        shm_bytes=plan.options.shm_bytes,
        ipc_host=plan.options.ipc_host,
    )
