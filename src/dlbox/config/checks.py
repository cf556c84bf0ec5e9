"""The checks settings run after their type conversion (config/keys.py names one per key): each
raises ValueError saying what was expected."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from pathlib import PurePosixPath

from dlbox import redact

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
SHM = re.compile(r"^(auto|\d+(\.\d+)?\s*[kmgt]?(ib?|b)?)$", re.IGNORECASE)
MEM = re.compile(r"^(\d+(\.\d+)?[KMGT]?)?$", re.IGNORECASE)
CPU = re.compile(r"^(\d+(\.\d+)?)?$")
QUANTITY = re.compile(r"^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$")
DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
USER = re.compile(r"^([a-z_][a-z0-9_.@-]{0,63})?$", re.IGNORECASE)
IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/:@-]{0,254}$")
# KEY=VALUE with a Kubernetes label key ([prefix/]name) and value, or empty.
NODE_LABEL = re.compile(
    r"^(([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
    r"=([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?)?$"
)
NETWORK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def plain_text(value: str) -> None:
    if CONTROL.search(value):
        raise ValueError("expected text without control characters (newline, tab, ...)")


def port(value: int) -> None:
    if not 1 <= value <= 65535:
        raise ValueError(f"expected a port number from 1 to 65535, got {value}")


def positive(value: int) -> None:
    if value < 1:
        raise ValueError(f"expected a whole number of seconds of 1 or more, got {value}")


def not_negative(value: int) -> None:
    if value < 0:
        raise ValueError(f"expected a whole number of seconds (0: never), got {value}")


def host(value: str) -> None:
    try:
        ipaddress.ip_address(value)
        return
    except ValueError:
        pass
    if not HOSTNAME.match(value):
        raise ValueError(f"expected an IP address such as 127.0.0.1 or a host name, got {value!r}")


def gpus(value: str) -> None:
    text = value.strip().lower()
    parts = [p.strip() for p in text.split(",") if p.strip()]
    listed = bool(parts) and all(re.fullmatch(r"[0-9]+", p) for p in parts)
    if text not in ("auto", "all", "none") and not listed:
        raise ValueError(f"expected auto, all, none or GPU indices such as 0,1, got {value!r}")


def matches(pattern: re.Pattern[str], what: str) -> Callable[[str], None]:
    def check(value: str) -> None:
        if not pattern.match(value):
            raise ValueError(f"expected {what}, got {value!r}")

    return check


def gpu_count(value: int) -> None:
    if not 0 <= value <= 64:
        raise ValueError(f"expected a number of GPUs from 0 to 64, got {value}")


def course(value: str) -> None:
    plain_text(value)
    if redact.url_has_secret(value):
        raise ValueError(
            "the URL carries credentials, which dlbox never keeps in a settings file; clone once "
            "with `dlbox course get URL` (git keeps the credential in the clone) and set course "
            "to the URL without them"
        )


def subdir(value: str) -> None:
    plain_text(value)
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or "\\" in value:
        raise ValueError(f"expected a folder inside code_dir such as lessons/part1, got {value!r}")


def datasets(value: list[str]) -> None:
    for item in value:
        plain_text(item)
        if redact.url_has_secret(item):
            raise ValueError("a dataset URL carries credentials; use `dlbox data get URL` once")
