"""Helpers for tests that drive the real CLI as a user would (a subprocess, real output)."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass
class CliRun:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def dlbox(
    *args: str, cwd: Path | None = None, timeout: float = 1500, env: dict[str, str] | None = None
) -> CliRun:
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env.setdefault("COLUMNS", "200")
    done = subprocess.run(
        [sys.executable, "-m", "dlbox", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=full_env,
        check=False,
    )
    return CliRun(done.returncode, done.stdout, done.stderr)


def http_status(url: str, token: str | None = None) -> int:
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", f"token {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def free_port_block(count: int = 3, start: int = 18800) -> int:
    """A port p such that p..p+count-1 are free right now: a plain bind works (no listener, and
    no TIME_WAIT left by an earlier test's server, which a test's own blocker socket would trip
    on) and dlbox's own rule agrees (no NAT rule on this host redirects it)."""
    from dlbox.launch.ports import port_status

    def bindable(port: int) -> bool:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
        return True

    for base in range(start, start + 1000, count):
        ports = range(base, base + count)
        if all(bindable(p) for p in ports) and all(port_status("127.0.0.1", p).free for p in ports):
            return base
    raise RuntimeError("no free port block")


def docker_client() -> str:
    from dlbox.engines.detect import select_engine

    choice = select_engine("docker")
    assert choice.container is not None
    return choice.container.client


def docker(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [docker_client(), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class _FakeJupyterHandler(http.server.BaseHTTPRequestHandler):
    """Answers /api like a Jupyter Server (what a host Jupyter masking a port looks like)."""

    def do_GET(self) -> None:
        body = json.dumps({"version": "2.14.2"}).encode()
        self.send_response(200 if self.path.startswith("/api") else 404)
        self.send_header("Server", "TornadoServer/6.4")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def loopback_server(
    handler: type[http.server.BaseHTTPRequestHandler], *, threaded: bool = False
) -> Iterator[int]:
    """HANDLER served on a free 127.0.0.1 port in a thread; yields the port, stops it after."""
    kind = http.server.ThreadingHTTPServer if threaded else http.server.HTTPServer
    server = kind(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def fake_jupyter_server() -> Iterator[int]:
    """A fake host Jupyter on a free loopback port; yields the port."""
    with loopback_server(_FakeJupyterHandler) as port:
        yield port
