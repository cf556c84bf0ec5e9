"""dlbox hub: `hub up` to the hub answering, and a user's spawn request to their server answering
through the hub's proxy, against the bare equivalents in the same run: a plain `jupyterhub`
start (it launches its own proxy) and `docker run` of the same image with the same readiness
poll. Goal: a spawn within 1.2x of the bare `docker run`.

    python -m bench.hub [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.harness import Row, table
from dlbox.secretfile import write_secret

TIMEOUT = 300.0
LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def status(url: str, token: str | None = None) -> int:
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", f"token {token}")
    try:
        with LOOPBACK.open(req, timeout=2) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (OSError, urllib.error.URLError):
        return 0


def poll(url: str, token: str | None, start: float) -> float:
    """The same readiness poll for dlbox and the baselines: 200 from url, every 50 ms."""
    while time.perf_counter() - start < TIMEOUT:
        if status(url, token) == 200:
            return time.perf_counter() - start
        time.sleep(0.05)
    raise SystemExit(f"bench: {url} did not answer within {TIMEOUT:.0f} s")


def dlbox(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dlbox", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=900,
        check=False,
    )


def bare_jupyterhub(work: Path) -> float:
    """`jupyterhub` with its defaults (it starts configurable-http-proxy itself)."""
    port = free_port()
    (work / "bare").mkdir(exist_ok=True)
    log = open(work / "bare" / "hub.log", "w")
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub", "--ip", "127.0.0.1", "--port", str(port)],
        cwd=work / "bare",
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        return poll(f"http://127.0.0.1:{port}/hub/api", None, start)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=60)
        log.close()


def bare_docker_run(image: str, work: Path) -> float:
    """The same image started by hand, with the same user, init, shm, host network and a token
    (from an env file, never argv), polled the same way."""
    port, token = free_port(), secrets.token_hex(16)
    env_file = write_secret(work / "secrets" / "bare.env", f"JUPYTER_TOKEN={token}\n")
    name = f"dlbox-bench-bare-{os.getpid()}"
    start = time.perf_counter()
    subprocess.run(
        ["docker", "run", "-d", "--rm", "--name", name, "--network", "host", "--init",
         "--user", "1000:1000", "--shm-size", "1g", "--env-file", str(env_file), image,
         "jupyter", "lab", "--ip=127.0.0.1", f"--port={port}", "--no-browser"],
        capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    try:
        return poll(f"http://127.0.0.1:{port}/api/status", token, start)
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)


def bench_service(work: Path) -> tuple[Path, Path]:
    """hub_extra_config adding the benchmark's own service, the one allowed to mint a user's
    token (dlbox's service has no `tokens` scope); its token in a 0600 file."""
    token = write_secret(work / "secrets" / "bench_token", secrets.token_hex(32))
    extra = work / "extra_config.py"
    extra.write_text(
        "c.JupyterHub.services.append(\n"
        f"    {{'name': 'bench', 'api_token': Path({str(token)!r}).read_text().strip()}}\n"
        ")\n"
        "c.JupyterHub.load_roles.append(\n"
        "    {'name': 'bench', 'services': ['bench'], 'scopes': ['tokens']}\n"
        ")\n"
    )
    return extra, token


def hub_rows(rounds: int = 3) -> list[Row]:
    """The two rows (runs a real hub in a temporary state folder, then stops it)."""
    work = Path(tempfile.mkdtemp(prefix="dlbox-bench-hub-"))
    extra, bench_token = bench_service(work)
    env = {
        "DLBOX_HUB_EXTRA_CONFIG": str(extra),
        "DLBOX_STATE_DIR": str(work / "state"),
        "DLBOX_CODE_DIR": str(work / "code"),
        "DLBOX_DATA_DIR": str(work / "data"),
        "DLBOX_SHM_SIZE": "1g",
    }
    os.environ.update(env)
    user = f"bench{secrets.token_hex(3)}"
    port = free_port()
    rows: list[Row] = []
    start = time.perf_counter()
    up = dlbox("hub", "up", "--gpus", "none", "--port", str(port), "--json", env=env)
    if up.returncode != 0:
        raise SystemExit(f"bench: dlbox hub up failed:\n{up.stdout}{up.stderr}")
    hub_up = time.perf_counter() - start
    image = json.loads(up.stdout)["image"]
    try:
        from dlbox.hub.state import hub_dir, load_record
        from dlbox.usecases.hub import api_for

        base = hub_dir()
        record = load_record(base)
        assert record is not None
        api = api_for(record, base)
        api.add_user(user)
        from dlbox.hub.api import HubApi

        minter = HubApi(api.base, bench_token.read_text().strip(), timeout=api.timeout)
        token = minter.new_token(user, "bench")
        url = f"{record.url}user/{user}/api/status"
        spawns = []
        for _ in range(rounds):
            begin = time.perf_counter()
            api.request("POST", f"/users/{user}/server", {})
            spawns.append(poll(url, token, begin))
            api.stop_server(user, wait=120)
        bare = [bare_docker_run(image, work) for _ in range(rounds)]
    finally:
        dlbox("hub", "down", env=env)
        subprocess.run(
            ["docker", "volume", "rm", "-f", f"dlbox-hub-{user}-code"],
            capture_output=True,
            check=False,
        )
    bare_hub = bare_jupyterhub(work)
    shutil.rmtree(work, ignore_errors=True)  # state, logs and the bench's token file
    rows.append(
        Row(
            "hub up to answering",
            hub_up,
            bare_hub,
            "s",
            "",
            None,
            "whole `dlbox hub up` (image check, config, secrets, proxy, hub) vs a bare "
            "`jupyterhub` start with its defaults",
        )
    )
    spawn, baseline = statistics.median(spawns), statistics.median(bare)
    rows.append(
        Row(
            "hub spawn to answering",
            spawn,
            baseline,
            "s",
            "<= 1.2x",
            spawn <= 1.2 * baseline,
            f"median of {rounds}: REST spawn request to /user/NAME/api/status 200 through "
            "the proxy vs `docker run` of the same image to /api/status 200, same poll",
        )
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hub", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    # A timeout's SIGTERM unwinds like Ctrl-C: the hub and its containers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(table(hub_rows(args.rounds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
