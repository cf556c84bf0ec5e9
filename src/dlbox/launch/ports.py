"""Host ports: is one free, does a Jupyter already answer on it, and which one to use."""

from __future__ import annotations

import contextlib
import errno
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass

from dlbox.errors import DlboxError, UsageError

MAX_SCAN = 50
LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


@dataclass(frozen=True)
class PortStatus:
    port: int
    free: bool
    jupyter: bool = False  # something answering like a Jupyter server holds it
    detail: str = ""
    redirected: bool = False  # nothing holds it, but a NAT rule sends it elsewhere (detail: how)

    def describe(self) -> str:
        if self.free:
            return f"port {self.port} is free"
        if self.jupyter:
            return (
                f"port {self.port} is held by a Jupyter server on the host ({self.detail}); "
                "it would mask the container and reject dlbox's token"
            )
        return f"port {self.port} is {self.detail or 'in use by another program'}"


def _not_here(host: str, why: str) -> UsageError:
    return UsageError(
        f"Cannot listen on host {host!r}: {why}.",
        "Use 127.0.0.1 (this machine only, the default), 0.0.0.0 (every network) or an address "
        "of this machine (`ip -brief address` lists them), e.g. pass --host 127.0.0.1.",
    )


def is_free(host: str, port: int) -> bool:
    """True if we can bind host:port right now (what `docker run -p` will need). A host that is
    no address of this machine is a UsageError, not a busy port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except socket.gaierror as exc:
            raise _not_here(host, "it is not an address and no such host name resolves") from exc
        except OSError as exc:
            if exc.errno in (errno.EADDRNOTAVAIL, errno.EINVAL):  # EINVAL: fe80::1 without %eth0
                raise _not_here(host, "it is not an address of this machine") from exc
            return False
    # A server bound to 0.0.0.0 or 127.0.0.1 blocks the other too for our purpose: check both.
    if host not in ("127.0.0.1", "0.0.0.0"):
        return True
    other = "0.0.0.0" if host == "127.0.0.1" else "127.0.0.1"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((other, port))
        except OSError:
            return False
    return True


def jupyter_answers(port: int, timeout: float = 1.0) -> str | None:
    """If a Jupyter server answers on 127.0.0.1:port, a short description of it."""
    url = f"http://127.0.0.1:{port}/api"
    try:
        with LOOPBACK.open(url, timeout=timeout) as resp:
            body = resp.read(4096)
            server = resp.headers.get("Server", "")
    except (urllib.error.URLError, OSError, ValueError):
        return None
    with contextlib.suppress(ValueError):
        data = json.loads(body)
        if isinstance(data, dict) and "version" in data:
            return f"Jupyter Server {data['version']}"
    return "TornadoServer" if "tornado" in server.lower() else None


REDIRECT_PROBE_SECONDS = 0.3
REDIRECTED = (
    "redirected by a NAT rule on this host ({how}), so the container would never be reached; "
    "a Podman container that was not cleaned up leaves such rules (`sudo podman ps -a`, "
    "`sudo iptables -t nat -S | grep {port}`)"
)


def redirection(host: str, port: int, timeout: float = REDIRECT_PROBE_SECONDS) -> str | None:
    """Nothing listens on host:port (we could bind it), so connecting there must be refused. If a
    connection is accepted or hangs instead, a NAT rule sends the port elsewhere: Docker would
    publish it and Jupyter would never answer. Returns why, or None when the port is really free."""
    probe = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    family = socket.AF_INET6 if ":" in probe else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect((probe, port))
        except ConnectionRefusedError:
            return None
        except TimeoutError:
            how = "connections to it hang"
        except OSError as exc:
            how = f"connections to it fail: {exc.strerror or exc}"
        else:
            how = "something answers though nothing here listens on it"
    return REDIRECTED.format(how=how, port=port)


def port_status(host: str, port: int) -> PortStatus:
    if is_free(host, port):
        why = redirection(host, port)
        if why is None:
            return PortStatus(port, True)
        return PortStatus(port, False, detail=why, redirected=True)
    jup = jupyter_answers(port)
    return PortStatus(port, False, jupyter=jup is not None, detail=jup or "")


@dataclass(frozen=True)
class PortChoice:
    port: int
    wanted: int
    skipped: tuple[PortStatus, ...]

    @property
    def moved(self) -> bool:
        return self.port != self.wanted


def choose_port(
    host: str, wanted: int, taken: set[int] | frozenset[int] = frozenset()
) -> PortChoice:
    """The wanted port if free, else the next free one (never one in `taken`)."""
    skipped: list[PortStatus] = []
    last = min(wanted + MAX_SCAN, 65536) - 1
    for port in range(wanted, last + 1):
        if port in taken:
            skipped.append(PortStatus(port, False, detail="used by another dlbox session"))
            continue
        status = port_status(host, port)
        if status.free:
            return PortChoice(port, wanted, tuple(skipped))
        skipped.append(status)
    raise DlboxError(
        f"No free port in {wanted}-{last} on {host}.",
        "Stop what holds them, or pass --port with a free port.",
    )
