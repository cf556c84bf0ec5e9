"""dlbox/process.py as its callers rely on it: what errors say, what the child gets (environment,
folder, input, no terminal input), what lands in logs, and that background processes outlive
the CLI in their own session. Written against surviving mutants of process.py (CONTRIBUTING.md,
"Mutation testing")."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dlbox import process
from dlbox.errors import EngineError, ProcessError, ProcessTimeout

PY = sys.executable
PY_NAME = Path(PY).name


def test_run_gives_output_code_and_time_without_raising_when_unchecked(tmp_path: Path) -> None:
    code = "import os, sys; print(os.getcwd()); sys.stderr.write('warn\\n'); sys.exit(4)"
    done = process.run([PY, "-c", code], check=False, cwd=tmp_path)
    assert done.returncode == 4 and done.stdout.strip() == str(tmp_path)
    assert done.stderr == "warn\n" and done.argv == [PY, "-c", code]
    assert 0 < done.seconds < 30


def test_run_adds_env_to_the_callers_and_feeds_input() -> None:
    code = "import os, sys; print(os.environ['EXTRA'], 'PATH' in os.environ, sys.stdin.read())"
    done = process.run([PY, "-c", code], env={"EXTRA": "x1"}, input_text="fed")
    assert done.stdout.strip() == "x1 True fed"


@contextmanager
def _typed_ahead(text: bytes) -> Iterator[None]:
    """Our own standard input holds `text`, as a terminal would hold what the user typed."""
    read, write = os.pipe()
    os.write(write, text)
    os.close(write)
    saved = os.dup(0)
    os.dup2(read, 0)
    try:
        yield
    finally:
        os.dup2(saved, 0)
        os.close(saved)
        os.close(read)


def test_children_never_read_what_the_user_types_into_dlbox(tmp_path: Path) -> None:
    read_stdin = [PY, "-c", "import sys; print(repr(sys.stdin.read()))"]
    log = tmp_path / "log"
    seen: list[str] = []
    with _typed_ahead(b"typed ahead\n"):
        done = process.run(read_stdin, timeout=20)
        process.stream(read_stdin, on_line=seen.append, timeout=20)
        process.spawn(read_stdin, log_path=log).wait(timeout=20)
    assert done.stdout.strip() == "''" and seen == ["''"]
    assert log.read_text().strip() == "''"


def test_a_failure_names_the_command_its_code_and_the_last_lines() -> None:
    code = (
        "import sys; print('\\n'.join(f'line {i}' for i in range(30)), file=sys.stderr); "
        "sys.exit(2)"
    )
    with pytest.raises(EngineError) as caught:
        process.run([PY, "-c", code, "more", "args"], error_type=EngineError)
    err = caught.value
    assert err.message == f"`{PY} -c {code}` failed with exit code 2"  # its first three words
    assert err.returncode == 2
    assert err.stderr_tail == "\n".join(f"line {i}" for i in range(10, 30))


def test_a_failure_with_nothing_on_stderr_shows_stdout() -> None:
    with pytest.raises(ProcessError) as caught:
        process.run([PY, "-c", "print('only stdout'); raise SystemExit(1)"])
    assert caught.value.stderr_tail == "only stdout"


def test_a_missing_program_says_what_to_install(tmp_path: Path) -> None:
    missing = tmp_path / "nosuchtool"
    for call in (
        lambda: process.run([missing]),
        lambda: process.stream([missing], on_line=print),
        lambda: process.interactive([str(missing)]),
    ):
        with pytest.raises(ProcessError) as caught:
            call()
        assert caught.value.message == f"Cannot run {missing}: No such file or directory"
        assert caught.value.returncode is None and caught.value.argv == [str(missing)]
    for call in (lambda: process.run([missing]), lambda: process.stream([missing], on_line=print)):
        with pytest.raises(ProcessError) as caught:
            call()
        assert caught.value.hint == "Install nosuchtool or put it on PATH (and make it executable)."


def test_a_timeout_names_the_program_the_limit_and_what_it_said() -> None:
    code = (
        "import sys, time; sys.stderr.buffer.write(b'slow start S3CRET \\xff\\n'); "
        "sys.stderr.flush(); time.sleep(30)"
    )
    with pytest.raises(ProcessTimeout) as caught:
        process.run([PY, "-c", code, "S3CRET"], timeout=2, redact=["S3CRET"])
    err = caught.value
    assert err.message == f"{PY_NAME} did not finish within 2 s"
    assert err.argv[-1] == "***" and err.returncode is None
    assert err.stderr_tail == "slow start *** \ufffd"


def test_tail_keeps_the_last_lines() -> None:
    assert process.tail("a\nb\nc\n", 2) == "b\nc"
    assert process.tail("\n".join(str(i) for i in range(50))) == "\n".join(
        str(i) for i in range(30, 50)
    )


def test_stream_merges_output_logs_the_redacted_command_and_returns_the_code(
    tmp_path: Path,
) -> None:
    code = (
        "import os, sys; print('out', os.environ['EXTRA'], os.getcwd(), flush=True); "
        "sys.stderr.write('err\\n'); sys.stdout.buffer.write(b'bad \\xff\\n'); "
        "print('spaces kept  '); print('BOX'); sys.exit(5)"
    )
    seen: list[str] = []
    log = tmp_path / "log"
    rc = process.stream(
        [PY, "-c", code, "S3CRET"],
        on_line=seen.append,
        log_path=log,
        env={"EXTRA": "e"},
        cwd=tmp_path,
        redact=["S3CRET"],
    )
    assert rc == 5
    assert sorted(seen) == sorted(
        [f"out e {tmp_path}", "err", "bad \ufffd", "spaces kept  ", "BOX"]
    )
    lines = log.read_text().splitlines()
    assert lines[0] == f"$ {PY} -c {code} ***"
    assert sorted(lines[1:]) == sorted(seen)


def test_stream_timeout_names_the_log(tmp_path: Path) -> None:
    log = tmp_path / "log"
    with pytest.raises(ProcessTimeout) as caught:
        process.stream(
            [PY, "-c", "import time; time.sleep(30)"], on_line=print, log_path=log, timeout=1
        )
    assert caught.value.message == f"{PY_NAME} did not finish within 1 s"
    assert caught.value.log_path == log


def test_spawn_runs_in_its_own_session_and_appends_to_its_log(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text("earlier\n")
    code = (
        "import os, sys; print(os.getsid(0) == os.getpid(), os.environ.get('EXTRA'), "
        "'PATH' in os.environ, os.getcwd(), flush=True); sys.stderr.write('to the log too\\n')"
    )
    proc = process.spawn([PY, "-c", code], env={"EXTRA": "s"}, cwd=tmp_path, log_path=log)
    assert proc.wait(timeout=30) == 0
    assert log.read_text() == f"earlier\nTrue s True {tmp_path}\nto the log too\n"


def test_spawn_with_full_env_passes_only_that_environment(tmp_path: Path) -> None:
    log = tmp_path / "log"
    code = "import os; print(sorted(k for k in os.environ if k != 'LC_CTYPE'))"
    proc = process.spawn([PY, "-c", code], env={"ONLY": "1"}, log_path=log, full_env=True)
    assert proc.wait(timeout=30) == 0
    assert log.read_text().strip() == "['ONLY']"


def test_interactive_returns_the_exit_code_and_adds_env(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = f"import os; open({str(out)!r}, 'w').write(os.environ['EXTRA']); raise SystemExit(7)"
    start = time.monotonic()
    assert process.interactive([PY, "-c", code], env={"EXTRA": "i"}) == 7
    assert out.read_text() == "i" and time.monotonic() - start < 30
    assert os.environ.get("EXTRA") is None  # the caller's environment is unchanged


def test_ctrl_c_during_an_interactive_command_is_exit_130() -> None:
    import signal
    import threading

    # Python's own Ctrl-C handler, as in a terminal: a run started in the background by a shell
    # without job control inherits SIGINT ignored, and then no KeyboardInterrupt ever comes.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    start = time.monotonic()
    try:
        assert process.interactive([PY, "-c", "import time; time.sleep(20)"]) == 130
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - start < 15
