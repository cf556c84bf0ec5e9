"""Offline guard for `dlbox verify` (smoke profile), loaded via PYTHONPATH by every python.

Refuses name lookups and connections to anything but loopback and local sockets, so a notebook
that would download something fails at once with a reason instead of hanging on a dead network.
"""

from __future__ import annotations

import ipaddress
import socket

_REASON = "dlbox verify runs offline (smoke profile): blocked network access to {}"
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}
_orig_connect = socket.socket.connect
_orig_connect_ex = socket.socket.connect_ex
_orig_getaddrinfo = socket.getaddrinfo


class OfflineError(ConnectionRefusedError):
    """A blocked connection attempt; the message names the host."""


def _is_local(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified


def _check(sock: socket.socket, address: object) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    host = address[0] if isinstance(address, tuple) and address else address
    if not _is_local(host):
        port = address[1] if isinstance(address, tuple) and len(address) > 1 else "?"
        raise OfflineError(_REASON.format(f"{host}:{port}"))


def _connect(self: socket.socket, address: object) -> None:
    _check(self, address)
    _orig_connect(self, address)  # type: ignore[arg-type]


def _connect_ex(self: socket.socket, address: object) -> int:
    _check(self, address)
    return _orig_connect_ex(self, address)  # type: ignore[arg-type]


def _getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
    if host is not None and not _is_local(host):
        raise OfflineError(_REASON.format(host))
    return _orig_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]


socket.socket.connect = _connect  # type: ignore[method-assign,assignment]
socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign,assignment]
socket.getaddrinfo = _getaddrinfo  # type: ignore[assignment]
