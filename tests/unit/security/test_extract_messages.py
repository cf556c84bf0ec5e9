"""What a user sees when an archive is unpacked: every refusal names the member that caused it and
says what to do; link chains that only lead outside once later members exist are refused with
nothing written through them; the usual archive shapes (`./` first, a folder entry after its
files, files from Windows zips, limits hit exactly) unpack completely. Written against surviving
mutants of datasets/extract.py (see CONTRIBUTING.md, "Mutation testing")."""

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
    UnpackNoSpace,
    UnsafeArchive,
    extract_dataset,
    unpack_into,
)
from dlbox.datasets.store import Layout
from dlbox.errors import DlboxError
from tests.unit.datasets.archives import Member, tgz, zip_bytes

HINT = (
    "Nothing was unpacked and the archive was deleted. It is unsafe or not what it claims to be: "
    "get the dataset from a source you trust."
)


def _unpack(tmp_path: Path, body: bytes, name: str, limits: Limits | None = None) -> Path:
    archive = tmp_path / name
    archive.write_bytes(body)
    root = tmp_path / "root"
    root.mkdir()
    unpack_into(archive, root, limits or Limits(1 << 20))
    return root


def _refused(tmp_path: Path, body: bytes, name: str, limits: Limits | None = None) -> str:
    with pytest.raises(UnsafeArchive) as caught:
        _unpack(tmp_path, body, name, limits)
    assert caught.value.hint == HINT
    return caught.value.message


def _zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return buf.getvalue()


def _zip_link(name: str, target: bytes) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o120777 << 16
    return info, target


# `d/e/a -> b/../../f` resolves to d/f while `d/e/b` does not exist; `d/e/b -> ..` resolves to d.
# Each is inside alone; together `d/e/a` leads to f beside the target: everything under it and
# the link itself are refused.
CHAIN = [
    Member("d/", kind=tarfile.DIRTYPE),
    Member("d/e/", kind=tarfile.DIRTYPE),
    Member("d/e/a", kind=tarfile.SYMTYPE, linkname="b/../../f"),
    Member("d/e/b", kind=tarfile.SYMTYPE, linkname=".."),
]


@pytest.mark.parametrize(
    "member",
    [
        Member("d/e/a/evil.txt", b"pwned"),
        Member("d/e/a/evil", kind=tarfile.DIRTYPE),
        Member("d/e/a/evil", kind=tarfile.SYMTYPE, linkname="x"),
        Member("d/e/a/evil", kind=tarfile.LNKTYPE, linkname="f.txt"),
    ],
    ids=["file", "folder", "link", "hard-link"],
)
def test_nothing_is_written_through_a_link_chain_that_leads_outside(
    tmp_path: Path, member: Member
) -> None:
    work = tmp_path / "box"
    work.mkdir()
    body = tgz({"f.txt": b"ok"}, [*CHAIN, member])
    message = _refused(work, body, "a.tgz")
    assert message == (
        f"Refused to unpack a.tgz: member {member.name!r} would be written through a link that "
        "leads outside the target."
    )
    assert sorted(os.listdir(work)) == ["a.tgz", "root"]  # nothing reached the parent


@pytest.mark.parametrize(
    "entry",
    [
        ("d/e/a/evil.txt", b"pwned"),
        (zipfile.ZipInfo("d/e/a/evil/"), b""),
        _zip_link("d/e/a/evil", b"x"),
    ],
    ids=["file", "folder", "link"],
)
def test_zip_members_through_a_link_chain_are_refused_by_name(
    tmp_path: Path, entry: tuple[zipfile.ZipInfo | str, bytes]
) -> None:
    work = tmp_path / "box"
    work.mkdir()
    body = _zip([_zip_link("d/e/a", b"b/../../f"), _zip_link("d/e/b", b".."), entry])
    name = entry[0] if isinstance(entry[0], str) else entry[0].filename
    assert _refused(work, body, "a.zip") == (
        f"Refused to unpack a.zip: member {name!r} would be written through a link that leads "
        "outside the target."
    )
    assert sorted(os.listdir(work)) == ["a.zip", "root"]


def test_a_chain_with_nothing_written_through_it_is_found_afterwards(tmp_path: Path) -> None:
    """The check after unpacking names the link, relative to the target."""
    message = _refused(tmp_path, tgz({"f.txt": b"ok"}, CHAIN), "a.tgz")
    assert message == (
        "Refused to unpack a.tgz: member 'd/e/a' is a link that resolves outside the target."
    )


@pytest.mark.parametrize(
    ("link", "why"),
    [
        ("/etc/passwd", "is a link to the absolute path '/etc/passwd'"),
        ("../../x", "is a link to '../../x', outside the target"),
    ],
)
@pytest.mark.parametrize("kind", ["tgz", "zip"])
def test_escaping_links_are_refused_by_name(tmp_path: Path, kind: str, link: str, why: str) -> None:
    if kind == "tgz":
        body = tgz({}, [Member("top/l", kind=tarfile.SYMTYPE, linkname=link)])
    else:
        body = zip_bytes({}, {"top/l": link})
    assert _refused(tmp_path, body, f"a.{kind}") == (
        f"Refused to unpack a.{kind}: member 'top/l' {why}."
    )


@pytest.mark.parametrize(
    "kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE, b"Z"], ids=str
)
def test_devices_and_unknown_member_types_are_refused_by_name(tmp_path: Path, kind: bytes) -> None:
    """An unknown type ('Z') would otherwise be unpacked as a plain file."""
    body = tgz({"ok.txt": b"1"}, [Member("top/odd", kind=kind)])
    assert _refused(tmp_path, body, "a.tgz") == (
        "Refused to unpack a.tgz: member 'top/odd' is a device or special file."
    )


def test_a_hard_link_to_a_folder_is_refused_by_name(tmp_path: Path) -> None:
    body = tgz({"top/f": b"x"}, [Member("top/h", kind=tarfile.LNKTYPE, linkname="top")])
    assert _refused(tmp_path, body, "a.tgz") == (
        "Refused to unpack a.tgz: member 'top/h' is a hard link to 'top', not a file in the "
        "archive."
    )


def test_a_hard_link_past_the_byte_limit_is_refused_by_name_and_one_at_it_passes(
    tmp_path: Path,
) -> None:
    body = tgz({"f": b"x" * 500}, [Member("g", kind=tarfile.LNKTYPE, linkname="f")])
    (tmp_path / "1").mkdir()
    root = _unpack(tmp_path / "1", body, "a.tgz", Limits(1000))
    assert (root / "g").read_bytes() == b"x" * 500
    (tmp_path / "2").mkdir()
    assert _refused(tmp_path / "2", body, "a.tgz", Limits(999)) == (
        "Refused to unpack a.tgz: member 'g' takes the unpacked size past the limit of 999 bytes."
    )


def test_zip_declared_size_refusal_names_the_archive_and_the_limit_is_inclusive(
    tmp_path: Path,
) -> None:
    body = zip_bytes({"a": b"x" * 30, "b": b"y" * 30})
    (tmp_path / "1").mkdir()
    root = _unpack(tmp_path / "1", body, "a.zip", Limits(60))
    assert (root / "a").read_bytes() == b"x" * 30 and (root / "b").read_bytes() == b"y" * 30
    (tmp_path / "2").mkdir()
    assert _refused(tmp_path / "2", body, "a.zip", Limits(59)) == (
        "Refused to unpack a.zip: member 'a.zip' declares 60 unpacked bytes, past the limit of 59."
    )


def test_zip_member_limit_names_the_first_member_past_it(tmp_path: Path) -> None:
    body = zip_bytes({"a": b"1", "b": b"2", "c": b"3"})
    assert _refused(tmp_path, body, "a.zip", Limits(100, 2)) == (
        "Refused to unpack a.zip: member 'c' is past the limit of 2 members (files, folders, "
        "links) for an archive of this size; if you trust it, pass --max-files N."
    )


@pytest.mark.parametrize("kind", ["tgz", "zip"])
def test_a_leading_dot_entry_does_not_stop_the_unpacking(tmp_path: Path, kind: str) -> None:
    """`tar -czf x.tgz -C folder .` starts with `./`: everything after it is still unpacked."""
    if kind == "tgz":
        body = tgz(
            {},
            [
                Member("./", kind=tarfile.DIRTYPE),
                Member("./a.txt", b"a"),
                Member("./sub/", kind=tarfile.DIRTYPE),
                Member("./sub/b.txt", b"b"),
            ],
        )
    else:
        body = _zip([(zipfile.ZipInfo("./"), b""), ("./a.txt", b"a"), ("./sub/b.txt", b"b")])
    root = _unpack(tmp_path, body, f"a.{kind}")
    assert (root / "a.txt").read_bytes() == b"a" and (root / "sub" / "b.txt").read_bytes() == b"b"


def test_a_folder_entry_after_its_files_and_a_repeated_one_are_fine(tmp_path: Path) -> None:
    body = tgz(
        {"top/a.txt": b"a"},
        [Member("top/", kind=tarfile.DIRTYPE), Member("top/", kind=tarfile.DIRTYPE)],
    )
    root = _unpack(tmp_path, body, "a.tgz")
    assert (root / "top" / "a.txt").read_bytes() == b"a"
    zipped = _zip([("z/a.txt", b"a"), (zipfile.ZipInfo("z/"), b"")])
    (tmp_path / "2").mkdir()
    assert (_unpack(tmp_path / "2", zipped, "a.zip") / "z" / "a.txt").read_bytes() == b"a"


def test_folder_members_do_not_count_toward_the_byte_limit(tmp_path: Path) -> None:
    body = tgz({"a": b"x" * 10}, [Member("d/", kind=tarfile.DIRTYPE)])
    root = _unpack(tmp_path, body, "a.tgz", Limits(10))
    assert (root / "a").read_bytes() == b"x" * 10 and (root / "d").is_dir()


def test_files_from_a_zip_without_unix_modes_are_0644(tmp_path: Path) -> None:
    """Zips made on Windows carry no Unix mode: readable by all, writable by the owner."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("win.txt", b"w")
        zf.infolist()[0].external_attr = 0  # as written on Windows (the directory is written last)
    root = _unpack(tmp_path, buf.getvalue(), "a.zip")
    assert stat.S_IMODE((root / "win.txt").stat().st_mode) == 0o644


def test_a_zip_link_whose_target_is_not_utf8_is_unpacked_not_a_crash(tmp_path: Path) -> None:
    root = _unpack(tmp_path, _zip([_zip_link("l", b"caf\xe9.txt")]), "a.zip")
    assert os.readlink(root / "l") == "caf\ufffd.txt"


def test_clashing_entries_name_the_archive_and_the_entry(tmp_path: Path) -> None:
    body = tgz({"ds/a": b"file", "ds/a/b": b"under a file"})
    with pytest.raises(DlboxError) as caught:
        _unpack(tmp_path, body, "ds.tgz")
    message = caught.value.message
    assert message.startswith("ds.tgz cannot be unpacked: ")
    assert message.endswith(
        "/root/ds/a (entries that clash, e.g. a file and a folder of the same name)."
    )
    assert caught.value.hint == (
        "The archive was rejected; check its source, or unpack it by hand to inspect it."
    )


def test_a_damaged_archive_says_how_to_get_a_fresh_copy(tmp_path: Path) -> None:
    body = tgz({"a": os.urandom(200_000)})
    with pytest.raises(DlboxError) as caught:
        _unpack(tmp_path, body[: len(body) // 2], "a.tgz")
    assert caught.value.message.startswith("a.tgz is damaged or unsupported: ")
    assert caught.value.hint == "It was deleted; run the same command again to download it afresh."


def test_a_refused_archive_leaves_the_present_dataset_and_no_temp_folder(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "data")
    layout.ensure()
    present = layout.dataset_dir("pets")
    present.mkdir()
    (present / "keep.txt").write_text("old")
    archive = tmp_path / "pets.tgz"
    archive.write_bytes(tgz({"pets/a.txt": b"new"}, [*CHAIN, Member("d/e/a/x", b"x")]))
    with pytest.raises(UnsafeArchive):
        extract_dataset(archive, layout, "pets", Limits(1 << 20))
    assert sorted(p.name for p in present.iterdir()) == ["keep.txt"]
    assert [p.name for p in layout.root.iterdir() if p.name.startswith(".dlbox-tmp-")] == []
    assert not (tmp_path / "f").exists() and not (layout.root / "f").exists()


def test_not_an_archive_says_to_check_the_url(tmp_path: Path) -> None:
    with pytest.raises(DlboxError) as caught:
        _unpack(tmp_path, b"<html>moved</html>", "a.zip")
    assert caught.value.message == (
        "a.zip is neither a zip nor a tar archive, so it cannot be unpacked."
    )
    assert caught.value.hint == (
        "Check the URL points at the archive itself (not a web page about it)."
    )


def test_an_archive_of_one_file_becomes_a_folder_holding_it(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "data")
    layout.ensure()
    archive = tmp_path / "table.tgz"
    archive.write_bytes(tgz({"table.csv": b"a,b\n"}))
    done = extract_dataset(archive, layout, "table", Limits(1 << 20))
    assert done.path.is_dir() and (done.path / "table.csv").read_bytes() == b"a,b\n"


def test_the_default_member_limit_is_a_whole_number() -> None:
    """Refusals print it: 'past the limit of 10001 members', never '10001.0'."""
    assert str(Limits.for_archive(64 * 10_001 + 63).max_members) == "10001"


@pytest.mark.skipif(os.geteuid() != 0, reason="a small filesystem needs a tmpfs mount (root)")
def test_a_full_disk_keeps_the_archive_and_says_where_to_free_space(tmp_path: Path) -> None:
    import subprocess

    small = tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(small)], check=True)
    try:
        staging = small / "data" / ".dlbox-tmp-x" / "x"
        staging.mkdir(parents=True)
        archive = tmp_path / "big.tgz"
        archive.write_bytes(tgz({"big.bin": os.urandom(256 * 1024)}))
        with pytest.raises(UnpackNoSpace) as caught:
            unpack_into(archive, staging, Limits(1 << 30))
    finally:
        subprocess.run(["umount", str(small)], check=True)
    assert caught.value.message == (
        "The disk filled up while unpacking big.tgz (No space left on device)."
    )
    assert caught.value.hint == (
        f"Free space in {small / 'data'} (or pick another data_dir), then run the same command "
        "again: the archive is kept, nothing half-unpacked is left."
    )


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("/etc/cron.d/x", "has an absolute path"),
        ("C:", "has an absolute path"),
        ("C:evil.txt", "has an absolute path"),
        ("top/../../x", "has a '..' component that would escape the target"),
    ],
)
def test_member_paths_that_escape_are_refused_by_name(tmp_path: Path, name: str, why: str) -> None:
    assert _refused(tmp_path, tgz({"ok.txt": b"1", name: b"x"}), "a.tgz") == (
        f"Refused to unpack a.tgz: member {name!r} {why}."
    )
    assert sorted(os.listdir(tmp_path)) == ["a.tgz", "root", "work"]


def test_a_later_member_of_the_same_name_replaces_the_earlier_one(tmp_path: Path) -> None:
    body = tgz({}, [Member("top/a.txt", b"first"), Member("top/a.txt", b"second")])
    root = _unpack(tmp_path, body, "a.tgz")
    assert (root / "top" / "a.txt").read_bytes() == b"second"


def test_members_named_only_dot_are_skipped(tmp_path: Path) -> None:
    body = tgz({}, [Member(".", b"?"), Member("./", b"?"), Member("./a.txt", b"a")])
    root = _unpack(tmp_path, body, "a.tgz")
    assert os.listdir(root) == ["a.txt"] and (root / "a.txt").read_bytes() == b"a"
