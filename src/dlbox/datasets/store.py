"""Where datasets live on disk, what dlbox remembers about them, and the per-dataset lock.

DATA_DIR/<name>/...                 the extracted dataset (what fastai's untar_data looks for)
DATA_DIR/archive/<file>             the verified archive (fastai's archive path)
DATA_DIR/archive/<file>.part        a download in progress (resumed with HTTP Range)
DATA_DIR/.dlbox/<name>.json         the record written once the dataset is complete
DATA_DIR/.dlbox/<name>.lock         flock held while a process fetches or removes <name>
DATA_DIR/.dlbox-tmp-<name>-*        extraction in progress (never looks like a dataset)
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from dlbox.errors import DlboxError
from dlbox.names import check_name, is_valid_name
from dlbox.redact import redact_url

STATE = ".dlbox"
TMP_PREFIX = ".dlbox-tmp-"


@dataclass(frozen=True)
class Record:
    """What dlbox wrote when it finished a dataset (DATA_DIR/.dlbox/<name>.json)."""

    name: str
    url: str
    archive: str  # file name under DATA_DIR/archive
    size: int
    sha256: str
    check: str  # what the archive was checked against before extraction
    files: int
    bytes: int
    completed_at: float

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def archive_dir(self) -> Path:
        return self.root / "archive"

    @property
    def state_dir(self) -> Path:
        return self.root / STATE

    def dataset_dir(self, name: str) -> Path:
        return self.root / check_name("dataset", name)

    def archive(self, filename: str) -> Path:
        return self.archive_dir / filename

    def partial(self, filename: str) -> Path:
        return self.archive_dir / (filename + ".part")

    def record_path(self, name: str) -> Path:
        return self.state_dir / f"{check_name('dataset', name)}.json"

    def lock_path(self, name: str) -> Path:
        return self.state_dir / f"{check_name('dataset', name)}.lock"

    def ensure(self) -> None:
        try:
            for folder in (self.root, self.archive_dir, self.state_dir):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DlboxError(
                f"Cannot create the data folder {self.root}: {exc.strerror}.",
                "Choose a writable folder with --data-dir or `dlbox config set data_dir PATH`.",
            ) from exc

    def read_record(self, name: str) -> Record | None:
        path = self.record_path(name)
        try:
            data = json.loads(path.read_text())
            return Record(**{k: data[k] for k in Record.__dataclass_fields__})
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write_record(self, record: Record) -> None:
        path = self.record_path(record.name)
        tmp = path.with_suffix(".json.tmp")
        data = record.to_dict()
        data["url"] = redact_url(record.url)  # credentials never reach the (0644) record
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, path)

    def records(self) -> list[Record]:
        if not self.state_dir.is_dir():
            return []
        stems = (p.stem for p in sorted(self.state_dir.glob("*.json")))
        found = (self.read_record(stem) for stem in stems if is_valid_name(stem))
        return [r for r in found if r is not None]

    def new_tmp_dir(self, name: str) -> Path:
        # "+" cannot occur in a dataset name, so `imagenette2` never matches `imagenette2-160`.
        check_name("dataset", name)
        return Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{name}+", dir=self.root))

    def clear_stale_tmp(self, name: str) -> None:
        """Leftovers of a crashed extraction of `name` (call with the lock held)."""
        for leftover in self.root.glob(f"{TMP_PREFIX}{check_name('dataset', name)}+*"):
            remove_tree(leftover)


def remove_tree(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path)


def tree_size(path: Path) -> tuple[int, int]:
    """(number of regular files, their total bytes), not following links."""
    files = total = 0
    for folder, _dirs, names in os.walk(path):
        for fname in names:
            st = os.lstat(os.path.join(folder, fname))
            if not os.path.islink(os.path.join(folder, fname)):
                files += 1
                total += st.st_size
    return files, total


@contextmanager
def dataset_lock(
    layout: Layout, name: str, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Exclusive per-dataset lock across processes. A second `dlbox data get` of the same dataset
    waits here (calling on_wait once), then finds the work done."""
    layout.ensure()
    fd = os.open(layout.lock_path(name), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
