"""Streaming HTTP download into a `.part` file: HTTP Range resume, retries with backoff on
transient failures, and the archive's checks computed on the fly (verified before it is used)."""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # httpx is imported when a download starts (CLI start-up speed)
    import httpx

from dlbox import __version__
from dlbox.datasets.catalog import Checks
from dlbox.errors import DlboxError

MIB = 1 << 20
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class Events:
    """Progress callbacks; the CLI subclasses this to draw a progress bar. Core never prints."""

    def waiting(self, name: str) -> None: ...
    def found(self, name: str, how: str) -> None: ...
    def download_start(self, name: str, url: str, total: int | None, have: int) -> None: ...
    def download_progress(self, nbytes: int) -> None: ...
    def download_end(self) -> None: ...
    def retry(self, attempt: int, retries: int, reason: str, delay: float) -> None: ...
    def extracting(self, name: str) -> None: ...


@dataclass(frozen=True)
class DownloadOptions:
    retries: int = 5
    backoff: float = 1.0  # first delay in seconds; doubled on each retry
    max_backoff: float = 30.0
    timeout: float = 30.0  # seconds without progress before a read fails


@dataclass(frozen=True)
class Fetched:
    path: Path
    size: int
    sha256: str
    md5_first_mib: str
    fetched_bytes: int  # bytes received over the network by this call
    resumed_from: int  # bytes already on disk when this call started
    attempts: int


class _Transient(Exception):
    pass


class _Digest:
    """sha256 of everything, md5 of the first MiB (fastai's check)."""

    def __init__(self) -> None:
        self.sha = hashlib.sha256()
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0
        self.received = 0  # bytes that came over the network (survives restarts)

    def update(self, data: bytes | memoryview) -> None:
        if self.size < MIB:
            self.md5.update(data[: MIB - self.size])
        self.sha.update(data)
        self.size += len(data)

    @classmethod
    def of_file(cls, path: Path) -> _Digest:
        digest = cls()
        with open(path, "rb") as fh:
            while chunk := fh.read(4 * MIB):
                digest.update(chunk)
        return digest


def file_digest(path: Path) -> tuple[int, str, str]:
    """(size, sha256, md5 of the first MiB) of a file on disk."""
    digest = _Digest.of_file(path)
    return digest.size, digest.sha.hexdigest(), digest.md5.hexdigest()


def check_problems(checks: Checks, size: int, sha256: str, md5_first_mib: str) -> list[str]:
    problems = []
    if checks.size is not None and size != checks.size:
        problems.append(f"size {size} bytes, expected {checks.size}")
    if checks.sha256 and sha256 != checks.sha256:
        problems.append(f"sha256 {sha256}, expected {checks.sha256}")
    if checks.md5_first_mib and md5_first_mib != checks.md5_first_mib:
        problems.append(f"md5 of the first MiB {md5_first_mib}, expected {checks.md5_first_mib}")
    return problems


def _total_from(response: httpx.Response, have: int) -> int | None:
    if response.status_code == 206:
        content_range = response.headers.get("content-range", "")
        total = content_range.rsplit("/", 1)[-1]
        return int(total) if total.isdigit() else None
    length = response.headers.get("content-length", "")
    return int(length) if length.isdigit() else None


def _range_start(response: httpx.Response) -> int | None:
    value = response.headers.get("content-range", "")  # "bytes 100-199/200"
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def fetch(url: str, part: Path, checks: Checks, events: Events, options: DownloadOptions,
          client: httpx.Client | None = None) -> Fetched:
    """Download `url` into `part` (resuming what is there), retrying transient failures.
    Returns the digests of the complete file; raises DlboxError when it cannot finish (the
    partial file is kept so the next call resumes) or when the server answers an error."""
    own = client is None
    import httpx

    client = client or httpx.Client(
        follow_redirects=True,
        timeout=httpx.Timeout(options.timeout, connect=min(options.timeout, 15.0)),
        headers={"User-Agent": f"dlbox/{__version__}", "Accept-Encoding": "identity"},
    )
    resumed_from = part.stat().st_size if part.exists() else 0
    digest = _Digest.of_file(part) if resumed_from else _Digest()
    attempt = 0
    try:
        while True:
            try:
                _one_request(client, url, part, digest, checks, events, options)
                break
            except (httpx.TransportError, _Transient) as exc:
                attempt += 1
                reason = str(exc) or type(exc).__name__
                if attempt > options.retries:
                    raise DlboxError(
                        f"Downloading {url} failed after {attempt} tries: {reason}. "
                        f"{digest.size} bytes are kept in {part}.",
                        "Check the network connection and run the same command again: it "
                        "resumes where it stopped.",
                    ) from exc
                delay = min(options.max_backoff, options.backoff * 2 ** (attempt - 1))
                events.retry(attempt, options.retries, reason, delay)
                time.sleep(delay)
    finally:
        events.download_end()
        if own:
            client.close()
    return Fetched(part, digest.size, digest.sha.hexdigest(), digest.md5.hexdigest(),
                   digest.received, resumed_from, attempt + 1)


def _one_request(client: httpx.Client, url: str, part: Path, digest: _Digest, checks: Checks,
                 events: Events, options: DownloadOptions) -> None:
    have = digest.size
    headers = {"Range": f"bytes={have}-"} if have else {}
    with client.stream("GET", url, headers=headers) as response:
        status = response.status_code
        if status == 416 and have:
            total = response.headers.get("content-range", "").rsplit("/", 1)[-1]
            if have in (checks.size, int(total) if total.isdigit() else None):
                return  # the partial file is already complete
            _restart(part, digest)
            raise _Transient("the server refused to resume; starting over")
        if status in TRANSIENT_STATUS:
            raise _Transient(f"HTTP {status} {response.reason_phrase}")
        if status not in (200, 206):
            raise DlboxError(
                f"{url} answered HTTP {status} {response.reason_phrase}.",
                "Check the URL; if it is a catalog dataset, the server may be down or have moved "
                "the file: try again later, or pass a working URL with --sha256.",
            )
        if status == 206 and _range_start(response) != have:
            _restart(part, digest)
            raise _Transient("the server resumed at the wrong offset; starting over")
        if status == 200 and have:
            _restart(part, digest)  # no Range support: start from zero
            have = 0
        total = _total_from(response, have)
        if total is not None and checks.size is not None and total != checks.size:
            raise DlboxError(
                f"{url} is {total} bytes, but the catalog expects {checks.size}.",
                "The file on the server has changed; nothing was unpacked. Report it, or pass "
                "the URL with the --sha256 you trust.",
            )
        events.download_start(part.name.removesuffix(".part"), url, total, have)
        part.parent.mkdir(parents=True, exist_ok=True)
        with _Sink(part, digest) as sink:
            for chunk in response.iter_raw():  # as received: a drop loses nothing
                sink.put(chunk)
                events.download_progress(len(chunk))
        # No fsync: a file damaged by a crash fails its checksum and is fetched again.
        if total is not None and digest.size < total:
            raise _Transient(f"the connection closed after {digest.size} of {total} bytes")


class _Sink:
    """Writes and hashes chunks on a second thread (hashlib and file writes release the GIL), so
    the network read, the sha256 and the disk write overlap. Leaving the block drains the queue,
    so the file and the digest always agree, even when the download fails midway."""

    def __init__(self, part: Path, digest: _Digest):
        self.fh = open(part, "ab")  # closed in __exit__
        self.digest = digest
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=32)
        self.pending: list[bytes] = []  # batched into ~1 MiB: fewer thread hand-offs
        self.pending_size = 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="dlbox-sink", daemon=True)

    def __enter__(self) -> _Sink:
        self.thread.start()
        return self

    def _run(self) -> None:
        while (chunk := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.fh.write(chunk)
                    self.digest.update(chunk)
                    self.digest.received += len(chunk)
                except OSError as exc:
                    self.error = exc

    def put(self, chunk: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.pending.append(chunk)
        self.pending_size += len(chunk)
        if self.pending_size >= MIB:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.queue.put(b"".join(self.pending))
            self.pending, self.pending_size = [], 0

    def __exit__(self, *exc: object) -> None:
        self._flush()
        self.queue.put(None)
        self.thread.join()
        self.fh.close()
        if self.error is not None:
            raise DlboxError(f"Cannot write {self.fh.name}: {self.error}.",
                             "Free some disk space (or choose another --data-dir) and run the "
                             "same command again: it resumes.") from self.error


def _restart(part: Path, digest: _Digest) -> None:
    part.unlink(missing_ok=True)
    fresh = _Digest()
    digest.sha, digest.md5, digest.size = fresh.sha, fresh.md5, fresh.size
