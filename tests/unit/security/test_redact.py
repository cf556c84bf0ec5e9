"""URL credentials and secret URL parameters never reach what users see or what dlbox stores:
one redaction function (dlbox.redact), applied by the consoles, dlbox.process and the records."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dlbox import process
from dlbox.cli.app import app
from dlbox.redact import redact_data, redact_text, redact_url, url_secrets
from tests.unit.datasets.archives import DOGSCATS, sha256, tgz
from tests.unit.datasets.loopback import LoopbackServer, Route

SECRET = "S3CRETVALUE"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:S3CRETVALUE@host/r.git", "https://***@host/r.git"),
        ("https://S3CRETVALUE@host/r.git", "https://***@host/r.git"),
        ("https://host/x.tgz?token=S3CRETVALUE&a=1", "https://host/x.tgz?token=***&a=1"),
        ("https://h/x?Signature=S3CRETVALUE", "https://h/x?Signature=***"),
        ("https://h/x?sig=S3CRETVALUE", "https://h/x?sig=***"),
        ("https://h/x?key=S3CRETVALUE", "https://h/x?key=***"),
        ("https://h/x?password=S3CRETVALUE", "https://h/x?password=***"),
        ("https://h/x?X-Amz-Credential=S3CRETVALUE", "https://h/x?X-Amz-Credential=***"),
        ("https://h/x#access_token=S3CRETVALUE", "https://h/x#access_token=***"),
        ("https://h/x.tgz?v=2", "https://h/x.tgz?v=2"),
        ("not a url", "not a url"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert redact_text(f"failed: {url} (404)") == f"failed: {shown} (404)"


def test_redact_keeps_what_the_command_shows_and_walks_documents() -> None:
    url = "http://127.0.0.1:8888/lab?token=abc123"
    assert redact_url(url, keep={"abc123"}) == url
    doc = {"u": [f"https://u:{SECRET}@h/x"], f"https://h?token={SECRET}": 1}
    assert SECRET not in json.dumps(redact_data(doc))
    assert SECRET in url_secrets([f"see https://u:{SECRET}@h/x"])


def test_process_logs_and_errors_are_redacted(tmp_path: Path) -> None:
    url = f"https://u:{SECRET}@127.0.0.1:9/x?token={SECRET}"
    log = tmp_path / "x.log"
    rc = process.stream(
        ["sh", "-c", f"echo {url} >&2; echo {url}"],
        on_line=lambda _l: None,
        log_path=log,
        timeout=30,
    )
    assert rc == 0 and SECRET not in log.read_text() and "***" in log.read_text()
    with pytest.raises(process.ProcessError) as info:
        process.run(["sh", "-c", f"echo {url} >&2; exit 3"], timeout=30)
    assert SECRET not in json.dumps(info.value.to_dict())


# --- datasets ----------------------------------------------------------------------------------


def _everything_under(root: Path) -> str:
    text = []
    for folder, _dirs, files in os.walk(root):
        for name in files:
            text.append((Path(folder) / name).read_bytes().decode("utf-8", "replace"))
    return "\n".join(text)


def test_data_get_with_credentials_keeps_them_out_of_output_records_and_list(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    body = tgz(DOGSCATS)
    with LoopbackServer() as server:
        path = f"/dogscats.tgz?token={SECRET}&X-Amz-Signature={SECRET}"
        url = server.add(path, Route(body)).replace("http://", f"http://me:{SECRET}@")
        got = CliRunner().invoke(
            app, ["data", "get", url, "--sha256", sha256(body), "--data-dir", str(data), "--json"]
        )
        assert got.exit_code == 0, got.output
        assert SECRET not in got.stdout + got.stderr
        record = data / ".dlbox" / "dogscats.json"
        assert record.is_file() and SECRET not in record.read_text()
        assert json.loads(record.read_text())["url"].startswith("http://***@127.0.0.1")
        assert SECRET not in _everything_under(data)
        listed = CliRunner().invoke(app, ["data", "list", "--json", "--data-dir", str(data)])
        assert listed.exit_code == 0 and SECRET not in listed.stdout + listed.stderr
        text = CliRunner().invoke(app, ["data", "list", "--data-dir", str(data)])
        assert SECRET not in text.stdout + text.stderr
        missing = server.url(f"/gone.tgz?sig={SECRET}").replace("http://", f"http://me:{SECRET}@")
        failed = CliRunner().invoke(
            app, ["data", "get", missing, "--sha256", "a" * 64, "--data-dir", str(data)]
        )
        assert failed.exit_code != 0 and "404" in failed.stderr
        assert SECRET not in failed.stdout + failed.stderr
        assert SECRET not in _everything_under(data)


# --- course repos over (dumb) HTTP with credentials in the URL ---------------------------------


class GitHttp(BaseHTTPRequestHandler):
    """git's smart HTTP protocol: each request handed to git-http-backend (CGI)."""

    root = Path()
    require = ""  # "user:password": answer 401 without that Basic authorization

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._cgi(b"")

    def do_POST(self) -> None:
        self._cgi(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _cgi(self, body: bytes) -> None:
        if self.require:
            wanted = "Basic " + base64.b64encode(self.require.encode()).decode()
            if self.headers.get("Authorization") != wanted:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="lessons"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        path, _, query = self.path.partition("?")
        env = {
            **os.environ,
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1",
        }
        done = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
        )
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        headers = [line.split(":", 1) for line in head.decode().splitlines() if ":" in line]
        status = next((int(v.split()[0]) for k, v in headers if k.lower() == "status"), 200)
        self.send_response(status)
        for key, value in headers:
            if key.lower() != "status":
                self.send_header(key, value.strip())
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture(params=["open", "private"])
def git_http(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A bare repo served over smart HTTP on 127.0.0.1; the URL carries credentials, which the
    private server requires (HTTP Basic, as GitHub or GitLab tokens do)."""
    root = tmp_path / "served"
    work = tmp_path / "work-repo"
    work.mkdir(parents=True)
    root.mkdir()
    ident = [
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.invalid",
        "-c",
        "commit.gpgsign=false",
    ]
    (work / "lesson1.ipynb").write_text("{}\n")
    process.run(["git", "init", "-q", "--initial-branch=main", str(work)], timeout=60)
    process.run(["git", *ident, "-C", str(work), "add", "-A"], timeout=60)
    process.run(["git", *ident, "-C", str(work), "commit", "-qm", "one"], timeout=60)
    process.run(["git", "clone", "-q", "--bare", str(work), str(root / "lessons.git")], timeout=60)
    require = f"student:{SECRET}" if request.param == "private" else ""
    handler = type("Handler", (GitHttp,), {"root": root, "require": require})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    # accept() times out instead of blocking: a connection that is gone by the time the server
    # accepts it once left accept() waiting, and shutdown() with it, until pytest's 30 min timeout.
    httpd.socket.settimeout(2.0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://student:{SECRET}@127.0.0.1:{httpd.server_address[1]}/lessons.git"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_course_credentials_are_never_shown_or_stored_by_dlbox(
    git_http: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_dlbox_home: Path
) -> None:
    code = tmp_path / "code"
    monkeypatch.setenv("DLBOX_CODE_DIR", str(code))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    got = runner.invoke(app, ["course", "get", git_http])
    assert got.exit_code == 0, got.output
    assert SECRET not in got.output
    assert "dlbox config set course http://127.0.0.1:" in got.output  # a URL that works as is
    for args in (["course", "list"], ["course", "list", "--json"]):
        shown = runner.invoke(app, args)
        assert shown.exit_code == 0, shown.output
        assert SECRET not in shown.output
    # The token reached git through its environment: not in the clone's (world-readable) config.
    assert SECRET not in _everything_under(code / "lessons" / ".git")
    update = runner.invoke(app, ["course", "update"])
    assert SECRET not in update.output
    if "private" in str(git_http) or update.exit_code != 0:  # no stored credential to pull with
        assert update.exit_code != 0 and "asks for a login" in update.output, update.output
        assert "credential.helper" in update.output
    # dlbox's own files (logs, state) never hold it.
    assert SECRET not in _everything_under(isolated_dlbox_home)
    # A settings file is world-readable: credentials there are refused, without echoing them.
    monkeypatch.setenv("DLBOX_COURSE", git_http)
    for args in (["config", "show"], ["config", "show", "--json"], ["course", "list"]):
        shown = runner.invoke(app, args)
        assert shown.exit_code == 2, shown.output
        assert SECRET not in shown.output and "credentials" in shown.output
    monkeypatch.delenv("DLBOX_COURSE")
    saved = runner.invoke(app, ["config", "set", "course", git_http])
    assert saved.exit_code == 2 and SECRET not in saved.output
    assert SECRET not in _everything_under(isolated_dlbox_home)


def test_record_files_are_not_world_writable(tmp_path: Path) -> None:
    from dlbox.datasets.store import Layout, Record

    layout = Layout(tmp_path)
    layout.ensure()
    layout.write_record(
        Record("x", f"https://u:{SECRET}@h/x.tgz", "x.tgz", 1, "0" * 64, "sha256", 1, 1, 0.0)
    )
    path = layout.record_path("x")
    assert SECRET not in path.read_text()
    assert not stat.S_IMODE(path.stat().st_mode) & 0o022


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:p@ss@host/x", "https://***@host/x"),  # an @ inside the password
        ("https://h/x?token=ab=cd&v=1", "https://h/x?token=***&v=1"),  # = inside the value
        ("https://h/x?token=a?b", "https://h/x?token=***"),  # ? inside the value
        ("https://h/x?TOKEN=abc", "https://h/x?TOKEN=***"),
        ("https://h/x?token=", "https://h/x?token="),  # nothing to hide
        ("https://h/x#section", "https://h/x#section"),
        ("https://h/x?v=1#sig=abc", "https://h/x?v=1#sig=***"),
    ],
)
def test_redact_url_edge_cases(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_keep_passes_through_text_and_documents() -> None:
    url = "http://127.0.0.1:8888/lab?token=abc123"
    assert redact_text(f"open {url}", keep={"abc123"}) == f"open {url}"
    assert redact_data({"url": url, "all": [url]}, keep={"abc123"}) == {"url": url, "all": [url]}
    assert redact_data({"url": url}) == {"url": "http://127.0.0.1:8888/lab?token=***"}
    assert redact_url("https://u:pw@h/x", keep={"u:pw"}) == "https://u:pw@h/x"


def test_without_userinfo_and_url_secrets() -> None:
    from dlbox.redact import without_userinfo

    assert without_userinfo("https://u:p@ss@host/r.git") == "https://host/r.git"
    assert without_userinfo("https://host/r.git") == "https://host/r.git"
    assert without_userinfo("not a url") == "not a url"
    found = url_secrets(["a https://u:p@ss@h/x and https://h/y?token=abc&sig=def&v=1#key=ghi"])
    assert set(found) == {"u:p@ss", "p@ss", "abc", "def", "ghi"}
    assert url_secrets(["https://tokenonly@h/x"]) == ["tokenonly"]
    assert url_secrets(["no urls here"]) == []


def test_the_console_masks_everything_but_a_revealed_session_url(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from dlbox.cli import console

    session = "http://127.0.0.1:8888/lab?token=0123456789abcdef"
    other = f"https://u:{SECRET}@h/x"
    console.out.print(f"{session} {other}")
    console.print_json({"url": session})
    shown = capsys.readouterr().out
    assert "0123456789abcdef" not in shown and SECRET not in shown
    console.reveal_url(session)  # what `up` and `ps --show-token` do for the user's own URL
    try:
        console.out.print(f"{session} {other}")
        console.print_json({"url": session})
        shown = capsys.readouterr().out
    finally:
        console._revealed.clear()
    assert shown.count(session) == 2 and SECRET not in shown


def test_a_course_url_without_credentials_finds_the_clone_made_with_them() -> None:
    from dlbox.course import git

    assert git.normalize_url("https://u:tok@Host/Owner/Repo.git/") == git.normalize_url(
        "https://host/owner/repo"
    )
    assert git.safe_url("https://u:tok@host/r") == "https://***@host/r"
