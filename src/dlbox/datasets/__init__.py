"""Managed, verified, resumable dataset downloads (`dlbox data ...`)."""

from dlbox.datasets.catalog import CATALOG, Checks, Dataset, Source, resolve
from dlbox.datasets.download import DownloadOptions, Events
from dlbox.datasets.manage import (
    GetOptions,
    GetResult,
    ListResult,
    RemoveResult,
    VerifyResult,
    get_dataset,
    list_datasets,
    remove_dataset,
    verify_datasets,
)
from dlbox.datasets.store import Layout

__all__ = [
    "CATALOG",
    "Checks",
    "Dataset",
    "DownloadOptions",
    "Events",
    "GetOptions",
    "GetResult",
    "Layout",
    "ListResult",
    "RemoveResult",
    "Source",
    "VerifyResult",
    "get_dataset",
    "list_datasets",
    "remove_dataset",
    "resolve",
    "verify_datasets",
]
