"""The dataset use cases: get, list, verify, rm. Each returns a result with to_dict()."""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dlbox.datasets.catalog import CATALOG_LIST, Dataset, Source, lookup
from dlbox.datasets.download import DownloadOptions, Events, check_problems, fetch, file_digest
from dlbox.datasets.extract import Limits, UnpackNoSpace, UnsafeArchive, extract_dataset
from dlbox.datasets.store import Layout, Record, dataset_lock, remove_tree, tree_size
from dlbox.errors import DlboxError, UsageError, writes_under
from dlbox.names import is_valid_name
from dlbox.redact import redact_url


@dataclass(frozen=True)
class GetOptions:
    force: bool = False
    download: DownloadOptions = field(default_factory=DownloadOptions)
    max_unpacked_bytes: int | None = None  # default: Limits.for_archive
    max_members: int | None = None  # default: Limits.for_archive


@dataclass(frozen=True)
class GetResult:
    name: str
    path: Path
    status: str  # downloaded | unpacked (from a kept archive) | present | found (not by dlbox)
    url: str | None = None
    archive: Path | None = None
    size: int | None = None
    sha256: str | None = None
    check: str | None = None
    fetched_bytes: int = 0
    resumed_from: int = 0
    files: int | None = None
    bytes: int | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["path"] = str(self.path)
        data["archive"] = str(self.archive) if self.archive else None
        return data


def get_dataset(
    layout: Layout,
    dataset: Dataset,
    options: GetOptions | None = None,
    events: Events | None = None,
) -> GetResult:
    """Make DATA_DIR/<name> present: download (resuming), verify, extract safely, record."""
    options = options or GetOptions()
    events = events or Events()
    name = dataset.name
    started = time.monotonic()
    if not options.force:  # present already: nothing to write (a read-only data folder is fine)
        done = _present(layout, dataset, events)
        if done is not None:
            return done
    with writes_under(DATA_FIX), dataset_lock(layout, name, on_wait=lambda: events.waiting(name)):
        layout.clear_stale_tmp(name)
        if not options.force:
            done = _present(layout, dataset, events)
            if done is not None:
                return done
        first_error: DlboxError | None = None
        for source in dataset.sources:
            try:
                result = _get_from(layout, name, source, options, events)
            except (UnsafeArchive, UnpackNoSpace):
                raise
            except DlboxError as exc:
                first_error = first_error or exc
                continue
            return GetResult(
                **{
                    **asdict(result),
                    "path": result.path,
                    "archive": result.archive,
                    "seconds": time.monotonic() - started,
                }
            )
        assert first_error is not None
        raise first_error


DATA_FIX = "choose another data folder (--data-dir, or `dlbox config set data_dir PATH`)"


def _present(layout: Layout, dataset: Dataset, events: Events) -> GetResult | None:
    """The dataset as it is on disk, when it is there; None when it must be fetched. A copy that
    dlbox verified against another checksum than the one asked for now is an error, not success."""
    name = dataset.name
    final = layout.dataset_dir(name)
    if not final.exists():
        return None
    record = layout.read_record(name)
    if record is None:
        events.found(name, "found")
        return GetResult(name, final, "found")
    asked = {s.checks.sha256 for s in dataset.sources if s.checks.sha256}
    same_source = record.url in {redact_url(s.url) for s in dataset.sources}
    if asked and record.sha256 not in asked and (dataset.custom or same_source):
        raise DlboxError(
            f"{name} is present in {layout.root}, but its archive has sha256 {record.sha256}, "
            f"not the {' or '.join(sorted(asked))} asked for now.",
            f"Run the same command with --force to download and verify it again (replacing the "
            f"present copy), or `dlbox data rm {name}` first.",
        )
    events.found(name, "present")
    return GetResult(
        name,
        final,
        "present",
        record.url,
        layout.archive(record.archive),
        record.size,
        record.sha256,
        record.check,
        files=record.files,
        bytes=record.bytes,
    )


def _get_from(
    layout: Layout, name: str, source: Source, options: GetOptions, events: Events
) -> GetResult:
    archive = layout.archive(source.filename)
    part = layout.partial(source.filename)
    if options.force:
        archive.unlink(missing_ok=True)
    status = "unpacked"
    fetched_bytes = resumed_from = 0
    digest: tuple[int, str, str] | None = None
    if archive.is_file():
        digest = file_digest(archive)
        if check_problems(source.checks, *digest):
            archive.unlink()  # stale or damaged: fetch it again
            digest = None
    if digest is None:
        status = "downloaded"
        fetched = fetch(source.url, part, source.checks, events, options.download)
        fetched_bytes, resumed_from = fetched.fetched_bytes, fetched.resumed_from
        digest = (fetched.size, fetched.sha256, fetched.md5_first_mib)
        problems = check_problems(source.checks, *digest)
        if problems:
            part.unlink(missing_ok=True)
            raise DlboxError(
                f"Checksum mismatch for {name} from {source.url}: {'; '.join(problems)}. "
                "The download was removed and nothing was unpacked.",
                "Run the command again (the file may have been corrupted in transit); if it "
                "fails the same way, the file on the server changed: check the --sha256 you gave "
                "or report it.",
            )
        os.replace(part, archive)
    size, sha256, _md5 = digest
    events.extracting(name)
    limits = Limits.for_archive(size, options.max_unpacked_bytes, options.max_members)
    try:
        extracted = extract_dataset(archive, layout, name, limits)
    except UnpackNoSpace:
        raise  # the archive is good: keep it for the next try
    except DlboxError:
        archive.unlink(missing_ok=True)  # unsafe or damaged: never offer it again
        raise
    record = Record(
        name,
        redact_url(source.url),
        archive.name,
        size,
        sha256,
        source.checks.strength,
        extracted.files,
        extracted.bytes,
        time.time(),
    )
    layout.write_record(record)
    return GetResult(
        name,
        extracted.path,
        status,
        redact_url(source.url),
        archive,
        size,
        sha256,
        source.checks.strength,
        fetched_bytes,
        resumed_from,
        extracted.files,
        extracted.bytes,
    )


@dataclass(frozen=True)
class DatasetStatus:
    name: str
    state: str  # present | found (not by dlbox) | partial | archive (not unpacked) | absent
    description: str
    url: str
    size: int | None  # archive size, as published
    aliases: list[str]
    custom: bool
    unpacked_bytes: int | None = None
    partial_bytes: int | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class ListResult:
    data_dir: Path
    datasets: list[DatasetStatus]

    def to_dict(self) -> dict[str, object]:
        return {"data_dir": str(self.data_dir), "datasets": [d.to_dict() for d in self.datasets]}


def _status(layout: Layout, dataset: Dataset) -> DatasetStatus:
    record = layout.read_record(dataset.name)
    present = layout.dataset_dir(dataset.name).is_dir()
    partial = max(
        (
            layout.partial(s.filename).stat().st_size
            for s in dataset.sources
            if layout.partial(s.filename).is_file()
        ),
        default=None,
    )
    if present:
        state = "present" if record else "found"
    elif partial is not None:
        state = "partial"
    elif any(layout.archive(s.filename).is_file() for s in dataset.sources):
        state = "archive"
    else:
        state = "absent"
    url = record.url if record else dataset.sources[0].url
    return DatasetStatus(
        dataset.name,
        state,
        dataset.description,
        url,
        dataset.size,
        list(dataset.aliases),
        dataset.custom,
        record.bytes if record and present else None,
        partial,
    )


def _from_record(record: Record) -> Dataset:
    return Dataset(record.name, (Source(record.url),), "custom download", custom=True)


def list_datasets(layout: Layout) -> ListResult:
    known = {d.name for d in CATALOG_LIST}
    customs = [_from_record(r) for r in layout.records() if r.name not in known]
    return ListResult(layout.root, [_status(layout, d) for d in (*CATALOG_LIST, *customs)])


def _name(layout: Layout, text: str) -> str:
    dataset = lookup(text)
    if dataset is not None:
        return dataset.name
    if is_valid_name(text) and (layout.read_record(text) or layout.dataset_dir(text).is_dir()):
        return text
    raise UsageError(
        f"Unknown dataset {text!r}.",
        "`dlbox data list` shows the catalog and what is in the data folder.",
    )


@dataclass(frozen=True)
class VerifyItem:
    name: str
    ok: bool
    problems: list[str]
    checked: list[str]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class VerifyResult:
    data_dir: Path
    items: list[VerifyItem]

    @property
    def ok(self) -> bool:
        return all(i.ok for i in self.items)

    def to_dict(self) -> dict[str, object]:
        return {
            "data_dir": str(self.data_dir),
            "ok": self.ok,
            "datasets": [i.to_dict() for i in self.items],
        }


def verify_datasets(layout: Layout, names: list[str] | None = None) -> VerifyResult:
    """Check what dlbox recorded: the archive's sha256 (and published checks) and the unpacked
    folder's file count and total size."""
    wanted = [_name(layout, n) for n in names] if names else [r.name for r in layout.records()]
    return VerifyResult(layout.root, [_verify_one(layout, n) for n in wanted])


def _verify_one(layout: Layout, name: str) -> VerifyItem:
    record = layout.read_record(name)
    if record is None:
        return VerifyItem(
            name, False, [f"not downloaded by dlbox (no record): run `dlbox data get {name}`"], []
        )
    problems: list[str] = []
    checked: list[str] = []
    folder = layout.dataset_dir(name)
    if not folder.is_dir():
        problems.append(f"{folder} is missing")
    else:
        files, nbytes = tree_size(folder)
        checked.append("unpacked files")
        if (files, nbytes) != (record.files, record.bytes):
            problems.append(
                f"{folder} has {files} files, {nbytes} bytes; unpacked were "
                f"{record.files} files, {record.bytes} bytes"
            )
    archive = layout.archive(record.archive)
    if archive.is_file():
        size, sha256, md5 = file_digest(archive)
        checked.append("archive sha256")
        if sha256 != record.sha256 or size != record.size:
            problems.append(
                f"{archive} changed since download (sha256 {sha256}, expected {record.sha256})"
            )
        catalog = lookup(name)
        for source in catalog.sources if catalog else ():
            if redact_url(source.url) == record.url:
                problems += [
                    f"{archive}: {p}" for p in check_problems(source.checks, size, sha256, md5)
                ]
    return VerifyItem(name, not problems, problems, checked)


@dataclass(frozen=True)
class RemoveResult:
    name: str
    removed: list[str]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def remove_dataset(layout: Layout, text: str, keep_archive: bool = False) -> RemoveResult:
    name = _name(layout, text)
    if not layout.root.is_dir():  # a mistyped --data-dir: say so, and create nothing
        raise DlboxError(
            f"The data folder {layout.root} does not exist: nothing to remove.",
            "Check --data-dir (`dlbox config show` shows data_dir); `dlbox data list` shows "
            "what is present.",
        )
    with writes_under(DATA_FIX), dataset_lock(layout, name):
        record = layout.read_record(name)
        dataset = lookup(name)
        filenames = {s.filename for s in dataset.sources} if dataset else set()
        if record:
            filenames.add(record.archive)
        targets = [layout.dataset_dir(name)]
        for fname in sorted(filenames):
            targets.append(layout.partial(fname))
            if not keep_archive:
                targets.append(layout.archive(fname))
        removed = [str(t) for t in targets if t.exists() or t.is_symlink()]
        if not removed and record is None:
            raise DlboxError(
                f"{name} is not in {layout.root}: nothing to remove.",
                "`dlbox data list` shows what is present.",
            )
        folder = layout.dataset_dir(name)
        if folder.exists():  # vanish in one step, then delete at leisure
            doomed = layout.new_tmp_dir(name)
            os.rename(folder, doomed / "old")
            remove_tree(doomed)
        for target in targets[1:]:
            remove_tree(target)
        layout.record_path(name).unlink(missing_ok=True)
        return RemoveResult(name, removed)
