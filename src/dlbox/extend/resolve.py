"""Resolving a project's extra pip packages against dlbox's locked environment with uv.

For each Linux platform the image may be built for: `uv pip compile` of the extras with `-c`
the environment's plain pins (the same constraints file a build uses), for Python 3.11. A
conflict becomes a short explanation (explain.py), never a resolver dump.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dlbox import process
from dlbox.environment.lockset import (
    SUPPORTED_ARCHES,
    LockSet,
    constraints_text,
    parse_pins,
    pins_digest,
)
from dlbox.errors import DlboxError, ProcessError
from dlbox.extend.explain_conflict import explain
from dlbox.extend.lockfile import new_packages, via_map
from dlbox.gpu.lines import DEFAULT_LINE, LINES
from dlbox.image.relock import PLATFORMS
from dlbox.image.spec import EnvSpec, LockedExtras
from dlbox.uvtool import find_uv

RESOLVE_TIMEOUT = 300.0


class ExtrasConflict(DlboxError):
    """The extras do not resolve together with the locked environment."""


@dataclass(frozen=True)
class Resolution:
    locked: tuple[LockedExtras, ...]

    def pins(self, arch: str) -> dict[str, str]:
        for item in self.locked:
            if item.arch == arch:
                return parse_pins(item.text)
        return {}


def locksets(lock_root: Path | None, python: str = "3.11") -> list[tuple[str, LockSet]]:
    """The environment's locks for every CUDA line (the default first) and every Linux platform
    that has them (at least one), each set of pins once, with the line: extras are locked for
    every image a project may build."""
    found: list[tuple[str, LockSet]] = []
    seen: set[tuple[str, str]] = set()
    error: DlboxError | None = None
    for line in sorted(LINES, key=lambda name: name != DEFAULT_LINE):
        for arch in SUPPORTED_ARCHES:
            try:
                spec = EnvSpec(arch=arch, lock_root=lock_root, python=python, cuda_line=line)
                lockset = spec.lockset()
            except DlboxError as exc:
                error = exc
                continue
            key = (arch, pins_digest(lockset.pins))
            if key not in seen:
                seen.add(key)
                found.append((line, lockset))
    if not found:
        assert error is not None
        raise error
    return found


def resolve_extras(
    requested: list[str],
    lock_root: Path | None = None,
    *,
    python: str = "3.11",
    ca_bundle: Path | None = None,
    extra_index_urls: Sequence[str] = (),
) -> Resolution:
    """Resolve `requested` for each platform; raise ExtrasConflict with an explanation."""
    if not requested:
        return Resolution(())
    uv = find_uv("Checking extra packages")
    env = (
        {"SSL_CERT_FILE": str(ca_bundle)} if ca_bundle and "SSL_CERT_FILE" not in os.environ else {}
    )
    locked = []
    with tempfile.TemporaryDirectory(prefix="dlbox-extras-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "extras.in").write_text("\n".join(requested) + "\n")
        for line, lockset in locksets(lock_root, python):
            base = lockset.pins
            (tmp / "constraints.txt").write_text(constraints_text(base))
            plat = f"linux-{lockset.arch}"
            argv = [
                uv, "pip", "compile", str(tmp / "extras.in"),
                "-c", str(tmp / "constraints.txt"),
                "--python-version", python,
                "--python-platform", PLATFORMS[plat],
                "--generate-hashes", "--no-annotate", "--no-header", "--quiet",
                "--color", "never",
                "-o", str(tmp / "out.txt"),
                *(arg for url in extra_index_urls for arg in ("--extra-index-url", url)),
            ]  # fmt: skip
            try:
                done = process.run(argv, timeout=RESOLVE_TIMEOUT, check=False, env=env)
            except ProcessError as exc:
                raise DlboxError(
                    f"uv did not finish resolving the extras: {exc.message}.",
                    "Check the network, then run the command again.",
                ) from exc
            if done.returncode != 0:
                texts = [text for _, text in lockset.layers]
                why = explain(done.stderr or done.stdout, requested, base, via_map(texts), plat)
                raise ExtrasConflict(why.message, why.hint)
            compiled = (tmp / "out.txt").read_text()
            text = new_packages(compiled, base)
            locked.append(LockedExtras(lockset.arch, pins_digest(base), text, line))
    return Resolution(tuple(locked))
