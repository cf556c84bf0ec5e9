"""What goes into an environment image: the base, the Python, the lock and the extras (data only;
render.py turns it into a Dockerfile, context.py into the hashed build context)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dlbox.environment.lockset import LockSet, load_lockset
from dlbox.gpu.lines import DEFAULT_LINE

DEFAULT_BASE_IMAGE = "debian:bookworm-slim"
IMAGE_REPOSITORY = "dlbox-env"


@dataclass(frozen=True)
class LockedExtras:
    """The exact pins (with hashes) of the pip extras for one architecture (from dlbox.lock):
    only the packages the environment lacks, resolved against the environment pins whose
    digest is `base`."""

    arch: str
    base: str
    text: str
    # The CUDA line whose environment `base` is (each line's image has its own pins).
    line: str = DEFAULT_LINE


@dataclass(frozen=True)
class Extras:
    """What a user adds to the locked environment (dlbox.toml [extras])."""

    pip: tuple[str, ...] = ()
    apt: tuple[str, ...] = ()
    dockerfile: tuple[str, ...] = ()
    # More package indexes for the pip extras (PyPI stays the main one), e.g. a private index.
    extra_index_urls: tuple[str, ...] = ()
    # dlbox.lock's pins for `pip`; used only where arch and base digest match the build's.
    pip_locked: tuple[LockedExtras, ...] = ()

    def locked_for(self, arch: str, base: str) -> LockedExtras | None:
        for item in self.pip_locked:
            if item.arch == arch and item.base == base:
                return item
        return None


@dataclass(frozen=True)
class EnvSpec:
    """Everything that shapes the image. Two equal specs build the same image (same tag)."""

    arch: str = "x86_64"
    base_image: str = DEFAULT_BASE_IMAGE
    # The engine's ID of the base image, when it has one: a new base under the same name is a new
    # image, so it must give a new tag.
    base_image_id: str = ""
    python: str = "3.11"
    extras: Extras = field(default_factory=Extras)
    lock_root: Path | None = None  # None: the locks shipped with dlbox
    # The CUDA line (dlbox.gpu.lines) whose shipped locks this environment uses; its locks are
    # part of the content hash, so each line has its own tag.
    cuda_line: str = DEFAULT_LINE

    def lockset(self) -> LockSet:
        root = self.lock_root
        # A root holding one folder per platform (linux-<arch>) picks this spec's architecture.
        if root is not None and (root / f"linux-{self.arch}").is_dir():
            root = root / f"linux-{self.arch}"
        return load_lockset(self.arch, root, self.cuda_line)
