"""What a download says and whom it trusts, where the other download tests did not look (written
against surviving mutants of datasets/download.py, CONTRIBUTING.md "Mutation testing"): the md5
of the first MiB across chunk borders, every checksum problem's words, a resume answer without
Content-Range, the CA bundles a TLS context loads (and HTTPS for real, against a loopback server
whose certificate only that context trusts), credentials never following a redirect to another
host on the same port, and the reason a network failure is reported with."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from dlbox.datasets import download
from dlbox.datasets.catalog import Checks
from dlbox.datasets.download import (
    MIB,
    DlboxError,
    DownloadOptions,
    Events,
    Fetched,
    _Digest,
    _origin,
    check_problems,
    content_range,
    fetch,
    tls_context,
    total_size,
)
from tests.helpers import loopback_server

if TYPE_CHECKING:
    from tests.unit.datasets.loopback import Hit, Route

BODY = bytes(range(256)) * 1024  # 256 KiB


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


def test_the_md5_covers_exactly_the_first_mib_whatever_the_chunks() -> None:
    data = bytes(range(251)) * ((MIB // 251) + 400)
    digest = _Digest()
    for piece in (data[: MIB - 10], data[MIB - 10 : MIB + 10], data[MIB + 10 :]):
        digest.update(piece)
    assert digest.md5.hexdigest() == hashlib.md5(data[:MIB]).hexdigest()
    assert digest.sha.hexdigest() == hashlib.sha256(data).hexdigest()
    assert digest.size == len(data)


def test_every_checksum_problem_is_named_with_what_was_expected() -> None:
    checks = Checks(size=10, sha256="a" * 64, md5_first_mib="b" * 32)
    assert check_problems(checks, 11, "c" * 64, "d" * 32) == [
        "size 11 bytes, expected 10",
        f"sha256 {'c' * 64}, expected {'a' * 64}",
        f"md5 of the first MiB {'d' * 32}, expected {'b' * 32}",
    ]
    assert check_problems(checks, 10, "a" * 64, "b" * 32) == []


def test_content_range_gives_the_first_byte_and_the_whole_length_it_states() -> None:
    def of(value: str | None) -> tuple[int | None, int | None]:
        return content_range({} if value is None else {"content-range": value})

    assert of("bytes 100-199/200") == (100, 200)
    assert of(" bytes 0-0/1 ") == (0, 1)
    assert of("bytes 100-199/*") == (100, None)  # length unknown
    assert of("bytes */200") == (None, 200)  # a 416's answer
    for bad in (
        None,
        "",
        "bytes 1-2",
        "bytes 0-1/2/3",
        "items 0-1/2",
        "bytes ١-٢/٣",
        "bytes -1-2/3",
    ):
        assert of(bad) == (None, None), bad


def test_the_total_size_is_the_ranges_length_for_a_206_and_the_content_length_otherwise() -> None:
    both = {"content-range": "bytes 100-199/200", "content-length": "100"}
    assert total_size(206, both) == 200
    assert total_size(200, both) == 100
    assert total_size(206, {"content-length": "100"}) is None
    assert total_size(200, {"content-length": " 42 "}) == 42
    for bad in ({}, {"content-length": ""}, {"content-length": "4x"}, {"content-length": "٣"}):
        assert total_size(200, bad) is None, bad
        assert total_size(206, {**bad, "content-range": "bytes 0-9/*"}) is None


def test_an_origin_is_the_lowercased_scheme_host_and_stated_port() -> None:
    assert _origin("HTTPS://me:pw@Example.ORG:8443/x") == ("https", "example.org:8443")
    assert _origin("http://example.org/x") == ("http", "example.org:")  # no port: not :80
    assert _origin("http:///x") == ("http", ":")


# --- TLS: a CA of the test's own, trusted only through certifi's bundle ---------------------


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pki")
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("dlbox test CA"))
        .issuer_name(_name("dlbox test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = {"ca": folder / "ca.pem", "cert": folder / "cert.pem", "key": folder / "key.pem"}
    paths["ca"].write_bytes(_pem(ca))
    paths["cert"].write_bytes(_pem(cert))
    paths["key"].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@pytest.fixture
def certifi_is_the_test_ca(
    pki: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> dict[str, Path]:
    import certifi

    monkeypatch.setattr(certifi, "where", lambda: str(pki["ca"]))
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return pki


def _trusts_test_ca(context: ssl.SSLContext) -> bool:
    return any(
        dict(item[0] for item in c["subject"]).get("commonName") == "dlbox test CA"
        for c in context.get_ca_certs()
    )


def test_certifi_is_added_only_when_no_bundle_is_configured(
    certifi_is_the_test_ca: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _trusts_test_ca(tls_context())
    other = tmp_path / "other.pem"
    other.write_bytes(b"")
    monkeypatch.setenv("SSL_CERT_FILE", str(other))
    assert not _trusts_test_ca(tls_context())  # SSL_CERT_FILE alone decides
    monkeypatch.delenv("SSL_CERT_FILE")
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    assert not _trusts_test_ca(tls_context())  # and so does SSL_CERT_DIR alone


@pytest.fixture
def https_server(pki: dict[str, Path]) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki["cert"], pki["key"])
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}/file"
    httpd.shutdown()
    httpd.server_close()


def test_https_downloads_with_the_context_that_trusts_the_bundle(
    certifi_is_the_test_ca: dict[str, Path], https_server: str, tmp_path: Path
) -> None:
    """The default context would refuse this server (the test CA is only in 'certifi')."""
    checks = Checks(sha256=hashlib.sha256(BODY).hexdigest())
    fetched = fetch(https_server, tmp_path / "a.part", checks, Events(), DownloadOptions(retries=0))
    assert fetched.sha256 == checks.sha256 and fetched.size == len(BODY)
    with pytest.raises(DlboxError, match="CERTIFICATE_VERIFY_FAILED"):
        fetch(
            https_server,
            tmp_path / "b.part",
            checks,
            Events(),
            DownloadOptions(retries=0),
            opener=urllib.request.build_opener(),
        )


# --- redirects and network failures ---------------------------------------------------------


def test_credentials_stay_behind_when_a_redirect_changes_host_but_not_port(
    tmp_path: Path,
) -> None:
    seen: list[tuple[str, str | None]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            seen.append((self.headers.get("Host", ""), self.headers.get("Authorization")))
            if self.path == "/moved":
                port = self.server.server_address[1]
                self.send_response(302)
                self.send_header("Location", f"http://localhost:{port}/file")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)

    with loopback_server(Handler, threaded=True) as port:
        checks = Checks(sha256=hashlib.sha256(BODY).hexdigest())
        url = f"http://me:secret@127.0.0.1:{port}/moved"
        fetch(url, tmp_path / "c.part", checks, Events(), DownloadOptions(retries=0))
    assert seen[0][1] is not None  # the URL's own origin gets them
    assert seen[1] == (f"localhost:{port}", None)  # another host, same port: never


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_refused_connection_is_reported_with_the_systems_reason(tmp_path: Path) -> None:
    reasons: list[str] = []

    class Retries(Events):
        def retry(self, attempt: int, retries: int, reason: str, delay: float) -> None:
            reasons.append(reason)

    url = f"http://127.0.0.1:{_closed_port()}/x.tgz"
    options = DownloadOptions(retries=1, backoff=0.0)
    with pytest.raises(DlboxError) as err:
        fetch(url, tmp_path / "d.part", Checks(), Retries(), options)
    assert reasons == ["[Errno 111] Connection refused"]
    assert "failed after 2 tries: [Errno 111] Connection refused." in err.value.message


def test_a_stalled_body_is_reported_as_timed_out(tmp_path: Path) -> None:
    from tests.unit.datasets.loopback import LoopbackServer, Route

    with LoopbackServer() as server:  # leaving it releases the held answer
        url = server.add("/slow", Route(body=BODY, hold_at=1000))
        options = DownloadOptions(retries=0, timeout=0.3)
        with pytest.raises(DlboxError) as err:
            fetch(url, tmp_path / "e.part", Checks(), Events(), options)
    assert "failed after 1 tries: timed out." in err.value.message
    assert "1000 bytes are kept in" in err.value.message


def test_the_https_handler_makes_its_context_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """One TLS context per download, reused by every request (a retry, a redirect)."""
    made: list[int] = []
    real = download.tls_context
    monkeypatch.setattr(download, "tls_context", lambda: made.append(1) or real())
    handler = download._Tls()
    assert handler.context is None
    opener = urllib.request.build_opener(handler)
    for _ in range(2):
        with pytest.raises(urllib.error.URLError):
            opener.open(f"https://127.0.0.1:{_closed_port()}/x", timeout=5)
    assert made == [1] and handler.context is not None


def test_every_byte_received_is_counted_across_many_writes(tmp_path: Path) -> None:
    from tests.unit.datasets.loopback import LoopbackServer, Route

    big = bytes(range(256)) * (3 * MIB // 256)  # several 1 MiB hand-offs to the writer thread
    with LoopbackServer() as server:
        url = server.add("/big", Route(body=big))
        fetched = fetch(url, tmp_path / "f.part", Checks(), Events(), DownloadOptions(retries=0))
    assert fetched.fetched_bytes == fetched.size == len(big)
    assert (tmp_path / "f.part").read_bytes() == big


def test_a_body_without_read1_is_read_whole() -> None:
    class Plain:
        def __init__(self, data: bytes) -> None:
            self.data = data

        def read(self, n: int) -> bytes:
            chunk, self.data = self.data[:n], self.data[n:]
            return chunk

    assert list(download._chunks(Plain(b"x" * (MIB + 5)))) == [b"x" * MIB, b"x" * 5]  # type: ignore[arg-type]


def test_a_failure_without_words_is_named_by_its_type() -> None:
    assert str(download._network(urllib.error.URLError(TimeoutError()))) == "TimeoutError"
    assert str(download._network(TimeoutError())) == "TimeoutError"
    assert str(download._network(urllib.error.URLError("refused"))) == "refused"


def test_starting_over_without_a_partial_file_is_fine(tmp_path: Path) -> None:
    digest = _Digest()
    digest.update(b"old bytes")
    download._restart(tmp_path / "never-written.part", digest)
    assert digest.size == 0 and digest.sha.hexdigest() == hashlib.sha256(b"").hexdigest()


def test_a_resumed_download_that_is_no_longer_the_catalogs_size_is_refused(
    tmp_path: Path,
) -> None:
    """The total of a 206 answer comes from its Content-Range ("bytes 100-N/TOTAL")."""
    from tests.unit.datasets.loopback import LoopbackServer, Route

    part = tmp_path / "g.part"
    part.write_bytes(BODY[:100])
    with LoopbackServer() as server:
        url = server.add("/moved-on.tgz", Route(body=BODY))
        with pytest.raises(DlboxError) as err:
            fetch(url, part, Checks(size=len(BODY) + 1), Events(), DownloadOptions(retries=0))
        assert server.hits_for("/moved-on.tgz")[0].status == 206
    assert err.value.message == (
        f"{url} is {len(BODY)} bytes, but the catalog expects {len(BODY) + 1}."
    )
    assert err.value.hint == (
        "The file on the server has changed; nothing was unpacked. Report it, or pass the URL "
        "with the --sha256 you trust."
    )


def test_what_arrived_is_on_disk_while_the_download_is_still_running(tmp_path: Path) -> None:
    """Batches of about a MiB go to the file as they fill, not all at the end: a download killed
    midway keeps what it had for the resume."""
    from tests.unit.datasets.loopback import LoopbackServer, Route

    big = bytes(range(256)) * (4 * MIB // 256)
    part = tmp_path / "h.part"
    with LoopbackServer() as server:
        route = Route(body=big, hold_at=3 * MIB)
        url = server.add("/big.tgz", route)
        done: list[object] = []
        worker = threading.Thread(
            target=lambda: done.append(
                fetch(url, part, Checks(), Events(), DownloadOptions(retries=0))
            )
        )
        worker.start()
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and server.sent("/big.tgz") < 3 * MIB:
                time.sleep(0.05)
            time.sleep(0.5)  # the reader has what was sent; the writer thread catches up
            on_disk = part.stat().st_size if part.exists() else 0
        finally:
            route.release.set()
            worker.join(30)
    assert on_disk >= 2 * MIB, on_disk
    assert done and part.read_bytes() == big


def test_a_full_disk_is_one_clear_error_that_says_the_next_run_resumes(tmp_path: Path) -> None:
    from tests.unit.datasets.loopback import LoopbackServer, Route

    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    part = tmp_path / "i.part"
    part.symlink_to("/dev/full")  # every write: ENOSPC
    with LoopbackServer() as server:
        url = server.add("/x.tgz", Route(body=BODY))
        with pytest.raises(DlboxError) as err:
            fetch(url, part, Checks(), Events(), DownloadOptions(retries=0))
    assert err.value.message == f"Cannot write {part}: [Errno 28] No space left on device."
    assert err.value.hint == (
        "Free some disk space (or choose another --data-dir) and run the same command again: "
        "it resumes."
    )


def _auth(user: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_a_request_says_who_asks_wants_bytes_as_they_are_and_resumes_by_range() -> None:
    from dlbox import __version__

    fresh = download._request("http://example.org/x.tgz", 0)
    assert fresh.get_header("User-agent") == f"dlbox/{__version__}"
    assert fresh.get_header("Accept-encoding") == "identity"  # never gzip on top of a tgz
    assert fresh.get_header("Range") is None and not fresh.has_header("Authorization")
    assert download._request("http://example.org/x.tgz", 100).get_header("Range") == "bytes=100-"


@pytest.mark.parametrize(
    ("url", "full_url", "user", "password"),
    [
        ("http://me:pw@example.org/x", "http://example.org/x", "me", "pw"),
        ("http://me@example.org:8080/x", "http://example.org:8080/x", "me", ""),
        ("http://:pw@example.org/x", "http://example.org/x", "", "pw"),
        ("http://me:p%40ss@[::1]:8080/x", "http://[::1]:8080/x", "me", "p@ss"),
    ],
)
def test_credentials_leave_the_url_and_become_basic_auth(
    url: str, full_url: str, user: str, password: str
) -> None:
    request = download._request(url, 0)
    assert request.full_url == full_url  # never on the request line, in a log or a proxy's
    assert request.unredirected_hdrs["Authorization"] == _auth(user, password)


class _Retries(Events):
    def __init__(self) -> None:
        self.calls: list[tuple[int, int, str, float]] = []

    def retry(self, attempt: int, retries: int, reason: str, delay: float) -> None:
        # Attempts count up from 1 and end at `retries`: a miscount fails here, at once, instead
        # of retrying for ever.
        assert attempt == len(self.calls) + 1 <= retries, (attempt, self.calls)
        self.calls.append((attempt, retries, reason, delay))


def test_retries_back_off_doubling_up_to_the_cap_and_count_the_attempts(tmp_path: Path) -> None:
    from tests.unit.datasets.loopback import LoopbackServer, Route

    part = tmp_path / "j.part"
    events = _Retries()
    options = DownloadOptions(retries=4, backoff=0.01, max_backoff=0.03)
    with LoopbackServer() as server:
        url = server.add("/flaky.tgz", Route(body=BODY, statuses=[503, 503, 503]))
        fetched = fetch(url, part, Checks(), events, options)
    busy = "HTTP 503 Service Unavailable"
    assert events.calls == [(1, 4, busy, 0.01), (2, 4, busy, 0.02), (3, 4, busy, 0.03)]
    assert fetched.attempts == 4 and fetched.path == part and fetched.resumed_from == 0


def test_giving_up_says_how_many_tries_what_is_kept_and_that_the_next_run_resumes(
    tmp_path: Path,
) -> None:
    from tests.unit.datasets.loopback import LoopbackServer, Route

    part = tmp_path / "k.part"
    events = _Retries()
    options = DownloadOptions(retries=2, backoff=0.01, max_backoff=1.0)
    with LoopbackServer() as server:
        url = server.add("/down.tgz", Route(body=BODY, status=503))
        with pytest.raises(DlboxError) as err:
            fetch(url, part, Checks(), events, options)
    assert [c[0] for c in events.calls] == [1, 2]
    assert err.value.message == (
        f"Downloading {url} failed after 3 tries: HTTP 503 Service Unavailable. "
        f"0 bytes are kept in {part}."
    )
    assert err.value.hint == (
        "Check the network connection and run the same command again: it resumes where it stopped."
    )


def test_a_partial_file_that_is_already_complete_is_not_fetched_again(tmp_path: Path) -> None:
    """Resuming a file that is whole: the server answers 416 with its size ("bytes */N")."""
    from tests.unit.datasets.loopback import LoopbackServer, Route

    part = tmp_path / "l.part"
    part.write_bytes(BODY)
    with LoopbackServer() as server:
        url = server.add("/whole.tgz", Route(body=BODY))
        fetched = fetch(url, part, Checks(), Events(), DownloadOptions(retries=0))
        assert [h.status for h in server.hits_for("/whole.tgz")] == [416]
    assert (fetched.size, fetched.fetched_bytes, fetched.resumed_from) == (len(BODY), 0, len(BODY))
    assert fetched.sha256 == hashlib.sha256(BODY).hexdigest() and part.read_bytes() == BODY


def test_small_reads_go_to_the_writer_a_mib_at_a_time(tmp_path: Path) -> None:
    """Reads of a slow connection are small: they are batched, and each full MiB leaves for the
    writer thread at once (a download killed midway keeps all but the last unfinished MiB)."""
    part = tmp_path / "s.part"
    piece = bytes(range(256)) * 256  # 64 KiB
    with download._Sink(part, _Digest()) as sink:
        for n in range(1, 40):
            sink.put(piece)
            assert sum(map(len, sink.pending)) == (n * len(piece)) % MIB, n
    assert part.read_bytes() == piece * 39


def test_a_server_that_will_not_resume_a_longer_partial_file_starts_over(tmp_path: Path) -> None:
    """A partial file longer than the server's (a 416 with another size): the download starts
    from zero, says why, and ends with the server's file."""
    from tests.unit.datasets.loopback import Route

    run = _fetch_recorded(tmp_path, "r", Route(body=BODY), partial=BODY + b"stale tail")
    assert [h.status for h in run.hits] == [416, 200]
    assert run.events.reasons == ["the server refused to resume; starting over"]
    assert run.part.read_bytes() == BODY
    assert run.fetched.sha256 == hashlib.sha256(BODY).hexdigest()


def test_an_error_status_names_the_url_and_what_to_do(tmp_path: Path) -> None:
    from tests.unit.datasets.loopback import LoopbackServer

    with LoopbackServer() as server, pytest.raises(DlboxError) as caught:
        fetch(server.url("/gone.tgz"), tmp_path / "g.part", Checks(), Events(), DownloadOptions())
    assert caught.value.message == f"{server.url('/gone.tgz')} answered HTTP 404 Not Found."
    assert caught.value.hint == (
        "Check the URL; if it is a catalog dataset, the server may be down or have moved the "
        "file: try again later, or pass a working URL with --sha256."
    )


class _Recording(Events):
    def __init__(self) -> None:
        self.reasons: list[str] = []
        self.starts: list[tuple[str, str, int | None, int]] = []  # (name, url, total, have)
        self.progress = 0  # bytes the progress bar advanced by

    def retry(self, attempt: int, retries: int, reason: str, delay: float) -> None:
        self.reasons.append(reason)

    def download_start(self, name: str, url: str, total: int | None, have: int) -> None:
        self.starts.append((name, url, total, have))

    def download_progress(self, nbytes: int) -> None:
        self.progress += nbytes


@dataclass
class _Run:
    events: _Recording
    hits: list[Hit]
    url: str
    part: Path
    fetched: Fetched


def _fetch_recorded(
    tmp_path: Path, name: str, route: Route, partial: bytes = b"", retries: int = 1
) -> _Run:
    """Download NAME.tgz from a loopback server serving ROUTE into NAME.part (holding PARTIAL
    first, when given), recording what the user would see and what the server was asked."""
    from tests.unit.datasets.loopback import LoopbackServer

    part = tmp_path / f"{name}.part"
    if partial:
        part.write_bytes(partial)
    events = _Recording()
    with LoopbackServer() as server:
        url = server.add(f"/{name}.tgz", route)
        fetched = fetch(url, part, Checks(), events, DownloadOptions(retries=retries, backoff=0.0))
        hits = server.hits_for(f"/{name}.tgz")
    return _Run(events, hits, url, part, fetched)


def test_a_resume_answered_at_another_offset_starts_over(tmp_path: Path) -> None:
    from tests.unit.datasets.loopback import Route

    run = _fetch_recorded(tmp_path, "o", Route(body=BODY, wrong_offset=True), partial=BODY[:1000])
    assert [h.status for h in run.hits] == [206, 200]
    assert run.events.reasons == ["the server resumed at the wrong offset; starting over"]
    # the progress bar's name, as users see it
    assert run.events.starts == [("o", run.url, len(BODY), 0)]
    assert run.part.read_bytes() == BODY


def test_a_server_without_ranges_sends_it_all_and_progress_starts_at_zero(tmp_path: Path) -> None:
    from tests.unit.datasets.loopback import Route

    run = _fetch_recorded(
        tmp_path, "n", Route(body=BODY, ranges=False), partial=BODY[:1000], retries=0
    )
    assert run.events.starts == [("n", run.url, len(BODY), 0)] and run.events.reasons == []
    assert run.events.progress == len(BODY)
    assert run.part.read_bytes() == BODY and run.fetched.fetched_bytes == len(BODY)


def test_a_connection_closed_early_is_retried_from_where_it_stopped(tmp_path: Path) -> None:
    from tests.unit.datasets.loopback import Route

    run = _fetch_recorded(tmp_path, "c", Route(body=BODY, drop_after=1000))
    assert [h.range for h in run.hits] == [None, "bytes=1000-"]
    assert run.events.reasons == [f"the connection closed after 1000 of {len(BODY)} bytes"]
    assert run.events.starts == [("c", run.url, len(BODY), 0), ("c", run.url, len(BODY), 1000)]
    assert run.events.progress == len(BODY) and run.part.read_bytes() == BODY
