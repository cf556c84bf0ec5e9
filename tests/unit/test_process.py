"""The one subprocess module: typed errors with argv, exit code and stderr tail; redaction;
timeouts that leave nothing running."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from dlbox import process
from dlbox.errors import ProcessError, ProcessTimeout


def test_failure_carries_redacted_argv_code_and_stderr_tail() -> None:
    code = "import sys; sys.stderr.write('S3CRET boom\\n'); sys.exit(3)"
    with pytest.raises(ProcessError) as info:
        process.run([sys.executable, "-c", code, "S3CRET"], redact=["S3CRET"])
    err = info.value
    assert err.returncode == 3
    assert err.argv[-1] == "***" and not any("S3CRET" in a for a in err.argv)
    assert err.stderr_tail == "*** boom"


def test_not_executable_is_a_typed_error(tmp_path: Path) -> None:
    script = tmp_path / "tool"
    script.write_text("#!/bin/sh\necho hi\n")  # no exec bit
    with pytest.raises(ProcessError) as info:
        process.run([str(script)])
    assert info.value.returncode is None and info.value.hint


def test_timeout_kills_and_says_so() -> None:
    start = time.monotonic()
    with pytest.raises(ProcessTimeout):
        process.run([sys.executable, "-c", "import time; time.sleep(30)"], timeout=1)
    assert time.monotonic() - start < 10


def test_stream_timeout_and_failing_callback_leave_no_child(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    code = (
        "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); "
        "print('line', flush=True); time.sleep(30)"
    )

    def explode(_line: str) -> None:
        raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError):
        process.stream([sys.executable, "-c", code, str(pidfile)], on_line=explode)
    pid = int(pidfile.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # reaped: gone
    with pytest.raises(ProcessTimeout):
        process.stream(
            [sys.executable, "-c", code, str(pidfile)], on_line=lambda _l: None, timeout=1
        )
    with pytest.raises(ProcessLookupError):
        os.kill(int(pidfile.read_text()), 0)


def test_stream_redacts_lines_and_log(tmp_path: Path) -> None:
    seen: list[str] = []
    log = tmp_path / "log"
    code = "print('token=S3CRET')"
    rc = process.stream(
        [sys.executable, "-c", code], on_line=seen.append, log_path=log, redact=["S3CRET"]
    )
    assert rc == 0 and seen == ["token=***"]
    assert "S3CRET" not in log.read_text()
