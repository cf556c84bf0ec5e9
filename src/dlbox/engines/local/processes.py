"""Host processes for the local engine: session records, liveness, and stopping a whole tree.

A session record is a JSON file (sessions/<name>/local.json, 0600) with the pid, its process
group, a start-time identity (so a reused pid is never mistaken for the session), the port and the
started time. Stopping sends SIGTERM to the group (Jupyter then shuts its kernels down), waits,
and SIGKILLs whatever of the group and its descendants is left, so nothing stays behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dlbox import paths, process
from dlbox.errors import ProcessError

RECORD = "local.json"
STOP_GRACE = 10.0


@dataclass(frozen=True)
class SessionRecord:
    name: str
    pid: int
    pgid: int
    identity: str  # the process's start time as the OS reports it
    port: int
    host: str
    image: str  # the venv folder
    started_at: str  # ISO 8601 UTC, like Docker's StartedAt
    log_path: str
    workdir: str
    argv: list[str] = field(default_factory=list)
    env: list[tuple[str, str]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SessionRecord:
        data = json.loads(text)
        data["env"] = [tuple(pair) for pair in data.get("env", [])]
        return cls(**data)


def record_path(name: str) -> Path:
    return paths.session_dir(name) / RECORD


def write_record(record: SessionRecord) -> Path:
    path = record_path(record.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(record.to_json())
    tmp.replace(path)
    return path


def read_record(name: str) -> SessionRecord | None:
    return _load(record_path(name))


def _load(path: Path) -> SessionRecord | None:
    try:
        return SessionRecord.from_json(path.read_text())
    except (OSError, ValueError, TypeError, KeyError):
        return None


def all_records() -> Iterator[SessionRecord]:
    for path in sorted(paths.sessions_dir().glob(f"*/{RECORD}")):
        record = _load(path)
        if record is not None:
            yield record


def delete_record(name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        record_path(name).unlink()


# -- liveness ----------------------------------------------------------------------------------
def _reap(pid: int) -> None:
    """Collect the exit status if pid is our own child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _linux_stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # fields from 3 (state) on


def identity(pid: int) -> str | None:
    """The start time of pid (None if no such live process); with the pid, a unique identity."""
    _reap(pid)
    if sys.platform.startswith("linux"):
        fields = _linux_stat(pid)
        if fields is None or fields[0] in ("Z", "X"):
            return None
        return fields[19]  # starttime, field 22 of /proc/PID/stat
    try:
        done = process.run(["ps", "-o", "stat=,lstart=", "-p", str(pid)], timeout=10, check=False)
    except ProcessError:
        return None
    text = done.stdout.strip()
    if done.returncode != 0 or not text or text.startswith("Z"):
        return None
    return text.split(None, 1)[1] if " " in text else text


def alive(record: SessionRecord) -> bool:
    return identity(record.pid) == record.identity


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Members may all be zombies of ours: reap and look again through the process table.
    return any(pg == pgid and identity(pid) is not None for pid, _, pg in _table())


def _table() -> list[tuple[int, int, int]]:
    """(pid, ppid, pgid) of every process."""
    try:
        done = process.run(["ps", "-A", "-o", "pid=,ppid=,pgid="], timeout=10, check=False)
    except ProcessError:
        return []
    rows = []
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            rows.append((int(parts[0]), int(parts[1]), int(parts[2])))
    return rows


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for child, parent, _ in _table():
        children.setdefault(parent, []).append(child)
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _signal(pid: int, sig: int, group: bool = False) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if group:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def terminate(record: SessionRecord, grace: float = STOP_GRACE) -> bool:
    """Stop the session's process group and every descendant. True if anything was running."""
    if not alive(record):
        # The leader is gone; its old group id may belong to someone else by now: leave it.
        return False
    kids = descendants(record.pid)
    groups = {record.pgid}
    _signal(record.pgid, signal.SIGTERM, group=True)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if (
            identity(record.pid) is None
            and not _group_alive(record.pgid)
            and not any(identity(k) for k in kids)
        ):
            return True
        time.sleep(0.2)
    for kid in kids:  # kernels run in sessions of their own: kill their groups too
        with contextlib.suppress(ProcessLookupError, PermissionError):
            groups.add(os.getpgid(kid))
        _signal(kid, signal.SIGKILL)
    for group in groups:
        _signal(group, signal.SIGKILL, group=True)
    _signal(record.pid, signal.SIGKILL)
    for _ in range(25):
        if identity(record.pid) is None and not _group_alive(record.pgid):
            break
        time.sleep(0.2)
    return True
