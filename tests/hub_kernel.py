"""Running one notebook cell in a Jupyter kernel over the server's REST and websocket API (as a
browser does), through JupyterHub's proxy, with a user's API token."""

from __future__ import annotations

import asyncio
import json
import urllib.request
import uuid

LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def api(method: str, url: str, token: str, body: object | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", f"token {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with LOOPBACK.open(req, timeout=60) as resp:
            raw = resp.read()
            return int(resp.status), json.loads(raw) if raw.strip() else None
    except urllib.error.HTTPError as exc:
        return int(exc.code), None


async def _execute(ws_url: str, token: str, code: str, timeout: float) -> str:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    conn = await websocket_connect(
        HTTPRequest(ws_url, headers={"Authorization": f"token {token}"}, connect_timeout=30)
    )
    msg_id = uuid.uuid4().hex
    message = {
        "header": {
            "msg_id": msg_id,
            "msg_type": "execute_request",
            "username": "test",
            "session": uuid.uuid4().hex,
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "content": {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
        "channel": "shell",
        "buffers": [],
    }
    await conn.write_message(json.dumps(message))
    out: list[str] = []
    try:
        while True:
            raw = await asyncio.wait_for(conn.read_message(), timeout)
            if raw is None:
                raise AssertionError("the kernel's websocket closed")
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                raise AssertionError(f"the cell failed: {msg['content']}")
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(out)
    finally:
        conn.close()


def run_cell(server_url: str, token: str, code: str, timeout: float = 120) -> str:
    """server_url: http://127.0.0.1:PORT/user/NAME/ . Starts a kernel, runs code, returns its
    printed output, shuts the kernel down."""
    status, kernel = api("POST", server_url + "api/kernels", token, {"name": "python3"})
    assert status == 201, status
    assert isinstance(kernel, dict)
    kernel_id = kernel["id"]
    ws = server_url.replace("http://", "ws://", 1) + f"api/kernels/{kernel_id}/channels"
    try:
        return asyncio.run(_execute(ws, token, code, timeout))
    finally:
        api("DELETE", server_url + f"api/kernels/{kernel_id}", token)
