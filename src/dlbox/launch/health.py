"""Waiting until Jupyter answers /api/status with the token (and noticing if it died instead)."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable

from dlbox.errors import DlboxError
from dlbox.launch.sessions import url_host

# Loopback requests never go through HTTP(S)_PROXY: Python does not bypass 127.0.0.1 by itself,
# and a proxy would both see the token and never reach the server.
LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))
POLL_SECONDS = 0.1
ALIVE_EVERY = 1.0  # asking the engine costs a round trip: not on every poll


def status_code(
    port: int, token: str | None, host: str = "127.0.0.1", timeout: float = 2.0
) -> int | None:
    """HTTP status of /api/status (None if nothing answers). The token goes in a header."""
    req = urllib.request.Request(f"http://{host}:{port}/api/status")
    if token:
        req.add_header("Authorization", f"token {token}")
    try:
        with LOOPBACK.open(req, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError, ValueError):
        return None


def wait_ready(
    port: int,
    token: str,
    *,
    timeout: float,
    alive: Callable[[], bool],
    describe_death: Callable[[], str],
    host: str = "127.0.0.1",
) -> float:
    """Block until /api/status says 200 with the token. Returns the seconds waited."""
    start = time.monotonic()
    probe_host = url_host(host)
    checked = start
    while True:
        code = status_code(port, token, probe_host)
        if code == 200:
            return time.monotonic() - start
        now = time.monotonic()
        if now - checked >= ALIVE_EVERY and not alive():
            raise DlboxError(
                "Jupyter stopped before it answered.\n" + describe_death(),
                "Read the log lines above; `dlbox logs` shows the full output.",
            )
        if now - checked >= ALIVE_EVERY:
            checked = now
        if code in (401, 403):
            raise DlboxError(
                f"Something on port {port} answers but rejects dlbox's token (HTTP {code}); "
                "another Jupyter may be masking the container.",
                "Stop the other server or pass --port with a free port.",
            )
        if time.monotonic() - start > timeout:
            raise DlboxError(
                f"Jupyter did not answer on port {port} within {timeout:.0f} s.",
                "Check `dlbox logs`: if Jupyter started, something redirects the port (`dlbox "
                "doctor` checks it; docs/troubleshooting.md); on slow disks raise the limit with "
                "`dlbox config set health_timeout 600`.",
            )
        time.sleep(POLL_SECONDS)
