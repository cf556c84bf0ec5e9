"""A loopback (127.0.0.1) HTTP server for download tests and the benchmark.

Serves registered bodies (bytes or a file) with HTTP Range support, and can misbehave on purpose:
drop the connection mid-body, serve wrong bytes, ignore Range or resume at the wrong offset,
answer an error status, or pause mid-body until the test lets it go. Every request is recorded
(path, Range header, bytes sent).
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Route:
    body: bytes = b""
    file: Path | None = None
    drop_after: int | None = None  # close the connection after this many body bytes...
    drops: int = 1  # ...on this many requests
    wrong: bool = False  # flip every byte (same length)
    ranges: bool = True  # honour Range requests
    wrong_offset: bool = False  # answer a Range from the first byte, and say so (206, bytes 0-)
    status: int = 200  # e.g. 503 (transient) or 404
    statuses: list[int] = field(default_factory=list)  # statuses for the first requests, in order
    hold_at: int | None = None  # pause after this many bytes of the first request...
    release: threading.Event = field(default_factory=threading.Event)  # ...until this is set

    @property
    def size(self) -> int:
        return self.file.stat().st_size if self.file else len(self.body)


@dataclass
class Hit:
    path: str
    range: str | None
    status: int
    sent: int


class LoopbackServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for route in self.routes.values():
            route.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def add(self, path: str, route: Route) -> str:
        self.routes[path] = route
        return self.url(path)

    def url(self, path: str) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def hits_for(self, path: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path == path]

    def sent(self, path: str) -> int:
        return sum(h.sent for h in self.hits_for(path))


def _handler(server: LoopbackServer) -> Any:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            route = server.routes.get(self.path)
            header = self.headers.get("Range")
            hit = Hit(self.path, header, 0, 0)
            with server.lock:
                server.hits.append(hit)
                nth = len([h for h in server.hits if h.path == self.path])
            if route is None:
                return self._status(hit, 404)
            status = route.statuses[nth - 1] if nth <= len(route.statuses) else route.status
            if status != 200:
                return self._status(hit, status)
            size = route.size
            start, end = 0, size - 1
            if header and route.ranges and header.startswith("bytes="):
                first, _, last = header[6:].partition("-")
                start = 0 if route.wrong_offset else int(first)
                end = int(last) if last else size - 1
                if start >= size:
                    hit.status = 416  # recorded before the client can see the answer
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                hit.status = 206
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            else:
                hit.status = 200
                self.send_response(200)
            count = end - start + 1
            self.send_header("Content-Length", str(count))
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            limit = count
            if route.drop_after is not None and nth <= route.drops:
                limit = min(count, route.drop_after)
            hold = route.hold_at if nth == 1 else None
            self._send(route, start, limit, hold, hit)
            if limit < count:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

        def _status(self, hit: Hit, status: int) -> None:
            hit.status = status
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _send(self, route: Route, start: int, count: int, hold: int | None, hit: Hit) -> None:
            if route.file and not route.wrong and hold is None:
                with open(route.file, "rb") as fh:
                    sent = self.connection.sendfile(fh, start, count)
                hit.sent += sent
                return
            body = route.file.read_bytes() if route.file else route.body
            data = body[start : start + count]
            if route.wrong:
                data = bytes(b ^ 0xFF for b in data)
            if hold is not None and hold < len(data):
                self.wfile.write(data[:hold])
                hit.sent += hold
                route.release.wait(30)
                data = data[hold:]
            self.wfile.write(data)
            hit.sent += len(data)

    return Handler
