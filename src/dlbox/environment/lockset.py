"""Reading the committed uv lock files (requirements format with hashes), split into layers."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from dlbox.errors import DlboxError
from dlbox.gpu.lines import DEFAULT_LINE, LINES

SUPPORTED_ARCHES = ("x86_64", "aarch64")
# The environment's layers, in build order: the heaviest and least often changed first.
LAYERS = (
    ("torch.txt", "PyTorch and torchvision with their CUDA libraries (changes least often)"),
    ("course.txt", "the fast.ai course stack: fastai, JupyterLab, widgets, nbclient, plotting"),
)
TOOLS_LOCK = "tools.txt"
_REQ_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s\\;]+)")


def normalize_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def env_dir() -> Path:
    """The environment's inputs and lock files; they ship inside dlbox.image (package data only,
    no import: where `dlbox lock` has always written them)."""
    return Path(str(resources.files("dlbox.image") / "env"))


def line_locks_root(line: str = DEFAULT_LINE) -> Path:
    """The folder of one CUDA line's per-platform lock folders (linux-x86_64, ...)."""
    return env_dir() / LINES[line].folder


def locks_dir(arch: str, line: str = DEFAULT_LINE) -> Path:
    return line_locks_root(line) / f"linux-{arch}"


def normalize_arch(machine: str) -> str:
    machine = machine.lower()
    if machine in ("x86_64", "amd64"):
        return "x86_64"
    if machine in ("aarch64", "arm64", "arm64/v8"):
        return "aarch64"
    raise DlboxError(
        f"dlbox has no locked environment for the CPU architecture {machine!r}.",
        f"Supported: {', '.join(SUPPORTED_ARCHES)}.",
    )


def parse_pins(text: str) -> dict[str, str]:
    """Map normalized package name -> pinned version from a requirements/lock text."""
    pins: dict[str, str] = {}
    for line in text.splitlines():
        m = _REQ_LINE.match(line)
        if m:
            pins[normalize_name(m.group(1))] = m.group(3)
    return pins


def split_blocks(text: str) -> dict[str, str]:
    """Split a uv lock text into one block per package (the pin line, its hashes, its comments)."""
    blocks: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        m = _REQ_LINE.match(line)
        if m:
            current = normalize_name(m.group(1))
            blocks[current] = [line]
        elif current is not None and (line.startswith(" ") or not line.strip()):
            blocks[current].append(line)
        else:
            current = None
    return {name: "\n".join(lines).rstrip() + "\n" for name, lines in blocks.items()}


@dataclass(frozen=True)
class LockSet:
    """The locked environment for one architecture: layer files in build order plus tools."""

    arch: str
    layers: tuple[tuple[str, str], ...]  # (file name, text)
    tools: str

    @property
    def pins(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for _, text in self.layers:
            merged.update(parse_pins(text))
        return merged

    def version(self, package: str) -> str:
        return self.pins.get(normalize_name(package), "unknown")


def load_lockset(arch: str, root: Path | None = None, line: str = DEFAULT_LINE) -> LockSet:
    folder = root or locks_dir(arch, line)
    try:
        layers = tuple((name, (folder / name).read_text()) for name, _ in LAYERS)
        tools = (folder / TOOLS_LOCK).read_text()
    except FileNotFoundError as exc:
        raise DlboxError(
            f"The environment lock for linux-{arch} is missing ({exc.filename}).",
            "Run `dlbox lock` to resolve it, or reinstall dlbox.",
        ) from exc
    return LockSet(arch=arch, layers=layers, tools=tools)


def constraints_text(pins: dict[str, str]) -> str:
    """Plain pins (no hashes) of the environment: a hashed constraint would switch uv into
    hash-checking mode for the user's unhashed extras."""
    return "".join(f"{n}=={v}\n" for n, v in sorted(pins.items()))


def pins_digest(pins: dict[str, str]) -> str:
    """A short digest of the environment's pins: what an extras lock was resolved against."""
    return hashlib.sha256(constraints_text(pins).encode()).hexdigest()[:16]
