"""The hub's REST API, spoken with dlbox's service token (admin scopes) on the hub's own
loopback port. The token goes in a header, never in a URL, a log or an error."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from dlbox.errors import DlboxError

# Loopback requests never go through HTTP(S)_PROXY (the token would reach the proxy).
LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class HubApiError(DlboxError):
    def __init__(self, message: str, hint: str | None = None, *, status: int | None = None):
        super().__init__(message, hint)
        self.status = status


@dataclass(frozen=True)
class HubApi:
    base: str  # e.g. http://127.0.0.1:8081/hub/api
    token: str = field(repr=False)  # never in a repr (test failures, logs)
    timeout: float = 30.0

    def request(self, method: str, path: str, body: object | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", f"token {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with LOOPBACK.open(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            detail = _message(exc)
            said = f": {detail}" if detail else ""
            raise HubApiError(
                f"The hub refused {method} {path} (HTTP {exc.code}{said}).",
                "Check `dlbox hub logs`.",
                status=exc.code,
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            raise HubApiError(
                f"The hub does not answer at {self.base} ({getattr(exc, 'reason', exc)}).",
                "Is it running? `dlbox hub status`; start it with `dlbox hub up`.",
            ) from None
        return json.loads(raw) if raw.strip() else None

    def users(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.request("GET", "/users") or []
        return found

    def user(self, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.request("GET", f"/users/{_q(name)}")
        except HubApiError as exc:
            if exc.status == 404:
                return None
            raise
        return found

    def add_user(self, name: str, admin: bool = False) -> None:
        self.request("POST", f"/users/{_q(name)}", {"admin": admin} if admin else {})

    def remove_user(self, name: str) -> None:
        self.request("DELETE", f"/users/{_q(name)}")

    def start_server(self, name: str, wait: float = 0.0) -> None:
        """Ask for the user's server; with wait, until it is ready (the hub answers 202 while a
        slow spawn goes on)."""
        self.request("POST", f"/users/{_q(name)}/server", {})
        if wait:
            self.wait_ready(name, wait)

    def wait_ready(self, name: str, timeout: float, poll: float = 0.2) -> float:
        begin = time.monotonic()
        while True:
            user = self.user(name) or {}
            server = (user.get("servers") or {}).get("")
            if server and server.get("ready"):
                return time.monotonic() - begin
            if not server:
                raise HubApiError(
                    f"The server of {name} stopped while starting.",
                    "Read why in `dlbox hub logs` (search for the user's name).",
                )
            if time.monotonic() - begin > timeout:
                raise HubApiError(
                    f"The server of {name} was not ready within {timeout:.0f} s.",
                    "Check `dlbox hub logs`; the first start of a large image takes longest.",
                )
            time.sleep(poll)

    def stop_server(self, name: str, wait: float = 0.0) -> None:
        """Stop the user's server; with wait, until it is gone (the hub answers 202 while a
        slow stop goes on)."""
        self.request("DELETE", f"/users/{_q(name)}/server")
        begin = time.monotonic()
        while wait and time.monotonic() - begin < wait:
            user = self.user(name) or {}
            if not (user.get("servers") or {}).get(""):
                return
            time.sleep(0.2)
        if wait:
            raise HubApiError(
                f"The server of {name} did not stop within {wait:.0f} s.", "Check `dlbox hub logs`."
            )

    def new_token(self, name: str, note: str) -> str:
        made = self.request("POST", f"/users/{_q(name)}/tokens", {"note": note})
        return str(made["token"])


def _q(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def _message(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(exc.read()).get("message", ""))[:600]
    except (ValueError, OSError, AttributeError):
        return ""
