"""`dlbox up` to a 200 from /api/status (warm image) vs `docker run` of the naive image with
JupyterLab, polled the same way."""

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


def dlbox_up(project: Path, env: dict[str, str]) -> float:
    port = free_port()
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dlbox",
            "up",
            "--json",
            "--port",
            str(port),
            "--no-data",
            "--code-dir",
            str(project),
            "--name",
            "dlbox-bench-up",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench: dlbox up failed:\n{done.stderr[-2000:]}")
    session = json.loads(done.stdout)["sessions"][0]
    token = urllib.parse.parse_qs(urllib.parse.urlparse(session["url"]).query)["token"][0]
    seconds = wait_ready(int(session["port"]), token, start)
    subprocess.run(
        [sys.executable, "-m", "dlbox", "stop", "dlbox-bench-up"],
        cwd=project,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    return seconds


def naive_run(bench: Bench, image: str) -> float:
    port, token, name = free_port(), "dlbox-bench-token", f"dlbox-bench-naive-{bench.nonce}"
    start = time.perf_counter()
    bench.docker(
        "run",
        "--detach",
        "--rm",
        "--name",
        name,
        "-p",
        f"127.0.0.1:{port}:8888",
        image,
        "jupyter",
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


def up(bench: Bench, naive_image: str) -> None:
    project = Path(tempfile.mkdtemp(prefix="dlbox-bench-up-"))
    env = dict(os.environ, COLUMNS="200")
    dlbox_up(project, env)  # warm-up: image present, GPU probe cached, page cache warm
    naive_run(bench, naive_image)
    mine, theirs = [], []
    for _ in range(ROUNDS):  # alternate, so both see the same machine load
        mine.append(dlbox_up(project, env))
        theirs.append(naive_run(bench, naive_image))
    d, n = statistics.median(mine), statistics.median(theirs)
    bench.add(
        Row(
            "up to /api/status 200",
            d,
            n,
            "s",
            "<= 2 s and <= 0.6x",
            d <= 2 and d <= 0.6 * n,
            f"median of {ROUNDS}, after one warm-up each",
        )
    )
