"""Small generated archives (good and malicious) for the dataset tests."""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

DOGSCATS = {
    "dogscats/train/cats/cat.1.jpg": b"cat-one" * 100,
    "dogscats/train/dogs/dog.1.jpg": b"dog-one" * 100,
    "dogscats/valid/cats/cat.2.jpg": b"cat-two" * 50,
    "dogscats/valid/dogs/dog.2.jpg": b"dog-two" * 50,
    "dogscats/test1/1.jpg": b"unlabelled",
}


@dataclass(frozen=True)
class Member:
    name: str
    data: bytes = b""
    kind: bytes = tarfile.REGTYPE
    linkname: str = ""
    size: int | None = None  # declared size when it differs from len(data)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tgz(files: dict[str, bytes] | None = None, extra: Iterable[Member] = ()) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in (files or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
        for m in extra:
            info = tarfile.TarInfo(m.name)
            info.type = m.kind
            info.linkname = m.linkname
            info.mode = 0o644
            if m.kind == tarfile.REGTYPE:
                info.size = len(m.data)
                tar.addfile(info, io.BytesIO(m.data))
            else:
                tar.addfile(info)
    return buf.getvalue()


def zip_bytes(files: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o120777 << 16
            zf.writestr(info, target)
    return buf.getvalue()
