"""`dlbox verify`: run notebooks inside the environment container and report on every cell.

The host writes a plan, starts one container (the image's own python runs
container/run_notebooks.py, bind-mounted read-only), streams its JSON progress events to the
caller, and reads back report.json and the executed notebooks from a writable output folder.
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

from dlbox import paths, process
from dlbox.engines.base import ContainerSpec, Engine, Mount
from dlbox.errors import DlboxError, UsageError
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
            raise UsageError(f"{given} is not a notebook (.ipynb).",
                             "Pass the path of an .ipynb file.")
        name = _unique(path.stem, taken)
        if path.parent == lessons:
            jobs.append(Job(name, path, f"{LESSONS_MOUNT}/{path.name}", f"{OUT_MOUNT}/work"))
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


def runner_plan(jobs: list[Job], options: VerifyOptions) -> dict[str, Any]:
    seed = None
    if options.profile == "smoke":
        seed = {"script": f"{RUNNER_DIR}/seed_smoke.py", "args": ["/data"], "timeout": 600}
    return {
        "out": OUT_MOUNT,
        "timeout": options.cell_timeout,
        "require_gpu": options.require_gpu,
        "kernel": "python3",
        "seed": seed,
        "notebooks": [{"name": j.name, "path": j.container_path, "cwd": j.cwd} for j in jobs],
    }


def profile_env(profile: str) -> list[tuple[str, str]]:
    env = list(PROFILE_ENV[profile])
    if profile == "smoke":
        # Stand-in weights live in the scratch data folder, never in the user's torch cache;
        # the guard makes any download fail at once with a reason instead of hanging.
        env += [("TORCH_HOME", "/data/torch"), ("PYTHONPATH", f"{RUNNER_DIR}/guard")]
    return env


def _environment_spec(options: VerifyOptions, *, name: str, command: tuple[str, ...],
                      code_dir: Path, data_dir: Path, extra_mounts: list[Mount],
                      extra_env: list[tuple[str, str]]) -> ContainerSpec:
    """The environment container as `up` runs it (user, shm, /code, /data, GPUs), run to completion.

    Kept in one place so it can be swapped for the launcher's common environment spec.
    """
    user = invoking_user()
    return ContainerSpec(
        name=name,
        image=options.image,
        command=command,
        mounts=(Mount(code_dir, "/code"), Mount(data_dir, "/data"), *extra_mounts),
        env=(("DLBOX_CODE_DIR", "/code"), ("DLBOX_DATA_DIR", "/data"), *extra_env),
        labels=(("io.dlbox.kind", "verify"),),
        user=user.spec,
        workdir="/code",
        shm_size_bytes=options.shm_bytes or auto_shm_bytes(),
        gpu=options.gpu,
        init=True,
        detach=False,
        remove=True,
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
            raise UsageError(f"Cannot create {folder}: {exc.strerror}.",
                             "Pick a folder you can write.") from exc
    return out.resolve(), data.resolve(), code.resolve()


def build_spec(options: VerifyOptions) -> tuple[ContainerSpec, list[Job], Path]:
    """Everything decided before the container starts (also what unit tests check)."""
    if options.profile not in PROFILES:
        raise UsageError(f"Unknown profile {options.profile!r}.",
                         f"Use one of: {', '.join(PROFILES)}.")
    out, data, code = _folders(options)
    jobs, nb_mounts = plan_jobs(options.notebooks or tuple(shipped_lessons()), code)
    (out / "plan.json").write_text(json.dumps(runner_plan(jobs, options), indent=2))
    mounts = [
        Mount(CONTAINER_DIR.resolve(), RUNNER_DIR, read_only=True),
        Mount(LESSONS_DIR.resolve(), LESSONS_MOUNT, read_only=True),
        Mount(out, OUT_MOUNT),
        *nb_mounts,
    ]
    name = f"dlbox-verify-{os.getpid()}-{int(time.time())}"
    command = ("python", f"{RUNNER_DIR}/run_notebooks.py", f"{OUT_MOUNT}/plan.json")
    spec = _environment_spec(options, name=name, command=command, code_dir=code, data_dir=data,
                             extra_mounts=mounts, extra_env=profile_env(options.profile))
    return spec, jobs, out


def read_report(out: Path, jobs: list[Job], options: VerifyOptions, seconds: float,
                log_path: Path, returncode: int, log_tail: list[str]) -> VerifyResult:
    report_file = out / "report.json"
    if not report_file.exists():
        tail = "\n".join(log_tail[-15:])
        raise DlboxError(
            f"The verify container exited with code {returncode} before writing a report."
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
        ok=ok, profile=options.profile, image=options.image, notebooks=tuple(results),
        seconds=seconds, out_dir=out, device=dict(data.get("device") or {}),
        uid=data.get("uid"), error=str(error) if error else None, log_path=log_path,
    )


def run_verify(engine: Engine, options: VerifyOptions,
               on_event: OnEvent | None = None) -> VerifyResult:
    """Run the notebooks in one environment container; progress events go to on_event."""
    spec, jobs, out = build_spec(options)
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
        returncode = process.stream(engine.run_argv(spec), on_line=on_line, log_path=log_path,
                                    timeout=timeout)
    except BaseException:  # timeout or Ctrl-C: the killed client leaves the container running
        engine.remove(spec.name)
        raise
    finally:
        if not options.keep_work:
            shutil.rmtree(out / "work", ignore_errors=True)
    return read_report(out, jobs, options, time.monotonic() - start, log_path, returncode,
                       log_tail)


def _code_cells(path: Path) -> int:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path} is not a readable notebook: {exc}.",
                         "Open it in Jupyter and save it again.") from exc
    return sum(1 for cell in nb.get("cells", []) if cell.get("cell_type") == "code")
