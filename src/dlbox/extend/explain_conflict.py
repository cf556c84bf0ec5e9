"""Turning uv's "no solution" output into one sentence a person can act on.

uv explains a failed resolution as a chain of "Because A depends on B and C==1, ...". What a
user needs is which of their packages clashes with which locked version of the environment,
and what the environment needs that version for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dlbox.environment.lockset import normalize_name
from dlbox.extend.requirements import requirement_name

_PIN = re.compile(r"(?<![\w.-])([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]*[A-Za-z0-9+])")
_NOT_FOUND = re.compile(r"\b(\S+) was not found in the package registry")
_NO_VERSIONS = re.compile(r"there (?:is|are) no versions? of (\S+?)(?:[,.]|\s|$)")
_DIRECT = re.compile(r"you require (\S+) and (?:you require )?(\S+?)==(\S+?)(?:,|\s|$)")
_DEPENDS = re.compile(r"(\S+) depends on (\S+?) and (\S+?)==(\S+?)(?:,|\s|$)")
_NETWORK = (
    "failed to fetch",
    "error sending request",
    "dns error",
    "connection refused",
    "timed out",
    "certificate",
    "tls",
    "network",
)
CORE = ("torch", "torchvision", "fastai", "jupyterlab")


@dataclass(frozen=True)
class Explanation:
    message: str
    hint: str


def _cause(stderr: str) -> str:
    """uv's explanation as one line (its continuation lines joined, prefixes dropped)."""
    lines = []
    for raw in stderr.splitlines():
        line = raw.strip()
        for prefix in ("error:", "cause:", "×", "╰─▶", "help:"):
            if line.startswith(prefix):
                line = line[len(prefix) :].strip()
        if line:
            lines.append(line)
    return " ".join(lines)


def _needed_by(name: str, via: dict[str, list[str]]) -> str:
    users = [u for u in via.get(name, []) if u != name]
    if normalize_name(name) in CORE:
        return "one of the environment's core packages"
    if users:
        shown = ", ".join(users[:3]) + (" and others" if len(users) > 3 else "")
        return f"needed by {shown}"
    return "part of dlbox's locked environment"


def _locked_pins(text: str, base: dict[str, str]) -> list[tuple[str, str]]:
    found = []
    for name, version in _PIN.findall(text):
        key = normalize_name(name)
        if base.get(key) == version.rstrip(".") and (key, version) not in found:
            found.append((key, version.rstrip(".")))
    return found


def _asked(text: str, requested: list[str]) -> str | None:
    """Which of the user's requirements uv's explanation is about."""
    names = {requirement_name(r): r for r in requested}
    for token in re.findall(r"[A-Za-z0-9][A-Za-z0-9._\[\]-]*", text):
        key = normalize_name(token.split("[", 1)[0])
        if key in names:
            return names[key]
    return None


def explain(
    stderr: str,
    requested: list[str],
    base: dict[str, str],
    via: dict[str, list[str]],
    platform: str,
) -> Explanation:
    """The short explanation of a failed `uv pip compile` of the extras against the lock."""
    text = _cause(stderr)
    low = text.lower()
    keep = (
        "Keep the version dlbox locks: drop the limit (e.g. `dlbox add NAME` without a "
        "version) or choose a release of your package that supports the environment's."
    )
    missing = _NOT_FOUND.search(text)
    if missing:
        name = missing.group(1)
        return Explanation(
            f"{name} was not found on the package index.",
            f"Check the spelling (https://pypi.org/project/{name}/), then run the command again.",
        )
    pins = _locked_pins(text, base)
    if pins:
        name, version = pins[0]
        locked = f"the environment's {name}=={version} ({_needed_by(name, via)})"
        direct = _DIRECT.search(text)
        if direct and normalize_name(direct.group(2)) == name:
            return Explanation(f"{direct.group(1)} conflicts with {locked}.", keep)
        depends = _DEPENDS.search(text)
        if depends and normalize_name(depends.group(3)) == name:
            who, need = depends.group(1), depends.group(2)
            asked = _asked(text, requested)
            lead = f"{who} needs {need}"
            if asked and requirement_name(asked) != normalize_name(
                re.split(r"[<>=!~;\[ ]", who)[0]
            ):
                lead = f"{asked}: {lead}"
            return Explanation(f"{lead}, which conflicts with {locked}.", keep)
        asked = _asked(text, requested) or ", ".join(requested)
        return Explanation(f"{asked} conflicts with {locked}.", keep)
    none = _NO_VERSIONS.search(text)
    if none:
        return Explanation(
            f"No release of {none.group(1)} fits the request on {platform} with Python 3.11: "
            + _first_sentence(text),
            "Relax the version you asked for, or check the package supports Linux and Python 3.11.",
        )
    if any(word in low for word in _NETWORK):
        return Explanation(
            "uv could not reach the package index to check the packages: " + _first_sentence(text),
            "Check the network (and, behind a proxy, its CA: set ca_bundle or SSL_CERT_FILE).",
        )
    return Explanation(
        "Your extra packages do not resolve together with the locked environment: "
        + _first_sentence(text),
        "Change the packages named above, then run the command again.",
    )


def _first_sentence(text: str, limit: int = 300) -> str:
    sentence = text.replace("No solution found when resolving dependencies", "").strip(" :")
    sentence = sentence.split(", we can conclude", 1)[0].strip() or text.strip()
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"
