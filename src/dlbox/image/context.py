"""The build context of an image: the files rendered from an EnvSpec (render.py), and the content
hash over them that names the image. One pass: spec -> render -> context."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from dlbox.image.render import render_context
from dlbox.image.spec import IMAGE_REPOSITORY, EnvSpec

HASH_LENGTH = 16


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
            if rel in ("dlbox-start", "dlbox-healthcheck"):
                path.chmod(0o755)
        return folder


def _digest(files: dict[str, str], spec: EnvSpec) -> str:
    h = hashlib.sha256()
    h.update(f"arch={spec.arch}\nbase={spec.base_image}\nbase_id={spec.base_image_id}\n".encode())
    for rel in sorted(files):
        h.update(rel.encode() + b"\0" + files[rel].encode() + b"\0")
    return h.hexdigest()[:HASH_LENGTH]


# Versions named in the image's labels (jupyterhub: what `dlbox hub` and Kubernetes must match).
LABELLED_VERSIONS = ("fastai", "torch", "torchvision", "jupyterlab", "jupyterhub")


def build_context(spec: EnvSpec) -> BuildContext:
    """Render the Dockerfile and gather the context; the hash covers all of it plus the base ID."""
    lockset = spec.lockset()
    versions = {name: lockset.version(name) for name in LABELLED_VERSIONS}
    # The hash is taken over the context rendered with an empty hash label, then the label is
    # filled in: the label cannot be part of its own input.
    unlabelled = render_context(spec, lockset, versions, spec_hash="")
    spec_hash = _digest(unlabelled, spec)
    files = render_context(spec, lockset, versions, spec_hash=spec_hash)
    return BuildContext(files=files, spec_hash=spec_hash, versions=versions)
