"""`dlbox data`: the dataset store of the configured data folder (get, list, verify, remove)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dlbox.config import Settings
from dlbox.datasets import (
    DownloadOptions,
    Events,
    GetOptions,
    GetResult,
    Layout,
    get_dataset,
    remove_dataset,
    resolve,
)
from dlbox.datasets.manage import (
    ListResult,
    RemoveResult,
    VerifyResult,
    list_datasets,
    verify_datasets,
)
from dlbox.errors import UsageError


def data_layout(cfg: Settings) -> Layout:
    return Layout(Path(cfg["data_dir"]))


@dataclass(frozen=True)
class GetRequest:
    names: tuple[str, ...]  # catalog names, fastai names (PETS) or archive URLs
    sha256: str | None = None  # expected SHA-256 of the archive (required for a URL)
    force: bool = False  # download and unpack again
    retries: int = 5
    max_unpacked_mb: int | None = None  # None: 20x the archive, at least 1 GB
    max_files: int | None = None  # None: one member per 64 archive bytes, at least 10,000


@dataclass(frozen=True)
class GetOutcome:
    data_dir: Path
    datasets: list[GetResult]

    def to_dict(self) -> dict[str, object]:
        return {"data_dir": str(self.data_dir), "datasets": [r.to_dict() for r in self.datasets]}


def get_datasets(
    layout: Layout,
    request: GetRequest,
    events: Events | None = None,
    on_done: Callable[[GetResult], None] = lambda _result: None,
) -> GetOutcome:
    """Download, verify and unpack each dataset (resuming; a second process waits for the
    first); on_done hears of each as it is ready."""
    if request.sha256 is not None and len(request.names) != 1:
        raise UsageError(
            "--sha256 applies to one archive, but several were named.",
            "Get them one at a time, each with its own --sha256.",
        )
    datasets = [resolve(n, request.sha256) for n in request.names]
    options = GetOptions(
        force=request.force,
        download=DownloadOptions(retries=request.retries),
        max_unpacked_bytes=request.max_unpacked_mb * 1_000_000 if request.max_unpacked_mb else None,
        max_members=request.max_files,
    )
    results = []
    for dataset in datasets:
        result = get_dataset(layout, dataset, options, events)
        results.append(result)
        on_done(result)
    return GetOutcome(layout.root, results)


@dataclass(frozen=True)
class RemoveOutcome:
    removed: list[RemoveResult]

    def to_dict(self) -> dict[str, object]:
        return {"removed": [r.to_dict() for r in self.removed]}


def remove_datasets(layout: Layout, names: Sequence[str], keep_archive: bool) -> RemoveOutcome:
    return RemoveOutcome([remove_dataset(layout, n, keep_archive) for n in names])


def list_data(layout: Layout) -> ListResult:
    """`data list`: the catalog and what is present in the data folder."""
    return list_datasets(layout)


def verify_data(layout: Layout, names: Sequence[str] | None = None) -> VerifyResult:
    """`data verify`: the recorded checksums, file counts and sizes checked again."""
    return verify_datasets(layout, list(names) if names else None)
