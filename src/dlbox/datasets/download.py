"""Streaming HTTP download into a `.part` file: HTTP Range resume, retries with backoff on
transient failures, and the archive's checks computed on the fly (verified before it is used).

The standard library's urllib does the HTTP (a fraction of httpx's import and set-up time, which
a small download would otherwise wait for): proxies from the environment (http_proxy,
https_proxy, no_proxy), redirects, credentials in the URL (sent as Basic auth to that origin
only, never after a redirect elsewhere), and TLS with the system's CA store plus certifi's (or
only SSL_CERT_FILE / SSL_CERT_DIR when set), the TLS context made only for an https URL."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import queue
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    import ssl

from dlbox import __version__
from dlbox.datasets.catalog import Checks
from dlbox.errors import DlboxError

MIB = 1 << 20
CHUNK = MIB  # one read from the response, one hand-off to the writer thread
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


# RFC 9110 Content-Range of bytes: "bytes 100-199/200", "bytes 100-199/*" (length unknown), and
# "bytes */200" (a 416's answer: the whole length, no range).
_CONTENT_RANGE = re.compile(r"bytes (?:(\d+)-\d+|\*)/(\d+|\*)", re.ASCII)


def content_range(headers: Mapping[str, str]) -> tuple[int | None, int | None]:
    """(first byte, whole length) of the answer's Content-Range; None for either that it does
    not state, both for a missing or malformed header."""
    found = _CONTENT_RANGE.fullmatch(headers.get("content-range", "").strip())
    if found is None:
        return None, None
    first, whole = found.groups()
    return (
        int(first) if first is not None else None,
        int(whole) if whole != "*" else None,
    )


def total_size(status: int, headers: Mapping[str, str]) -> int | None:
    """The whole file's size as the answer states it: a 206's Content-Range length, else the
    Content-Length; None when it does not say."""
    if status == 206:
        return content_range(headers)[1]
    length = headers.get("content-length", "").strip()
    return int(length) if length.isdecimal() and length.isascii() else None


def tls_context() -> ssl.SSLContext:
    """The system's CA store (OpenSSL honours SSL_CERT_FILE and SSL_CERT_DIR) plus certifi's
    bundle when neither is set (what httpx used; some Python builds ship an empty store)."""
    import ssl

    context = ssl.create_default_context()
    if not (os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR")):
        try:
            import certifi

            context.load_verify_locations(certifi.where())
        except (ImportError, OSError):
            pass
    return context


class _Tls(urllib.request.HTTPSHandler):
    """HTTPS with tls_context(), made on the first https request (none for a plain http URL)."""

    def __init__(self) -> None:
        super().__init__()
        self.context: ssl.SSLContext | None = None

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        if self.context is None:
            self.context = tls_context()
        return self.do_open(http.client.HTTPSConnection, req, context=self.context)


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "") + f":{parts.port or ''}"


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects keeping Range; the URL's credentials go along to the same origin only."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        auth = req.unredirected_hdrs.get("Authorization")
        if new is not None and auth and _origin(new.full_url) == _origin(req.full_url):
            new.add_unredirected_header("Authorization", auth)
        return new


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_Tls(), _Redirects())


def _request(url: str, have: int) -> urllib.request.Request:
    """GET url from byte `have` on; credentials in the URL become a Basic auth header."""
    parts = urllib.parse.urlsplit(url)
    headers = {"User-Agent": f"dlbox/{__version__}", "Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    auth = None
    if parts.username is not None or parts.password is not None:
        user = urllib.parse.unquote(parts.username or "")
        password = urllib.parse.unquote(parts.password or "")
        auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        host = parts.hostname or ""
        netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
        url = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    request = urllib.request.Request(url, headers=headers)
    if auth:
        request.add_unredirected_header("Authorization", auth)
    return request


def fetch(
    url: str,
    part: Path,
    checks: Checks,
    events: Events,
    options: DownloadOptions,
    opener: urllib.request.OpenerDirector | None = None,
) -> Fetched:
    """Download `url` into `part` (resuming what is there), retrying transient failures.
    Returns the digests of the complete file; raises DlboxError when it cannot finish (the
    partial file is kept so the next call resumes) or when the server answers an error."""
    opener = opener or _opener()
    resumed_from = part.stat().st_size if part.exists() else 0
    digest = _Digest.of_file(part) if resumed_from else _Digest()
    attempt = 0
    try:
        while True:
            try:
                _one_request(opener, url, part, digest, checks, events, options)
                break
            except _Transient as exc:
                attempt += 1
                reason = str(exc)  # every _Transient says what happened
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
    return Fetched(
        part,
        digest.size,
        digest.sha.hexdigest(),
        digest.md5.hexdigest(),
        digest.received,
        resumed_from,
        attempt + 1,
    )


def _network(exc: BaseException) -> _Transient:
    """A connection, TLS, protocol or timeout failure: worth another try."""
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        return _Transient(str(reason) or type(reason).__name__)
    return _Transient(str(exc) or type(exc).__name__)


def _open(
    opener: urllib.request.OpenerDirector, url: str, have: int, timeout: float
) -> tuple[int, str, Mapping[str, str], IO[bytes]]:
    """(status, reason, headers, body) of GET url from `have` on; an error status is an
    answer here, not an exception."""
    try:
        response = opener.open(_request(url, have), timeout=timeout)
    except urllib.error.HTTPError as exc:
        return exc.code, str(exc.reason), _lower(exc.headers.items()), exc
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise _network(exc) from exc
    return response.status, response.reason, _lower(response.headers.items()), response


def _lower(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {k.lower(): v for k, v in items}


def _chunks(body: IO[bytes]) -> Iterator[bytes]:
    """The body, up to CHUNK bytes at a time as they arrive (read1: what has arrived, never
    waiting for a full CHUNK, so a stalled connection keeps what came before it stalled); a
    failed read is transient."""
    read = getattr(body, "read1", body.read)
    while True:
        try:
            chunk = read(CHUNK)
        except (http.client.HTTPException, OSError) as exc:
            raise _network(exc) from exc
        if not chunk:
            return
        yield chunk


def _one_request(
    opener: urllib.request.OpenerDirector,
    url: str,
    part: Path,
    digest: _Digest,
    checks: Checks,
    events: Events,
    options: DownloadOptions,
) -> None:
    have = digest.size
    status, reason, headers, body = _open(opener, url, have, options.timeout)
    with body:
        if status == 416 and have:
            if have in (checks.size, content_range(headers)[1]):
                return  # the partial file is already complete
            _restart(part, digest)
            raise _Transient("the server refused to resume; starting over")
        if status in TRANSIENT_STATUS:
            raise _Transient(f"HTTP {status} {reason}")
        if status not in (200, 206):
            raise DlboxError(
                f"{url} answered HTTP {status} {reason}.",
                "Check the URL; if it is a catalog dataset, the server may be down or have moved "
                "the file: try again later, or pass a working URL with --sha256.",
            )
        if status == 206 and content_range(headers)[0] != have:
            _restart(part, digest)
            raise _Transient("the server resumed at the wrong offset; starting over")
        if status == 200 and have:
            _restart(part, digest)  # no Range support: start from zero
            have = 0
        total = total_size(status, headers)
        if total is not None and checks.size is not None and total != checks.size:
            raise DlboxError(
                f"{url} is {total} bytes, but the catalog expects {checks.size}.",
                "The file on the server has changed; nothing was unpacked. Report it, or pass "
                "the URL with the --sha256 you trust.",
            )
        events.download_start(part.name.removesuffix(".part"), url, total, have)
        part.parent.mkdir(parents=True, exist_ok=True)
        with _Sink(part, digest) as sink:
            for chunk in _chunks(body):  # as it arrives: a dropped connection loses nothing
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
            raise DlboxError(
                f"Cannot write {self.fh.name}: {self.error}.",
                "Free some disk space (or choose another --data-dir) and run the "
                "same command again: it resumes.",
            ) from self.error


def _restart(part: Path, digest: _Digest) -> None:
    part.unlink(missing_ok=True)
    fresh = _Digest()
    digest.sha, digest.md5, digest.size = fresh.sha, fresh.md5, fresh.size
