"""`dlbox up` to a 200 from /api/status (warm image) vs `docker run` of the same image started bare,
and of the naive image, with JupyterLab, polled the same way."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bench.harness import Bench, Row

ROUNDS = 3
TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def status(port: int, token: str) -> int:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/status", headers={"Authorization": f"token {token}"}
    )
    try:
        with urllib.request.urlopen(req, timeout=2) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (OSError, urllib.error.URLError):
        return 0


def wait_ready(port: int, token: str, start: float) -> float:
    while time.perf_counter() - start < TIMEOUT:
        if status(port, token) == 200:
            return time.perf_counter() - start
        time.sleep(0.05)
    raise SystemExit(f"bench: nothing answered on port {port} within {TIMEOUT:.0f} s")


def _dlbox(argv: list[str], project: Path, env: dict[str, str], timeout: float) -> str:
    """`dlbox ARGV` in PROJECT: its stdout; a failure ends the bench with dlbox's error."""
    done = subprocess.run(
        [sys.executable, "-m", "dlbox", *argv],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench: dlbox {argv[0]} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def dlbox_up(project: Path, env: dict[str, str]) -> tuple[float, float]:
    """(seconds from the command to an answering URL, of which JupyterLab's own start)."""
    port = free_port()
    start = time.perf_counter()
    argv = ["up", "--json", "--port", str(port), "--no-data", "--code-dir", str(project)]
    out = _dlbox([*argv, "--name", "dlbox-bench-up"], project, env, 600)
    session = json.loads(out)["sessions"][0]
    token = urllib.parse.parse_qs(urllib.parse.urlparse(session["url"]).query)["token"][0]
    seconds = wait_ready(int(session["port"]), token, start)
    jupyter = float(session.get("ready_seconds") or 0.0)
    subprocess.run(
        [sys.executable, "-m", "dlbox", "stop", "dlbox-bench-up"],
        cwd=project,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    return seconds, jupyter


def dlbox_image(env: dict[str, str]) -> str:
    """The environment image `dlbox up` uses here (built when missing), for a bare-run baseline
    when the cold entry did not build the naive image."""
    project = Path(tempfile.mkdtemp(prefix="dlbox-bench-image-"))
    return str(json.loads(_dlbox(["build", "--json"], project, env, 3600))["tag"])


def naive_run(bench: Bench, image: str) -> float:
    """`docker run` of IMAGE with JupyterLab and the same readiness poll. For dlbox's own image
    its start script is bypassed (`--entrypoint jupyter`): a bare start of the same files."""
    port, token, name = free_port(), "dlbox-bench-token", f"dlbox-bench-naive-{bench.nonce}"
    start = time.perf_counter()
    entry = (
        ["--entrypoint", "jupyter", image] if image.startswith("dlbox-env:") else [image, "jupyter"]
    )
    bench.docker(
        "run",
        "--detach",
        "--rm",
        "--name",
        name,
        "-p",
        f"127.0.0.1:{port}:8888",
        *entry,
        "lab",
        "--ip=0.0.0.0",
        "--allow-root",
        "--no-browser",
        f"--IdentityProvider.token={token}",
    )
    try:
        return wait_ready(port, token, start)
    finally:
        bench.docker("rm", "--force", name)


def up(bench: Bench, naive_image: str | None) -> None:
    """Against `docker run` of dlbox's own image with its start script bypassed (the same files,
    started bare) and, when the cold entry built it, of the naive image: one row each, measured
    in the same rounds, alternating, so both see the same machine load."""
    project = Path(tempfile.mkdtemp(prefix="dlbox-bench-up-"))
    # Bytecode as an installed dlbox has it: the warm-up writes it (PYTHONDONTWRITEBYTECODE, set
    # on some machines, would make every timed run compile dlbox: 0.4 s of 3.4 s here).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["COLUMNS"] = "200"
    # row label -> (what the baseline runs, its image)
    baselines = {
        "same image": ("dlbox's own image, started bare (`jupyter lab`)", dlbox_image(env))
    }
    if naive_image:
        baselines["naive image"] = ("the naive image", naive_image)
    dlbox_up(project, env)  # warm-up: image present, GPU probe cached, page cache warm
    for _, image in baselines.values():
        naive_run(bench, image)
    mine, jupyter = [], []
    theirs: dict[str, list[float]] = {label: [] for label in baselines}
    for _ in range(ROUNDS):
        total, inside = dlbox_up(project, env)
        mine.append(total)
        jupyter.append(inside)
        for label, (_, image) in baselines.items():
            theirs[label].append(naive_run(bench, image))
    d, j = statistics.median(mine), statistics.median(jupyter)
    for label, seconds in theirs.items():
        n, name = statistics.median(seconds), baselines[label][0]
        bench.add(
            Row(
                f"up to /api/status 200 (vs {label})",
                d,
                n,
                "s",
                "<= 2 s and <= 0.9x",
                d <= 2 and d <= 0.9 * n,
                f"median of {ROUNDS}, after one warm-up each; baseline: `docker run` of "
                f"{name} + the same poll; dlbox: JupyterLab's own start {j:.1f} s, "
                f"CLI start, engine calls and readiness poll {d - j:.1f} s",
            )
        )
