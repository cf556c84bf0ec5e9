"""Execute notebooks headlessly inside the environment and report on every cell.

Runs under the environment's own python (the image's venv), so it uses only the standard library
plus nbclient and nbformat, which the environment has. dlbox bind-mounts this file read-only and
runs `python run_notebooks.py PLAN.json`. The plan (written by the host) says:

    {"out": DIR, "timeout": SECONDS, "require_gpu": bool, "kernel": "python3",
     "seed": {"script": PATH, "args": [...]} | null,
     "notebooks": [{"name": N, "path": P, "cwd": D}, ...]}

Progress goes to stdout as one JSON object per line (key "event"). Results go to OUT:
`<name>.ipynb` (the executed notebook, also when a cell failed) and `report.json`.
Lines that print `DLBOX_FACTS {json}` in a notebook's output are collected into its report.
Exit code: 0 if every notebook passed, 1 if one failed, 2 if the run itself could not start.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

FACTS_PREFIX = "DLBOX_FACTS "
SOURCE_LIMIT = 4000
TRACEBACK_LIMIT = 8000
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_PROBE = (
    "import json, torch\n"
    "ok = torch.cuda.is_available()\n"
    "p = torch.cuda.get_device_properties(0) if ok else None\n"
    "print(json.dumps({'torch': torch.__version__, 'cuda': ok,"
    " 'cuda_runtime': torch.version.cuda,"
    " 'device': torch.cuda.get_device_name(0) if ok else 'cpu',"
    " 'memory_mib': p.total_memory // 2**20 if p else None,"
    " 'capability': f'{p.major}.{p.minor}' if p else None,"
    " 'device_count': torch.cuda.device_count() if ok else 0}))\n"
)


def emit(event: str, **data: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, "t": round(time.time(), 3), **data}) + "\n")
    sys.stdout.flush()


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def probe_device(timeout: float = 180.0) -> dict[str, Any]:
    """What torch sees in this environment (a separate process: the runner never imports torch)."""
    try:
        done = subprocess.run(  # noqa: S603 - argv list, no shell
            [sys.executable, "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"error": f"device probe failed: {exc}"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": "device probe failed: " + strip_ansi(done.stderr.strip()[-500:])}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def run_seed(seed: dict[str, Any]) -> dict[str, Any]:
    argv = [sys.executable, seed["script"], *seed.get("args", [])]
    start = time.monotonic()
    done = subprocess.run(  # noqa: S603
        argv,
        capture_output=True,
        text=True,
        check=False,
        timeout=float(seed.get("timeout", 600)),
    )
    info: dict[str, Any] = {"seconds": round(time.monotonic() - start, 2), "rc": done.returncode}
    if done.returncode != 0:
        info["error"] = strip_ansi((done.stderr or done.stdout).strip()[-TRACEBACK_LIMIT:])
    else:
        lines = done.stdout.strip().splitlines()
        info.update(json.loads(lines[-1]) if lines else {})
    return info


def collect_facts(nb: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") != "stream":
                continue
            for line in str(output.get("text", "")).splitlines():
                if line.startswith(FACTS_PREFIX):
                    try:
                        facts.update(json.loads(line[len(FACTS_PREFIX) :]))
                    except ValueError:
                        pass
    return facts


def error_from_outputs(cell: Any) -> tuple[str, str, str]:
    """(ename, evalue, traceback) of the error output a failed cell left, if any."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            trace = strip_ansi("\n".join(output.get("traceback", [])))
            return output.get("ename", ""), output.get("evalue", ""), trace
    return "", "", ""


class Tracker:
    """nbclient hooks: time each cell from its execute request to its reply."""

    def __init__(self, name: str):
        self.name = name
        self.cells: list[dict[str, Any]] = []
        self.current: int | None = None
        self.started = 0.0

    def on_execute(self, cell: Any, cell_index: int, **_: Any) -> None:
        self.current = cell_index
        self.started = time.monotonic()
        first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
        emit("cell_start", notebook=self.name, index=cell_index, source=first[:120])

    def on_executed(self, cell: Any, cell_index: int, execute_reply: Any = None, **_: Any) -> None:
        status = "ok"
        if execute_reply and execute_reply.get("content", {}).get("status") == "error":
            status = "error"
        self.finish(cell_index, status)

    def finish(self, index: int, status: str) -> float:
        seconds = round(time.monotonic() - self.started, 3)
        if self.cells and self.cells[-1]["index"] == index:
            return seconds  # already recorded (error hook, then the exception)
        self.cells.append({"index": index, "seconds": seconds, "status": status})
        emit("cell_end", notebook=self.name, index=index, seconds=seconds, status=status)
        self.current = None
        return seconds


def run_notebook(job: dict[str, Any], plan: dict[str, Any], out: Path) -> dict[str, Any]:
    nbformat = importlib.import_module("nbformat")
    nbclient = importlib.import_module("nbclient")
    exceptions = importlib.import_module("nbclient.exceptions")
    name = job["name"]
    report: dict[str, Any] = {
        "name": name,
        "path": job["path"],
        "status": "passed",
        "cells": [],
        "failing_cell": None,
        "facts": {},
    }
    nb = nbformat.read(job["path"], as_version=4)
    code_cells = sum(1 for c in nb.cells if c.cell_type == "code")
    report["code_cells"] = code_cells
    tracker = Tracker(name)
    emit("notebook_start", notebook=name, cells=code_cells, path=job["path"])
    start = time.monotonic()
    client = nbclient.NotebookClient(
        nb,
        timeout=plan["timeout"],
        kernel_name=plan.get("kernel", "python3"),
        resources={"metadata": {"path": job["cwd"]}},
        record_timing=True,
        on_cell_execute=tracker.on_execute,
        on_cell_executed=tracker.on_executed,
    )
    failure: dict[str, Any] | None = None
    try:
        client.execute()
    except exceptions.CellTimeoutError as exc:
        failure = {
            "kind": "timeout",
            "ename": "CellTimeoutError",
            "evalue": str(exc).strip(),
            "traceback": f"the cell ran past the {plan['timeout']} s per-cell timeout",
        }
    except exceptions.CellExecutionError as exc:
        failure = {
            "kind": "error",
            "ename": getattr(exc, "ename", ""),
            "evalue": getattr(exc, "evalue", ""),
            "traceback": "",
        }
    except exceptions.DeadKernelError as exc:
        failure = {
            "kind": "error",
            "ename": "DeadKernelError",
            "evalue": str(exc).strip(),
            "traceback": "the kernel died (out of memory, or a crash in native code)",
        }
    except Exception as exc:  # the kernel would not start, a bad notebook, ...
        failure = {
            "kind": "error",
            "ename": type(exc).__name__,
            "evalue": str(exc).strip(),
            "traceback": strip_ansi(str(exc))[-TRACEBACK_LIMIT:],
        }
    if failure is not None:
        index = tracker.current  # None once the error hook recorded the failed cell
        if index is None and tracker.cells and tracker.cells[-1]["status"] != "ok":
            index = tracker.cells[-1]["index"]
        report["status"] = "timeout" if failure["kind"] == "timeout" else "failed"
        if index is not None:
            tracker.finish(index, failure["kind"])
            cell = nb.cells[index]
            ename, evalue, trace = error_from_outputs(cell)
            failure.update(
                {k: v for k, v in (("ename", ename), ("evalue", evalue), ("traceback", trace)) if v}
            )
            failure["index"] = index
            failure["code_index"] = sum(1 for c in nb.cells[:index] if c.cell_type == "code")
            failure["source"] = cell.source[:SOURCE_LIMIT]
        failure["traceback"] = failure["traceback"][-TRACEBACK_LIMIT:]
        failure.pop("kind")
        report["failing_cell"] = failure
    report["cells"] = tracker.cells
    report["seconds"] = round(time.monotonic() - start, 2)
    report["facts"] = collect_facts(nb)
    executed = out / f"{name}.ipynb"
    nbformat.write(nb, str(executed))
    report["executed"] = str(executed)
    emit(
        "notebook_end",
        notebook=name,
        status=report["status"],
        seconds=report["seconds"],
        failing_cell=(report["failing_cell"] or {}).get("index"),
    )
    return report


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: run_notebooks.py PLAN.json\n")
        return 2
    plan: dict[str, Any] = json.loads(Path(argv[0]).read_text())
    out = Path(plan["out"])
    out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "ok": False,
        "notebooks": [],
        "seed": None,
        "device": None,
        "uid": os.getuid(),
        "gid": os.getgid(),
        "error": None,
    }
    emit("run_start", notebooks=len(plan["notebooks"]), uid=os.getuid())
    device = probe_device()
    report["device"] = device
    emit("device", **device)
    if plan.get("require_gpu") and not device.get("cuda"):
        why = device.get("error") or f"torch {device.get('torch')} has no CUDA device"
        report["error"] = f"GPUs were requested but torch sees none: {why}"
    elif plan.get("seed"):
        emit("seed_start", script=plan["seed"]["script"])
        seed = run_seed(plan["seed"])
        report["seed"] = seed
        emit("seed_end", **seed)
        if seed["rc"] != 0:
            report["error"] = "seeding the smoke data failed:\n" + seed.get("error", "")
    if report["error"] is None:
        for job in plan["notebooks"]:
            Path(job["cwd"]).mkdir(parents=True, exist_ok=True)
            report["notebooks"].append(run_notebook(job, plan, out))
        report["ok"] = all(nb["status"] == "passed" for nb in report["notebooks"])
    (out / "report.json").write_text(json.dumps(report, indent=2))
    emit("run_end", ok=report["ok"], error=report["error"])
    if report["error"] is not None:
        return 2
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
