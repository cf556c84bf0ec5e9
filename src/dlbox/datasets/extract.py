"""Safe extraction of zip and tar(.gz|.bz2|.xz) archives.

Every member is checked before anything is written: absolute paths, `..` components, device files
and links that resolve outside the target are refused, and the unpacked size is bounded (declared
sizes first, then the bytes actually written, so a lying header cannot get past it). Extraction
goes into a hidden temporary folder next to the destination, which is renamed into place only
when complete: a crash or a refusal never leaves a half dataset that looks complete.
"""

from __future__ import annotations

import errno
import os
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from dlbox.datasets.store import Layout, remove_tree
from dlbox.errors import DlboxError

COPY_CHUNK = 1 << 20


class UnsafeArchive(DlboxError):
    """An archive member would escape the target, is a device, or the archive is too big."""


BYTES_PER_MEMBER = 64  # the densest catalog archive (mnist_png) has ~220 archive bytes a file
MIN_MEMBERS = 10_000


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_members: int = MIN_MEMBERS

    @classmethod
    def for_archive(
        cls, archive_size: int, max_bytes: int | None = None, max_members: int | None = None
    ) -> Limits:
        """Default bounds, both proportionate to the archive: 20x its size unpacked (images barely
        compress; CSVs maybe 5x), at least 1 GiB; one member (file, folder, link) per 64 bytes of
        archive, at least 10,000. A bomb of empty files compresses far below 64 bytes a member."""
        return cls(
            max_bytes or max(1 << 30, 20 * archive_size),
            max_members or max(MIN_MEMBERS, archive_size // BYTES_PER_MEMBER),
        )


@dataclass(frozen=True)
class Extracted:
    path: Path
    files: int
    bytes: int


class _Writer:
    """Writes members under `root`, enforcing the rules; counts files and bytes."""

    def __init__(self, root: Path, archive: Path, limits: Limits):
        self.root = root
        self.real_root = os.path.realpath(root)
        self.archive = archive
        self.limits = limits
        self.files = 0
        self.bytes = 0
        self.members = 0

    def refuse(self, member: str, why: str) -> UnsafeArchive:
        return UnsafeArchive(
            f"Refused to unpack {self.archive.name}: member {member!r} {why}.",
            "Nothing was unpacked and the archive was deleted. It is unsafe or not what it claims "
            "to be: get the dataset from a source you trust.",
        )

    def relpath(self, name: str) -> PurePosixPath | None:
        if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
            raise self.refuse(name, "has an absolute path")
        parts = [p for p in name.split("/") if p not in ("", ".")]
        if ".." in parts:
            raise self.refuse(name, "has a '..' component that would escape the target")
        return PurePosixPath(*parts) if parts else None

    def _inside(self, path: str) -> bool:
        real = os.path.realpath(path)
        return real == self.real_root or real.startswith(self.real_root + os.sep)

    def count(self, name: str, declared: int) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            raise self.refuse(
                name,
                f"is past the limit of {self.limits.max_members} members (files, folders, links) "
                "for an archive of this size; if you trust it, pass --max-files N",
            )
        if self.bytes + declared > self.limits.max_bytes:
            raise self.too_big(name)

    def too_big(self, name: str) -> UnsafeArchive:
        return self.refuse(
            name, f"takes the unpacked size past the limit of {self.limits.max_bytes} bytes"
        )

    def _target(self, name: str, rel: PurePosixPath) -> str:
        target = os.path.join(self.root, *rel.parts)
        parent = os.path.dirname(target)
        if not self._inside(parent):
            raise self.refuse(name, "would be written through a link that leads outside the target")
        os.makedirs(parent, exist_ok=True)
        if os.path.lexists(target) and not os.path.isdir(target):
            os.unlink(target)  # a later member replaces an earlier one; never write through links
        return target

    def directory(self, name: str, rel: PurePosixPath) -> None:
        target = self._target(name, rel)
        if os.path.islink(target):
            raise self.refuse(name, "is a folder that replaces a link")
        os.makedirs(target, exist_ok=True)

    def file(
        self, name: str, rel: PurePosixPath, src: IO[bytes], mode: int, mtime: float | None
    ) -> None:
        target = self._target(name, rel)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as out:
            while chunk := src.read(COPY_CHUNK):
                self.bytes += len(chunk)
                if self.bytes > self.limits.max_bytes:
                    raise self.too_big(name)
                out.write(chunk)
        os.chmod(target, (mode & 0o755) | 0o600)
        if mtime is not None:
            os.utime(target, (mtime, mtime))
        self.files += 1

    def symlink(self, name: str, rel: PurePosixPath, link_target: str) -> None:
        if link_target.startswith("/"):
            raise self.refuse(name, f"is a link to the absolute path {link_target!r}")
        target = self._target(name, rel)
        resolved = os.path.join(os.path.dirname(target), link_target)
        if not self._inside(resolved):
            raise self.refuse(name, f"is a link to {link_target!r}, outside the target")
        os.symlink(link_target, target)

    def hardlink(self, name: str, rel: PurePosixPath, link_name: str) -> None:
        source_rel = self.relpath(link_name)
        source = os.path.join(self.root, *(source_rel.parts if source_rel else ()))
        if source_rel is None or not self._inside(source) or not os.path.isfile(source):
            raise self.refuse(name, f"is a hard link to {link_name!r}, not a file in the archive")
        target = self._target(name, rel)
        os.link(os.path.realpath(source), target)
        self.files += 1
        self.bytes += os.path.getsize(target)
        if self.bytes > self.limits.max_bytes:
            raise self.too_big(name)


def check_links(root: Path, archive: Path) -> None:
    """Links can chain (a link through another link); check where every one ends up."""
    real_root = os.path.realpath(root)
    for folder, dirs, names in os.walk(root):
        for entry in (*dirs, *names):
            path = os.path.join(folder, entry)
            real = os.path.realpath(path)
            if os.path.islink(path) and not real.startswith(real_root + os.sep):
                rel = os.path.relpath(path, root)
                raise _Writer(root, archive, Limits(0)).refuse(
                    rel, "is a link that resolves outside the target"
                )


def _extract_tar(archive: Path, writer: _Writer) -> None:
    with tarfile.open(archive, mode="r|*", bufsize=COPY_CHUNK) as tar:  # 1 MiB reads, not 10 KiB
        for member in tar:
            rel = writer.relpath(member.name)
            writer.count(member.name, member.size if member.isreg() else 0)
            if member.isdev() or not (
                member.isreg() or member.isdir() or member.issym() or member.islnk()
            ):
                raise writer.refuse(member.name, "is a device or special file")
            if rel is None:
                continue
            if member.isdir():
                writer.directory(member.name, rel)
            elif member.issym():
                writer.symlink(member.name, rel, member.linkname)
            elif member.islnk():
                writer.hardlink(member.name, rel, member.linkname)
            else:
                src = tar.extractfile(member)
                assert src is not None
                writer.file(member.name, rel, src, member.mode, float(member.mtime))


def _extract_zip(archive: Path, writer: _Writer) -> None:
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        declared = sum(i.file_size for i in infos)
        if declared > writer.limits.max_bytes:
            raise writer.refuse(
                archive.name,
                f"declares {declared} unpacked bytes, past the limit of {writer.limits.max_bytes}",
            )
        for info in infos:
            name = info.filename.replace("\\", "/")
            rel = writer.relpath(name)
            writer.count(name, info.file_size)
            mode = info.external_attr >> 16
            kind = stat.S_IFMT(mode)
            if kind and kind not in (stat.S_IFREG, stat.S_IFDIR, stat.S_IFLNK):
                raise writer.refuse(name, "is a device or special file")
            if rel is None:
                continue
            if info.is_dir():
                writer.directory(name, rel)
            elif kind == stat.S_IFLNK:
                writer.symlink(name, rel, zf.read(info).decode("utf-8", "replace"))
            else:
                mtime = None
                with zf.open(info) as src:
                    writer.file(name, rel, src, mode or 0o644, mtime)


def archive_kind(path: Path) -> str | None:
    if zipfile.is_zipfile(path):
        return "zip"
    try:
        with tarfile.open(path, mode="r:*"):
            return "tar"
    except (tarfile.TarError, OSError, EOFError, zlib.error):
        return None


class UnpackNoSpace(DlboxError):
    """The disk filled up while unpacking: the archive itself is fine and is kept."""


def unpack_into(archive: Path, root: Path, limits: Limits) -> tuple[int, int]:
    """Extract `archive` into the (empty) folder `root`; returns (files, bytes)."""
    kind = archive_kind(archive)
    if kind is None:
        raise DlboxError(
            f"{archive.name} is neither a zip nor a tar archive, so it cannot be unpacked.",
            "Check the URL points at the archive itself (not a web page about it).",
        )
    writer = _Writer(root, archive, limits)
    try:
        (_extract_zip if kind == "zip" else _extract_tar)(archive, writer)
    except (tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError) as exc:
        raise DlboxError(
            f"{archive.name} is damaged or unsupported: {exc}.",
            "It was deleted; run the same command again to download it afresh.",
        ) from exc
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise UnpackNoSpace(
                f"The disk filled up while unpacking {archive.name} ({exc.strerror}).",
                f"Free space in {root.parent.parent} (or pick another data_dir), then run the "
                "same command again: the archive is kept, nothing half-unpacked is left.",
            ) from exc
        raise DlboxError(
            f"{archive.name} cannot be unpacked: {exc.strerror} at "
            f"{exc.filename or 'an entry'} (entries that clash, e.g. a file and a folder of "
            "the same name).",
            "The archive was rejected; check its source, or unpack it by hand to inspect it.",
        ) from exc
    check_links(root, archive)
    return writer.files, writer.bytes


def extract_dataset(archive: Path, layout: Layout, name: str, limits: Limits) -> Extracted:
    """Unpack into a hidden temp folder, then rename it to DATA_DIR/<name> in one step. A single
    top-level folder in the archive (the usual `dogscats/...`) becomes the dataset folder."""
    tmp = layout.new_tmp_dir(name)
    try:
        staging = tmp / "x"
        staging.mkdir()
        files, nbytes = unpack_into(archive, staging, limits)
        entries = list(staging.iterdir())
        content = staging
        if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
            content = entries[0]
            check_links(content, archive)
        final = layout.dataset_dir(name)
        if final.exists() or final.is_symlink():
            old = tmp / "old"
            os.rename(final, old)  # the old copy vanishes in one step, the new one appears in one
        os.rename(content, final)
        return Extracted(final, files, nbytes)
    finally:
        remove_tree(tmp)
