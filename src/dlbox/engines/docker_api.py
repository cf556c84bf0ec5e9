"""The Docker Engine API over its unix socket, for the few read-only questions that are asked
often (`dlbox ps`, `up`'s image lookups and health polls): one HTTP request of a few milliseconds
instead of a `docker` CLI process of 50-100 ms. Standard library only (http.client over AF_UNIX:
it imports in a fraction of httpx's time).

The socket is the one the `docker` CLI would use: DOCKER_HOST when it is a unix:// URL (rootless
Docker sets it), else the default /var/run/docker.sock. A DOCKER_HOST of another kind (tcp://,
ssh://), a Docker context other than the default, or a socket that does not answer makes
`docker_socket()` / the calls say so (None, ApiUnavailable), and the engine asks its CLI instead.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

DEFAULT_SOCKET = "/var/run/docker.sock"
TIMEOUT = 10.0


class ApiUnavailable(Exception):
    """The socket cannot answer this (missing, permission denied, an error status): ask the CLI."""


def _current_context(env: Mapping[str, str]) -> str:
    """The Docker context the CLI would use: DOCKER_CONTEXT, else config.json's currentContext."""
    if env.get("DOCKER_CONTEXT"):
        return env["DOCKER_CONTEXT"]
    home = env.get("HOME") or os.path.expanduser("~")
    folder = env.get("DOCKER_CONFIG") or os.path.join(home, ".docker")
    try:
        data = json.loads(Path(folder, "config.json").read_text())
    except (OSError, ValueError):
        return "default"
    current = data.get("currentContext") if isinstance(data, dict) else None
    return str(current) if current else "default"


def docker_socket(env: Mapping[str, str] | None = None) -> str | None:
    """The unix socket path the `docker` CLI talks to, or None when it talks to something else
    (tcp://, ssh://, a named context) that only the CLI knows how to reach."""
    env = os.environ if env is None else env
    host = env.get("DOCKER_HOST", "")
    if host:
        return host.removeprefix("unix://") if host.startswith("unix:///") else None
    if _current_context(env) != "default":
        return None
    return DEFAULT_SOCKET


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class DockerApi:
    """Read-only Engine API calls on one socket; every failure is ApiUnavailable."""

    def __init__(self, path: str, timeout: float = TIMEOUT):
        self.path = path
        self.timeout = timeout

    def get(self, url: str, missing_ok: bool = False) -> object:
        """GET url's JSON; None for a 404 when missing_ok."""
        conn = _UnixConnection(self.path, self.timeout)
        try:
            conn.request("GET", url)
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise ApiUnavailable(f"{self.path}: {exc}") from None
        finally:
            conn.close()
        if response.status == 404 and missing_ok:
            return None
        if response.status != 200:
            raise ApiUnavailable(f"{self.path}: GET {url} answered {response.status}")
        try:
            return json.loads(body)
        except ValueError:
            raise ApiUnavailable(f"{self.path}: GET {url} answered no JSON") from None

    def container_ids(self, labels: Sequence[str]) -> list[str]:
        """`docker ps --all --quiet --filter label=L ...`: the IDs of every matching container."""
        filters = quote(json.dumps({"label": list(labels)}) if labels else "{}")
        items = self.get(f"/containers/json?all=1&filters={filters}")
        if not isinstance(items, list):
            raise ApiUnavailable(f"{self.path}: the container list is not a list")
        return [str(i["Id"]) for i in items if isinstance(i, dict) and i.get("Id")]

    def inspect(self, name: str) -> dict[str, object] | None:
        """`docker inspect --type container NAME`: the same document, or None when missing."""
        item = self.get(f"/containers/{quote(name, safe='')}/json", missing_ok=True)
        if item is None:
            return None
        if not isinstance(item, dict):
            raise ApiUnavailable(f"{self.path}: the container document is not an object")
        return item

    def image_id(self, ref: str) -> str | None:
        """`docker image inspect --format {{.Id}} REF`: the image's ID, or None when missing."""
        item = self.get(f"/images/{quote(ref, safe='/:@')}/json", missing_ok=True)
        if item is None:
            return None
        if not isinstance(item, dict) or not item.get("Id"):
            raise ApiUnavailable(f"{self.path}: the image document has no Id")
        return str(item["Id"])


def api_from_env(env: Mapping[str, str] | None = None) -> DockerApi | None:
    """The API on the socket the `docker` CLI talks to in this environment, when it is one."""
    path = docker_socket(env)
    return DockerApi(path) if path else None
