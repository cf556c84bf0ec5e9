"""`scripts/gpu_check.py --suite`: the whole GPU check of issue 15 on a machine with a GPU.

Every figure comes from a command run here; a step that cannot run is reported as SKIP or FAIL
with its reason, never filled in. The last lines are a Markdown block for docs/benchmarks.md.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHECK = "/code/scripts/gpu_check.py"  # the repository is mounted at /code (DLBOX_CODE_DIR)
MIN_DRIVER = {"13": (580,), "12": (525, 60, 13)}  # dlbox.gpu.lines, Linux column


def _run(argv: list[str], timeout: float = 3600) -> tuple[int, str, str, float]:
    start = time.monotonic()
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 124, "", str(exc), time.monotonic() - start
    return done.returncode, done.stdout, done.stderr, time.monotonic() - start


def _dlbox(*args: str, timeout: float = 3600) -> tuple[int, str, str, float]:
    return _run([sys.executable, "-m", "dlbox", *args], timeout)


def _json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _tagged(text: str, tag: str) -> str | None:
    for line in text.splitlines()[::-1]:
        if line.startswith(tag):
            return line[len(tag) :].strip()
    return None


def driver() -> tuple[str, list[str]]:
    rc, out, err, _ = _run(
        ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"], 60
    )
    if rc != 0 or not out.strip():
        return "", []
    rows = [r.rsplit(",", 2) for r in out.strip().splitlines()]
    return rows[0][2].strip(), [f"{r[0].strip()} ({r[1].strip()})" for r in rows]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


def suite(engine: str, steps: int) -> int:
    version, gpus = driver()
    report: list[str] = []
    failed = False

    def say(status: str, step: str, detail: str) -> None:
        nonlocal failed
        failed = failed or status == "FAIL"
        line = f"{status:4} {step}: {detail}"
        report.append(line)
        print(line, flush=True)

    if not version:
        say("FAIL", "driver", "nvidia-smi lists no GPU: this suite needs an NVIDIA GPU")
        return 1
    say("OK", "driver", f"{version}; {', '.join(gpus)}")
    lines = [n for n, need in MIN_DRIVER.items() if _version(version) >= need]
    skipped = sorted(set(MIN_DRIVER) - set(lines))
    for name in skipped:
        say("SKIP", f"CUDA {name} line", f"driver {version} is below its minimum")
    os.environ["DLBOX_CODE_DIR"] = str(ROOT)

    rc, out, err, _ = _run([sys.executable, str(ROOT / "scripts" / "gpu_check.py"), "--bench",
                            "--steps", str(steps)], 1800)  # fmt: skip
    host = _json(_tagged(out, "GPU_BENCH") or "")
    if host.get("images_per_s"):
        say("OK", "host loop", json.dumps(host))
    else:
        say("SKIP", "host loop", host.get("error") or (err.strip()[-300:] or "no torch on host"))

    if engine == "podman":
        if os.geteuid() == 0:
            rc, out, err, _ = _dlbox("gpu", "cdi", "--write", "--json", timeout=120)
            cdi = _json(out)
            ok = rc == 0 and cdi.get("written")
            say("OK" if ok else "FAIL", "dlbox gpu cdi --write", cdi.get("path") or err[-300:])
        else:
            say("SKIP", "dlbox gpu cdi --write", "run the suite as root to write /etc/cdi")

    for name in lines:
        common = ["--cuda", name, "--engine", engine]
        rc, out, err, secs = _dlbox("build", *common, "--json")
        built = _json(out)
        say("OK" if rc == 0 else "FAIL", f"CUDA {name} build", f"{built.get('tag')} {secs:.0f} s"
            if rc == 0 else err.strip()[-400:])  # fmt: skip
        if rc != 0:
            continue
        rc, out, err, secs = _dlbox("run", *common, "--gpus", "all", "--", "python", CHECK)
        said = _tagged(out, "GPU_CHECK") or err.strip()[-400:]
        say("OK" if rc == 0 else "FAIL", f"CUDA {name} lesson 1 full profile in the container",
            f"{said} ({secs:.0f} s)")  # fmt: skip
        rc, out, err, _ = _dlbox(
            "run", *common, "--gpus", "all", "--", "python", CHECK, "--bench", "--steps", str(steps)
        )
        box = _json(_tagged(out, "GPU_BENCH") or "")
        if box.get("images_per_s") and host.get("images_per_s"):
            ratio = box["images_per_s"] / host["images_per_s"]
            same = box.get("torch") == host.get("torch")
            note = "" if same else f" (host torch {host.get('torch')} differs: compare with care)"
            say("OK" if ratio >= 0.98 or not same else "FAIL", f"CUDA {name} throughput",
                f"container {box['images_per_s']} vs host {host['images_per_s']} images/s = "
                f"{ratio:.3f}x (goal >= 0.98x){note}")  # fmt: skip
        else:
            say("FAIL" if not box else "SKIP", f"CUDA {name} throughput",
                box.get("error") or err.strip()[-300:] or "no host figure")  # fmt: skip
        rc, out, err, secs = _dlbox("verify", *common, "--json")
        result = _json(out)
        device = result.get("device") or {}
        say("OK" if rc == 0 and device.get("cuda") else "FAIL", f"CUDA {name} dlbox verify",
            f"{device.get('device')} {device.get('memory_mib')} MiB CUDA "
            f"{device.get('cuda_runtime')} ({secs:.0f} s)")  # fmt: skip
        if engine == "podman":
            rc, out, err, _ = _dlbox(
                "up", *common, "--gpus", "all", "--json", "--no-data", timeout=900
            )
            up = _json(out)
            seen = (up.get("plan") or {}).get("gpus") if isinstance(up.get("plan"), dict) else None
            say("OK" if rc == 0 else "FAIL", f"CUDA {name} up --gpus all (podman, CDI)",
                json.dumps(seen or up.get("sessions") or err.strip()[-300:])[:400])  # fmt: skip
            _dlbox("stop", "--engine", engine, timeout=300)

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"\n### GPU check ({stamp}, {platform.node()})\n")
    print(f"- hardware: {', '.join(gpus)}; driver {version}; engine {engine}")
    for line in report:
        print(f"- {line}")
    return 1 if failed else 0
