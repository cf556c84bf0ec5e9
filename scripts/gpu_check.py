#!/usr/bin/env python3
"""Run the shipped dogs-v-cats lesson in the full profile on a GPU machine, without Docker.

    python scripts/gpu_check.py [--data DIR] [--notebook PATH] [--timeout SECONDS]
    python scripts/gpu_check.py --bench [--steps N]          # the training-loop throughput
    python scripts/gpu_check.py --suite [--engine podman]    # everything, both CUDA lines

--suite (issue 15; needs dlbox, an engine, the network for the builds, and a GPU) does, for each
CUDA line the driver allows (13: >= 580; 12: >= 525.60.13): `dlbox build --cuda N`, this script
in the full profile inside the container (`dlbox run`), the same training loop timed in the
container and on the host (goal: container >= 0.98x host), and `dlbox verify` (smoke, on the
GPU). With --engine podman it first writes dlbox's own CDI spec (`dlbox gpu cdi --write`, as
root) and checks `dlbox up --gpus all` through it. It ends with a block for docs/benchmarks.md
(date, hardware, figures). Nothing here is ever faked: a step that cannot run says FAIL or SKIP.

For a machine that has a GPU and the Python libraries (torch, torchvision, fastai) but no container
engine and possibly no network. Full-profile parameters (224 px, batch 64, 8 workers, 100 lr_find
steps) on the GPU. Without --data it seeds a synthetic dogscats set (224 px images) and a stand-in
resnet34 checkpoint in a scratch folder, and blocks the network so a missed download fails at once.
Cells run in-process (magics dropped, matplotlib Agg), so Jupyter is not needed. Prints one line:

    GPU_CHECK PASS lesson1-dogscats device=NVIDIA H100 80GB HBM3 seconds=93.1 cells=35/35 ...

and exits 0 only if every cell passed on a CUDA device.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
import traceback
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONTAINER = ROOT / "src" / "dlbox" / "verify" / "container"
LESSON = ROOT / "src" / "dlbox" / "verify" / "lessons" / "lesson1-dogscats.ipynb"
FULL = {
    "DLBOX_PROFILE": "full",
    "DLBOX_L1_SZ": "224",
    "DLBOX_L1_BS": "64",
    "DLBOX_L1_EPOCHS": "1",
    "DLBOX_L1_WORKERS": "8",
    "DLBOX_L1_LR_FIND_IT": "100",
}


def _stub_fasthtml() -> None:
    """fastprogress imports fasthtml only for notebook HTML; stub it where it is not installed."""
    try:
        if os.environ.get("DLBOX_GPU_CHECK_STUB_FASTHTML") != "1":
            import fasthtml.common  # noqa: F401

            return
    except ImportError:
        pass
    for name in ("fasthtml", "fasthtml.common"):
        module = types.ModuleType(name)
        module.__all__ = []  # type: ignore[attr-defined]
        sys.modules[name] = module


def _code_cells(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        cells.append("\n".join(lines))
    return cells


def _prepare(scratch: Path, data: Path | None) -> None:
    sys.path.insert(0, str(CONTAINER))
    fastai_home = scratch / "fastai"
    fastai_home.mkdir(parents=True, exist_ok=True)
    data_root = scratch / "data"
    if data is None:
        from seed_smoke import seed  # type: ignore[import-not-found]

        print("seeding synthetic 224 px data and a stand-in resnet34 ...", file=sys.stderr)
        seed(data_root, per_class=64, px=256)
        os.environ["TORCH_HOME"] = str(data_root / "torch")
        guard = importlib.util.spec_from_file_location(
            "dlbox_guard", CONTAINER / "guard" / "sitecustomize.py"
        )
        assert guard is not None and guard.loader is not None
        guard.loader.exec_module(importlib.util.module_from_spec(guard))  # blocks the network
    else:
        data_root = data
    (fastai_home / "config.ini").write_text(
        f"[DEFAULT]\ndata = {data_root}\narchive = {data_root}/archive\n"
        f"storage = {data_root}/tmp\nmodel = {data_root}/models\n"
    )
    os.environ["FASTAI_HOME"] = str(fastai_home)


def run(notebook: Path, timeout: float) -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")
    _stub_fasthtml()
    cells = _code_cells(notebook)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    result: dict[str, Any] = {"cells": len(cells), "passed": 0, "failing": None, "slowest": []}
    times = []
    for index, source in enumerate(cells):
        start = time.monotonic()
        try:
            exec(compile(source, f"<cell {index}>", "exec"), namespace)
        except BaseException as exc:  # report which cell and why, then stop like nbclient does
            result["failing"] = {
                "code_index": index,
                "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc()[-3000:],
                "source": source[:300],
            }
            break
        seconds = time.monotonic() - start
        times.append((round(seconds, 2), index))
        if seconds > timeout:
            result["failing"] = {
                "code_index": index,
                "error": f"cell ran {seconds:.0f} s > {timeout:.0f} s timeout",
                "source": source[:300],
            }
            break
        result["passed"] += 1
    result["slowest"] = sorted(times, reverse=True)[:3]
    facts = namespace.get("facts")
    result["facts"] = facts if isinstance(facts, dict) else {}
    return result


def bench(steps: int = 60, batch: int = 64) -> dict[str, Any]:
    """images/s of a resnet34 training loop (synthetic 224 px batches, mixed precision) on
    cuda:0: the same loop runs on the host and in the container for the throughput ratio."""
    try:
        import torch
        import torchvision
    except ImportError as exc:
        return {"error": f"no torch/torchvision here: {exc}"}
    if not torch.cuda.is_available():
        return {"error": f"no CUDA device visible to torch {torch.__version__}"}
    device = torch.device("cuda:0")
    model = (
        torchvision.models.resnet34(num_classes=2).to(device).to(memory_format=torch.channels_last)
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, 3, 224, 224, device=device).to(memory_format=torch.channels_last)
    y = torch.randint(0, 2, (batch,), device=device)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.float16):
            loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(10):  # warm-up: cuDNN autotuning, allocator
        step()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    return {
        "images_per_s": round(steps * batch / seconds, 1),
        "steps": steps,
        "batch": batch,
        "device": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="folder holding dogscats/ (default: synthetic)")
    parser.add_argument("--notebook", type=Path, default=LESSON)
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds per cell")
    parser.add_argument("--allow-cpu", action="store_true", help="do not fail without a GPU")
    parser.add_argument("--bench", action="store_true", help="time the training loop; JSON line")
    parser.add_argument("--steps", type=int, default=60, help="--bench: timed steps")
    parser.add_argument("--suite", action="store_true", help="the whole GPU check (see above)")
    parser.add_argument("--engine", default="docker", help="--suite: docker or podman")
    args = parser.parse_args(argv)
    if args.suite:
        from gpu_suite import suite  # type: ignore[import-not-found]

        return int(suite(args.engine, args.steps))
    if args.bench:
        figures = bench(args.steps)
        print("GPU_BENCH " + json.dumps(figures))
        return 1 if "error" in figures else 0
    for key, value in FULL.items():
        os.environ.setdefault(key, value)
    start = time.monotonic()
    import torch

    cuda = torch.cuda.is_available()
    device = torch.cuda.get_device_name(0) if cuda else "cpu"
    if not cuda and not args.allow_cpu:
        print(f"GPU_CHECK FAIL no CUDA device visible to torch {torch.__version__}")
        return 1
    with tempfile.TemporaryDirectory(prefix="dlbox-gpu-check-") as tmp:
        _prepare(Path(tmp), args.data)
        os.chdir(tmp)
        result = run(args.notebook, args.timeout)
    seconds = time.monotonic() - start
    facts = result["facts"]
    on_gpu = str(facts.get("device", "")).startswith("cuda")
    ok = result["failing"] is None and (on_gpu or args.allow_cpu)
    line = (
        f"GPU_CHECK {'PASS' if ok else 'FAIL'} {args.notebook.stem} device={device} "
        f"dls_device={facts.get('device')} seconds={seconds:.1f} "
        f"cells={result['passed']}/{result['cells']} sz={facts.get('sz')} "
        f"bs={facts.get('bs')} workers={facts.get('num_workers')} "
        f"fastai={facts.get('fastai')} torch={torch.__version__} "
        f"slowest={result['slowest']}"
    )
    if result["failing"]:
        print(result["failing"].get("traceback", ""), file=sys.stderr)
        line += f" failing_cell={result['failing']['code_index']}: {result['failing']['error']}"
    print(line[:2000])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
