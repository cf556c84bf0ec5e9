"""Starting, watching and stopping the processes of the hub: configurable-http-proxy and
JupyterHub, each in its own session, logged to the hub's state folder."""

from __future__ import annotations

import os
import shutil
import signal
import ssl
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from dlbox import process
from dlbox.errors import DlboxError
from dlbox.hub.config_text import HubConfig
from dlbox.hub.state import Started, proc_start_time

PROXY_COMMAND = "configurable-http-proxy"
STOP_SECONDS = 30.0
LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def find_proxy() -> str:
    found = shutil.which(PROXY_COMMAND)
    if not found:
        raise DlboxError(
            "configurable-http-proxy (JupyterHub's proxy, a Node program) is not installed.",
            "Install it: `sudo apt-get install node-configurable-http-proxy` (Debian/Ubuntu) "
            "or `npm install -g configurable-http-proxy`.",
        )
    return found


def proxy_argv(
    proxy: str, cfg: HubConfig, ssl_cert: Path | None, ssl_key: Path | None
) -> list[str]:
    argv = [
        proxy,
        "--ip",
        cfg.host,
        "--port",
        str(cfg.port),
        "--api-ip",
        "127.0.0.1",
        "--api-port",
        str(cfg.api_port),
        "--default-target",
        f"http://127.0.0.1:{cfg.hub_port}",
        "--error-target",
        f"http://127.0.0.1:{cfg.hub_port}/hub/error",
        "--log-level",
        "info",
    ]
    if ssl_cert and ssl_key:
        argv += ["--ssl-cert", str(ssl_cert), "--ssl-key", str(ssl_key)]
    return argv


def hub_argv(config_file: Path) -> list[str]:
    return [sys.executable, "-m", "jupyterhub", "-f", str(config_file)]


def start(name: str, argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> Started:
    """Start one process in its own session (it outlives the CLI); secrets only in env."""
    proc = process.spawn(argv, env=env, cwd=cwd, log_path=log)
    started = proc_start_time(proc.pid)
    if started is None:  # it died at once
        proc.wait()
        raise DlboxError(
            f"The hub's {name} exited at once (code {proc.returncode}).\n{log_tail(log)}",
            "Read the log above; `dlbox hub logs` shows all of it.",
            log_path=log,
        )
    return Started(name=name, pid=proc.pid, start_time=started, log=str(log))


def stop(proc: Started, timeout: float = STOP_SECONDS) -> bool:
    """SIGTERM the process's group, then SIGKILL after timeout. Only if the pid is still the
    very process dlbox started. Returns whether it had to be stopped."""
    if not proc.alive():
        return False
    _signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            return True
        _reap(proc.pid)
        time.sleep(0.1)
    _signal_group(proc.pid, signal.SIGKILL)
    for _ in range(50):
        if not proc.alive():
            break
        _reap(proc.pid)
        time.sleep(0.1)
    return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)  # its own session: the group is the process and its children
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)


def _reap(pid: int) -> None:
    """A child of this very CLI (started by this `hub up`) must be reaped to disappear."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def log_tail(log: Path, lines: int = 15) -> str:
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """Status of a GET on our own loopback URL (TLS: our own certificate, not verified here)."""
    context = None
    if url.startswith("https:"):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    opener = (
        urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
        )
        if context
        else LOOPBACK
    )
    try:
        with opener.open(url, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError, ValueError):
        return None


def wait_answering(
    url: str, processes: list[Started], timeout: float, clock: Callable[[], float] = time.monotonic
) -> float:
    """Until `url` answers 200 (the hub's API through the proxy). Fails if a process died."""
    begin = clock()
    while True:
        if http_status(url) == 200:
            return clock() - begin
        for proc in processes:
            if not proc.alive():
                log = Path(proc.log)
                raise DlboxError(
                    f"The hub's {proc.name} stopped before the hub answered.\n{log_tail(log)}",
                    "Read the log above; `dlbox hub logs` shows all of it.",
                    log_path=log,
                )
        if clock() - begin > timeout:
            raise DlboxError(
                f"The hub did not answer at {url} within {timeout:.0f} s.",
                "Check `dlbox hub logs`.",
            )
        time.sleep(0.2)
