"""unpack_into and extract_dataset directly (no CLI, no server): folder members, zip archives,
hard links, the exact limits and what lands where. Written to kill mutants of extract.py."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from dlbox.datasets.extract import (
    Limits,
    UnsafeArchive,
    archive_kind,
    extract_dataset,
    unpack_into,
)
from dlbox.datasets.store import Layout
from dlbox.errors import DlboxError
from tests.unit.datasets.archives import Member, tgz, zip_bytes


def _tar(members: list[tarfile.TarInfo | tuple[tarfile.TarInfo, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for item in members:
            if isinstance(item, tuple):
                info, data = item
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(item)
    return buf.getvalue()


def _dir(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    return info


def _file(name: str, mode: int = 0o644, mtime: int = 1_600_000_000) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mode = mode
    info.mtime = mtime
    return info


def _unpack(tmp_path: Path, body: bytes, limits: Limits | None = None, name: str = "a.tgz"):
    archive = tmp_path / name
    archive.write_bytes(body)
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    return unpack_into(archive, root, limits or Limits(1 << 20)), root


def test_tar_folders_files_modes_and_mtimes(tmp_path: Path) -> None:
    body = _tar(
        [
            _dir("top/"),
            _dir("top/sub"),
            (_file("top/sub/run.sh", 0o755), b"#!/bin/sh\n"),
            (_file("top/./x//y.txt", 0o400), b"abc"),
        ]
    )
    (files, nbytes), root = _unpack(tmp_path, body)
    assert (files, nbytes) == (2, 13)
    run = root / "top" / "sub" / "run.sh"
    assert run.read_bytes() == b"#!/bin/sh\n"
    assert stat.S_IMODE(run.stat().st_mode) == 0o755
    y = root / "top" / "x" / "y.txt"
    assert stat.S_IMODE(y.stat().st_mode) == 0o600  # at least owner rw, never more than 0o755
    assert int(y.stat().st_mtime) == 1_600_000_000
    assert (root / "top" / "sub").is_dir()


def test_a_folder_member_over_a_link_is_refused(tmp_path: Path) -> None:
    body = tgz(
        {}, [Member("d", kind=tarfile.SYMTYPE, linkname="."), Member("d", kind=tarfile.DIRTYPE)]
    )
    with pytest.raises(UnsafeArchive, match="'d' is a folder that replaces a link"):
        _unpack(tmp_path, body)


def test_hard_links_to_earlier_files_are_kept_and_counted(tmp_path: Path) -> None:
    body = tgz({"a/f.txt": b"hello"}, [Member("a/g.txt", kind=tarfile.LNKTYPE, linkname="a/f.txt")])
    (files, nbytes), root = _unpack(tmp_path, body)
    assert (files, nbytes) == (2, 10)
    assert (root / "a" / "g.txt").read_bytes() == b"hello"
    assert os.stat(root / "a" / "g.txt").st_ino == os.stat(root / "a" / "f.txt").st_ino


@pytest.mark.parametrize("target", ["a/missing.txt", "a", "../x", ""])
def test_hard_links_to_anything_else_are_refused(tmp_path: Path, target: str) -> None:
    body = tgz({"a/f.txt": b"x"}, [Member("a/g.txt", kind=tarfile.LNKTYPE, linkname=target)])
    with pytest.raises(UnsafeArchive, match="Refused to unpack a.tgz: member '"):
        _unpack(tmp_path, body)


def test_hard_links_count_toward_the_byte_limit(tmp_path: Path) -> None:
    body = tgz({"f": b"x" * 600}, [Member("g", kind=tarfile.LNKTYPE, linkname="f")])
    with pytest.raises(UnsafeArchive, match="past the limit of 1000 bytes"):
        _unpack(tmp_path, body, Limits(1000))


def test_limits_are_inclusive(tmp_path: Path) -> None:
    body = tgz({"a": b"x" * 10, "b": b"y" * 10})
    (files, nbytes), _ = _unpack(tmp_path, body, Limits(20, 2))
    assert (files, nbytes) == (2, 20)
    for sub, limits, why in (("2", Limits(19, 2), "19 bytes"), ("3", Limits(20, 1), "1 members")):
        (tmp_path / sub).mkdir()
        with pytest.raises(UnsafeArchive, match=f"past the limit of {why}"):
            _unpack(tmp_path / sub, body, limits)


def test_a_lying_tar_header_cannot_pass_the_byte_limit(tmp_path: Path) -> None:
    """The declared sizes pass; the bytes actually written are counted too."""
    body = tgz({"a": b"x" * 50})
    (files, nbytes), _ = _unpack(tmp_path, body, Limits(50))
    assert nbytes == 50
    (tmp_path / "2").mkdir()
    with pytest.raises(UnsafeArchive, match="'a' takes the unpacked size past the limit of 49"):
        _unpack(tmp_path / "2", body, Limits(49))


def test_zip_folders_files_and_safe_links(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("top/"), b"")
        zf.writestr("top\\win.txt", b"backslash")
        zf.writestr("top/a.txt", b"abc")
        link = zipfile.ZipInfo("top/l")
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "a.txt")
    (files, nbytes), root = _unpack(tmp_path, buf.getvalue(), name="a.zip")
    assert (files, nbytes) == (2, 12)
    assert (root / "top" / "win.txt").read_bytes() == b"backslash"
    assert os.readlink(root / "top" / "l") == "a.txt" and (root / "top" / "l").read_text() == "abc"
    assert stat.S_IMODE((root / "top" / "a.txt").stat().st_mode) & 0o600 == 0o600


@pytest.mark.parametrize(
    ("files", "links", "why"),
    [
        ({"/abs.txt": b"x"}, {}, "has an absolute path"),
        ({"C:/win.txt": b"x"}, {}, "has an absolute path"),
        ({"a/../../x": b"x"}, {}, "'..' component"),
        ({}, {"l": "/etc/passwd"}, "is a link to the absolute path '/etc/passwd'"),
        ({}, {"l": "../../x"}, "is a link to '../../x', outside the target"),
    ],
)
def test_zip_escapes_are_refused(
    tmp_path: Path, files: dict[str, bytes], links: dict[str, str], why: str
) -> None:
    with pytest.raises(UnsafeArchive, match=why):
        _unpack(tmp_path, zip_bytes(files, links), name="a.zip")


def test_zip_declared_size_is_checked_before_anything_is_written(tmp_path: Path) -> None:
    body = zip_bytes({"a": b"x" * 30, "b": b"y" * 30})
    with pytest.raises(UnsafeArchive, match="declares 60 unpacked bytes, past the limit of 59"):
        _unpack(tmp_path, body, Limits(59), name="a.zip")
    assert list((tmp_path / "root").iterdir()) == []


def test_zip_special_files_are_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        fifo = zipfile.ZipInfo("pipe")
        fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
        zf.writestr(fifo, b"")
    with pytest.raises(UnsafeArchive, match="'pipe' is a device or special file"):
        _unpack(tmp_path, buf.getvalue(), name="a.zip")


def test_archive_kind_and_not_an_archive(tmp_path: Path) -> None:
    for name, body, kind in [
        ("z", zip_bytes({"a": b"x"}), "zip"),
        ("t", tgz({"a": b"x"}), "tar"),
        ("n", b"<html>not an archive</html>", None),
    ]:
        (tmp_path / name).write_bytes(body)
        assert archive_kind(tmp_path / name) == kind
    (tmp_path / "root").mkdir()
    with pytest.raises(DlboxError, match="n is neither a zip nor a tar archive"):
        unpack_into(tmp_path / "n", tmp_path / "root", Limits(100))


def test_a_damaged_archive_is_an_error(tmp_path: Path) -> None:
    body = tgz({"a": os.urandom(200_000)})
    with pytest.raises(DlboxError, match="a.tgz is damaged or unsupported"):
        _unpack(tmp_path, body[: len(body) * 3 // 5])


def test_extract_dataset_uses_the_single_top_folder_and_replaces_the_old_copy(
    tmp_path: Path,
) -> None:
    layout = Layout(tmp_path / "data")
    layout.ensure()
    archive = tmp_path / "pets.tgz"
    archive.write_bytes(tgz({"pets/a.txt": b"new", "pets/sub/b.txt": b"bb"}))
    old = layout.dataset_dir("pets")
    old.mkdir()
    (old / "stale.txt").write_text("old")
    done = extract_dataset(archive, layout, "pets", Limits(1 << 20))
    assert done.path == old and (done.files, done.bytes) == (2, 5)
    assert sorted(p.name for p in old.iterdir()) == ["a.txt", "sub"]
    assert [p.name for p in layout.root.iterdir() if p.name.startswith(".dlbox-tmp-")] == []
    flat = tmp_path / "flat.tgz"
    flat.write_bytes(tgz({"a.txt": b"1", "b.txt": b"2"}))
    done = extract_dataset(flat, layout, "flat", Limits(1 << 20))
    assert sorted(p.name for p in done.path.iterdir()) == ["a.txt", "b.txt"]


def test_limits_for_archive_defaults_and_overrides() -> None:
    assert Limits.for_archive(10) == Limits(1 << 30, 10_000)
    assert Limits.for_archive(100 << 20) == Limits(2000 << 20, (100 << 20) // 64)
    assert Limits.for_archive(10, max_bytes=5, max_members=3) == Limits(5, 3)
