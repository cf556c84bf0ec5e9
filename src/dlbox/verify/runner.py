"""`dlbox verify`: run notebooks inside the environment and report on every cell.

The host writes a plan, starts the environment once (the environment's own python runs
container/run_notebooks.py, mounted read-only), streams its JSON progress events to the caller,
and reads back report.json and the executed notebooks from a writable output folder.

Paths are decided as container paths (/code, /data, the mounts below); the plan holds them as the
engine's processes see them (`Engine.environment_path`: unchanged in a container, the host folders
for the local engine), so the same runner works with or without a container.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlbox import paths
from dlbox.engines.base import ContainerSpec, Engine, Mount
from dlbox.engines.gpus import GpuDecision
from dlbox.errors import DlboxError, UsageError
from dlbox.launch.environment import EnvPlan, environment_container, labels_for
from dlbox.launch.options import EnvOptions
from dlbox.launch.shm import auto_shm_bytes
from dlbox.launch.user import invoking_user
from dlbox.verify.model import (
    CONTAINER_DIR,
    LESSONS_DIR,
    PROFILE_ENV,
    PROFILES,
    NotebookResult,
    VerifyOptions,
    VerifyResult,
    notebook_result,
    parse_event,
    shipped_lessons,
)

RUNNER_DIR = "/opt/dlbox-verify"  # container/ (runner, seed script, offline guard), read-only
LESSONS_MOUNT = "/opt/dlbox-lessons"  # the shipped lessons, read-only
OUT_MOUNT = "/dlbox-verify/out"  # output folder, writable
NOTEBOOK_MOUNT = "/dlbox-verify/nb"  # parent folders of notebooks outside the code folder
WORK_DIR = f"{OUT_MOUNT}/work"  # scratch: shipped lessons run here; removed unless keep_work
SCRATCH_HOME = ".home"  # under the work folder: HOME (fastai config, caches), never the user's
OFFLINE_NOTE = (
    "smoke profile: an offline guard in every python process refuses name lookups and "
    "connections beyond loopback, so a missed download fails at once"
)
STARTUP_ALLOWANCE = 600.0  # container start, device probe, seeding, kernel starts

OnEvent = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Job:
    name: str
    host_path: Path
    container_path: str
    cwd: str


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    taken.add(candidate)
    return candidate


def plan_jobs(notebooks: tuple[Path, ...], code_dir: Path) -> tuple[list[Job], list[Mount]]:
    """Where each notebook appears in the container, and the folder it runs in.

    Shipped lessons run in a scratch folder under the output folder; a notebook inside the code
    folder runs in place under /code; any other notebook's folder is mounted and it runs there.
    """
    jobs: list[Job] = []
    mounts: list[Mount] = []
    parents: dict[Path, str] = {}
    taken: set[str] = set()
    lessons = LESSONS_DIR.resolve()
    code = code_dir.resolve()
    for given in notebooks:
        path = given.expanduser().resolve()
        if not path.is_file():
            raise UsageError(f"No notebook at {given}.", "Pass the path of an .ipynb file.")
        if path.suffix != ".ipynb":
            raise UsageError(
                f"{given} is not a notebook (.ipynb).", "Pass the path of an .ipynb file."
            )
        name = _unique(path.stem, taken)
        if path.parent == lessons:
            jobs.append(Job(name, path, f"{LESSONS_MOUNT}/{path.name}", WORK_DIR))
            continue
        if path.is_relative_to(code):
            inside = "/code/" + path.relative_to(code).as_posix()
            jobs.append(Job(name, path, inside, inside.rsplit("/", 1)[0]))
            continue
        if path.parent not in parents:
            parents[path.parent] = f"{NOTEBOOK_MOUNT}{len(parents)}"
            mounts.append(Mount(path.parent, parents[path.parent]))
        folder = parents[path.parent]
        jobs.append(Job(name, path, f"{folder}/{path.name}", folder))
    return jobs, mounts


def runner_plan(
    jobs: list[Job], options: VerifyOptions, where: Callable[[str], str] = lambda path: path
) -> dict[str, Any]:
    """The runner's plan; `where` turns container paths into the paths its processes see."""
    seed = None
    if options.profile == "smoke":
        seed = {
            "script": where(f"{RUNNER_DIR}/seed_smoke.py"),
            "args": [where("/data")],
            "timeout": 600,
        }
    return {
        "out": where(OUT_MOUNT),
        "timeout": options.cell_timeout,
        "require_gpu": options.require_gpu,
        "kernel": "python3",
        "seed": seed,
        "notebooks": [
            {"name": j.name, "path": where(j.container_path), "cwd": where(j.cwd)} for j in jobs
        ],
    }


def profile_env(profile: str) -> list[tuple[str, str]]:
    env = list(PROFILE_ENV[profile])
    if profile == "smoke":
        # Stand-in weights live in the scratch data folder, never in the user's torch cache;
        # the guard makes any download fail at once with a reason instead of hanging.
        env += [("TORCH_HOME", "/data/torch"), ("PYTHONPATH", f"{RUNNER_DIR}/guard")]
    return env


def _environment_spec(
    options: VerifyOptions,
    *,
    name: str,
    command: tuple[str, ...],
    code_dir: Path,
    data_dir: Path,
    home_dir: Path,
    extra_mounts: list[Mount],
    extra_env: list[tuple[str, str]],
) -> ContainerSpec:
    """The environment exactly as `up` runs it (launch.environment: user, shm or --ipc host,
    /code, /data, GPUs and CUDA_VISIBLE_DEVICES, owner label), run to completion.

    The home and the course folder (where the data link goes) are scratch folders under the work
    folder, so a verify run never rewrites the user's fastai config or links smoke data into the
    code folder; the smoke profile runs with no network.
    """
    env_options = EnvOptions(
        code_dir=code_dir,
        data_dir=data_dir,
        shm_bytes=None if options.ipc_host else (options.shm_bytes or auto_shm_bytes()),
        ipc_host=options.ipc_host,
    )
    decision = GpuDecision(options.gpu, options.gpus, "from dlbox verify's options")
    plan = EnvPlan(env_options, invoking_user(), decision, home_dir)
    return environment_container(
        plan,
        options.image,
        name=name,
        command=command,
        extra_mounts=extra_mounts,
        extra_env=extra_env,
        labels=labels_for("verify", plan),
        detach=False,
        remove=True,
        workdir=WORK_DIR,
        network="none" if options.profile == "smoke" else None,
    )


def _folders(options: VerifyOptions) -> tuple[Path, Path, Path]:
    root = paths.state_dir() / "verify"
    out = options.out_dir or root / time.strftime("%Y%m%d-%H%M%S")
    if options.data_dir is not None:
        data = options.data_dir
    elif options.profile == "smoke":
        data = root / "smoke-data"
    else:
        data = paths.default_data_dir()
    code = options.code_dir or paths.default_code_dir()
    for folder in (out, data, code):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(
                f"Cannot create {folder}: {exc.strerror}.", "Pick a folder you can write."
            ) from exc
    return out.resolve(), data.resolve(), code.resolve()


def build_spec(options: VerifyOptions, engine: Engine) -> tuple[ContainerSpec, list[Job], Path]:
    """Everything decided before the environment starts (also what unit tests check)."""
    if options.profile not in PROFILES:
        raise UsageError(
            f"Unknown profile {options.profile!r}.", f"Use one of: {', '.join(PROFILES)}."
        )
    out, data, code = _folders(options)
    jobs, nb_mounts = plan_jobs(options.notebooks or tuple(shipped_lessons()), code)
    home = out / "work" / SCRATCH_HOME
    home.mkdir(parents=True, exist_ok=True)  # made here, as the user (an engine would as root)
    mounts = [
        Mount(CONTAINER_DIR.resolve(), RUNNER_DIR, read_only=True),
        Mount(LESSONS_DIR.resolve(), LESSONS_MOUNT, read_only=True),
        Mount(out, OUT_MOUNT),
        *nb_mounts,
    ]
    name = f"dlbox-verify-{os.getpid()}-{int(time.time())}"
    command = ("python", f"{RUNNER_DIR}/run_notebooks.py", f"{OUT_MOUNT}/plan.json")
    spec = _environment_spec(
        options,
        name=name,
        command=command,
        code_dir=code,
        data_dir=data,
        home_dir=home,
        extra_mounts=mounts,
        extra_env=profile_env(options.profile),
    )
    plan = runner_plan(jobs, options, lambda path: engine.environment_path(path, spec))
    (out / "plan.json").write_text(json.dumps(plan, indent=2))
    return spec, jobs, out


def run_notes(engine: Engine, spec: ContainerSpec, options: VerifyOptions) -> tuple[str, ...]:
    """What the report should say about how the run was isolated."""
    notes = list(engine.limitations(spec))
    if options.profile == "smoke":
        notes.append(OFFLINE_NOTE)
    return tuple(notes)


def read_report(
    out: Path,
    jobs: list[Job],
    options: VerifyOptions,
    seconds: float,
    log_path: Path,
    returncode: int,
    log_tail: list[str],
    *,
    engine: str = "",
    notes: tuple[str, ...] = (),
) -> VerifyResult:
    report_file = out / "report.json"
    if not report_file.exists():
        tail = "\n".join(log_tail[-15:])
        raise DlboxError(
            f"The verify run exited with code {returncode} before writing a report."
            + (f"\nIt said:\n{tail}" if tail else ""),
            "Check that the image is a dlbox environment (`dlbox build`) and read the log.",
            log_path=log_path,
        )
    data: dict[str, Any] = json.loads(report_file.read_text())
    by_name = {job.name: job for job in jobs}
    results: list[NotebookResult] = []
    for item in data.get("notebooks", []):
        job = by_name.get(str(item.get("name")))
        results.append(notebook_result(item, job.host_path if job else None, out))
    done = {r.name for r in results}
    for job in jobs:  # notebooks that never ran (the run stopped before them)
        if job.name not in done:
            results.append(NotebookResult(job.name, job.host_path, "not run", 0, 0, 0.0, None))
    error = data.get("error")
    ok = bool(data.get("ok")) and returncode == 0 and all(r.passed for r in results)
    return VerifyResult(
        ok=ok,
        profile=options.profile,
        image=options.image,
        notebooks=tuple(results),
        seconds=seconds,
        out_dir=out,
        device=dict(data.get("device") or {}),
        uid=data.get("uid"),
        error=str(error) if error else None,
        log_path=log_path,
        engine=engine,
        notes=notes,
    )


def run_verify(
    engine: Engine, options: VerifyOptions, on_event: OnEvent | None = None
) -> VerifyResult:
    """Run the notebooks in one run of the environment; progress events go to on_event."""
    spec, jobs, out = build_spec(options, engine)
    log_path = out / "verify.log"
    log_tail: list[str] = []

    def on_line(line: str) -> None:
        event = parse_event(line)
        if event is None:
            log_tail.append(line)
            del log_tail[:-50]
        elif on_event is not None:
            on_event(event)

    cells = sum(_code_cells(job.host_path) for job in jobs)
    timeout = STARTUP_ALLOWANCE + options.cell_timeout * max(cells, 1)
    start = time.monotonic()
    try:
        returncode = engine.run_streaming(spec, on_line, log_path, timeout)
    except BaseException:  # timeout or Ctrl-C: a killed docker client leaves the container running
        engine.remove(spec.name)
        raise
    finally:
        if not options.keep_work:
            shutil.rmtree(out / "work", ignore_errors=True)
    return read_report(
        out,
        jobs,
        options,
        time.monotonic() - start,
        log_path,
        returncode,
        log_tail,
        engine=engine.name,
        notes=run_notes(engine, spec, options),
    )


def _code_cells(path: Path) -> int:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"{path} is not a readable notebook: {exc}.", "Open it in Jupyter and save it again."
        ) from exc
    return sum(1 for cell in nb.get("cells", []) if cell.get("cell_type") == "code")
