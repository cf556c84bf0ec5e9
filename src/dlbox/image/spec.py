"""What goes into an environment image, and the content hash that names it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from dlbox.image.locks import LockSet, load_lockset
from dlbox.image.render import render_context

DEFAULT_BASE_IMAGE = "debian:bookworm-slim"
IMAGE_REPOSITORY = "dlbox-env"
HASH_LENGTH = 16


@dataclass(frozen=True)
class LockedExtras:
    """The exact pins (with hashes) of the pip extras for one architecture (from dlbox.lock):
    only the packages the environment lacks, resolved against the environment pins whose
    digest is `base`."""

    arch: str
    base: str
    text: str


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

    @property
    def empty(self) -> bool:
        return not (self.pip or self.apt or self.dockerfile)


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

    def lockset(self) -> LockSet:
        root = self.lock_root
        # A root holding one folder per platform (linux-<arch>) picks this spec's architecture.
        if root is not None and (root / f"linux-{self.arch}").is_dir():
            root = root / f"linux-{self.arch}"
        return load_lockset(self.arch, root)


@dataclass(frozen=True)
class BuildContext:
    """The files a build sends to the engine, and the content hash over them."""

    files: dict[str, str]  # relative path -> text
    spec_hash: str
    versions: dict[str, str]

    @property
    def tag(self) -> str:
        return f"{IMAGE_REPOSITORY}:{self.spec_hash}"

    @property
    def dockerfile(self) -> str:
        return self.files["Dockerfile"]

    def write(self, folder: Path) -> Path:
        for rel, text in self.files.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            if rel == "dlbox-start":
                path.chmod(0o755)
        return folder


def _digest(files: dict[str, str], spec: EnvSpec) -> str:
    h = hashlib.sha256()
    h.update(f"arch={spec.arch}\nbase={spec.base_image}\nbase_id={spec.base_image_id}\n".encode())
    for rel in sorted(files):
        h.update(rel.encode() + b"\0" + files[rel].encode() + b"\0")
    return h.hexdigest()[:HASH_LENGTH]


def build_context(spec: EnvSpec) -> BuildContext:
    """Render the Dockerfile and gather the context; the hash covers all of it plus the base ID."""
    lockset = spec.lockset()
    versions = {
        name: lockset.version(name) for name in ("fastai", "torch", "torchvision", "jupyterlab")
    }
    # The hash is taken over the context rendered with an empty hash label, then the label is
    # filled in: the label cannot be part of its own input.
    unlabelled = render_context(spec, lockset, versions, spec_hash="")
    spec_hash = _digest(unlabelled, spec)
    files = render_context(spec, lockset, versions, spec_hash=spec_hash)
    return BuildContext(files=files, spec_hash=spec_hash, versions=versions)
