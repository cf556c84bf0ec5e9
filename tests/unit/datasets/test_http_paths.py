"""The HTTP paths of a download against real loopback servers: redirects (Range kept), URL
credentials sent as Basic auth to their own origin only, a proxy from the environment, and the
TLS context made only for https."""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from dlbox.datasets import download
from dlbox.datasets.catalog import Checks
from dlbox.datasets.download import DownloadOptions, Events, fetch

BODY = bytes(range(256)) * 4096  # 1 MiB


class Recorder:
    """A loopback server that serves BODY at /file (with Range), redirects /moved to `target`,
    and, as a proxy, answers requests for absolute URLs; it records every request."""

    def __init__(self, target: str = "") -> None:
        self.target = target
        self.seen: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                owner.seen.append(
                    {
                        "path": self.path,
                        "auth": self.headers.get("Authorization"),
                        "range": self.headers.get("Range"),
                    }
                )
                if self.path.endswith("/moved"):
                    self.send_response(302)
                    self.send_header("Location", owner.target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                start = int((self.headers.get("Range") or "bytes=0-")[6:].rstrip("-") or 0)
                self.send_response(206 if start else 200)
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(BODY) - 1}/{len(BODY)}")
                self.send_header("Content-Length", str(len(BODY) - start))
                self.end_headers()
                self.wfile.write(BODY[start:])

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[tuple[Recorder, Recorder]]:
    first, other = Recorder(), Recorder()
    yield first, other
    first.close()
    other.close()


def _get(url: str, part: Path) -> str:
    checks = Checks(sha256=hashlib.sha256(BODY).hexdigest())
    fetched = fetch(url, part, checks, Events(), DownloadOptions(retries=0))
    return fetched.sha256


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_credentials_go_to_their_origin_only(
    servers: tuple[Recorder, Recorder], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    first, other = servers
    credentials = "me:s%40cret@"
    first.target = f"{first.base}/file"  # same origin: the credentials go along
    url = first.base.replace("http://", "http://" + credentials) + "/moved"
    assert _get(url, tmp_path / "a.part") == hashlib.sha256(BODY).hexdigest()
    assert [s["auth"] for s in first.seen] == [_basic("me", "s@cret")] * 2

    first.seen.clear()
    first.target = f"{other.base}/file"  # another origin: they do not
    assert _get(url, tmp_path / "b.part") == hashlib.sha256(BODY).hexdigest()
    assert first.seen[0]["auth"] == _basic("me", "s@cret")
    assert other.seen == [{"path": "/file", "auth": None, "range": None}]


def test_a_redirect_keeps_the_range_of_a_resumed_download(
    servers: tuple[Recorder, Recorder], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    first, other = servers
    first.target = f"{other.base}/file"
    part = tmp_path / "c.part"
    part.write_bytes(BODY[:1000])
    assert _get(f"{first.base}/moved", part) == hashlib.sha256(BODY).hexdigest()
    assert part.read_bytes() == BODY
    assert other.seen[0]["range"] == "bytes=1000-"


def test_the_proxy_comes_from_the_environment(
    servers: tuple[Recorder, Recorder], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy, _ = servers
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("http_proxy", proxy.base)
    url = "http://dlbox-dataset.invalid/file"  # a name nothing resolves: only the proxy answers
    assert _get(url, tmp_path / "d.part") == hashlib.sha256(BODY).hexdigest()
    assert proxy.seen[0]["path"] == url
    monkeypatch.setenv("no_proxy", "dlbox-dataset.invalid")
    with pytest.raises(download.DlboxError, match="failed after 1 tries"):
        _get(url, tmp_path / "e.part")


def test_tls_uses_the_configured_bundle_and_plain_http_makes_no_context(
    servers: tuple[Recorder, Recorder], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[object] = []
    real = download.tls_context
    monkeypatch.setattr(download, "tls_context", lambda: made.append(1) or real())
    monkeypatch.delenv("http_proxy", raising=False)
    first, _ = servers
    _get(f"{first.base}/file", tmp_path / "f.part")
    assert made == []
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    assert real().cert_store_stats()["x509_ca"] > 0  # certifi's bundle at least


def test_data_get_imports_no_httpx_and_no_progress_bars_off_a_terminal(
    servers: tuple[Recorder, Recorder], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.unit.test_cli_startup import loaded_modules

    monkeypatch.delenv("http_proxy", raising=False)
    first, _ = servers
    digest = hashlib.sha256(BODY).hexdigest()
    url = f"{first.base}/file.tar"
    modules = loaded_modules("data", "get", url, "--sha256", digest, "--data-dir", str(tmp_path))
    assert [s["path"] for s in first.seen] == ["/file.tar"]  # it downloaded (BODY is no tar)
    assert not {"httpx", "httpcore", "rich.progress"} & modules
