"""The one place dlbox starts subprocesses.

argv lists only (never a shell string), a timeout on every call, typed errors that carry the argv,
the exit code and a stderr tail. Secrets never travel in argv; values listed in `redact` are
masked anyway in anything that is raised or logged.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dlbox import redact
from dlbox.errors import ProcessError, ProcessTimeout

STDERR_TAIL_LINES = 20
DEFAULT_TIMEOUT = 120.0


@dataclass(frozen=True)
class Completed:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def redact_text(text: str, secrets: Sequence[str] = ()) -> str:
    """Mask the given secrets and any URL credentials or secret URL parameters (dlbox.redact)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, redact.MASK)
    return redact.redact_text(text)


def redact_argv(argv: Sequence[str], secrets: Sequence[str]) -> list[str]:
    return [redact_text(a, secrets) for a in argv]


def tail(text: str, lines: int = STDERR_TAIL_LINES) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _merged_env(env: Mapping[str, str] | None) -> dict[str, str] | None:
    if env is None:
        return None
    merged = dict(os.environ)
    merged.update(env)
    return merged


def run(
    argv: Sequence[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
    input_text: str | None = None,
    check: bool = True,
    cwd: Path | None = None,
    redact: Sequence[str] = (),
    error_type: type[ProcessError] = ProcessError,
) -> Completed:
    """Run argv to completion, capturing output. Raises `error_type` on a non-zero exit if check."""
    argv = [str(a) for a in argv]
    shown = redact_argv(argv, redact)
    start = time.monotonic()
    try:
        proc = subprocess.run(  # noqa: S603 - argv list, no shell
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_merged_env(env),
            input=input_text,
            cwd=cwd,
            stdin=None if input_text is not None else subprocess.DEVNULL,
        )
    except OSError as exc:  # not found, not executable, not a file
        raise error_type(
            f"Cannot run {argv[0]}: {exc.strerror or exc}",
            argv=shown,
            returncode=None,
            hint=f"Install {Path(argv[0]).name} or put it on PATH (and make it executable).",
        ) from exc
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
        raise ProcessTimeout(
            f"{Path(argv[0]).name} did not finish within {timeout:.0f} s",
            argv=shown,
            returncode=None,
            stderr_tail=redact_text(tail(stderr), redact),
        ) from exc
    done = Completed(argv, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)
    if check and proc.returncode != 0:
        raise error_type(
            f"`{' '.join(shown[:3])}` failed with exit code {proc.returncode}",
            argv=shown,
            returncode=proc.returncode,
            stderr_tail=redact_text(tail(proc.stderr or proc.stdout), redact),
        )
    return done


def stream(
    argv: Sequence[str],
    *,
    on_line: Callable[[str], None],
    log_path: Path | None = None,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    redact: Sequence[str] = (),
) -> int:
    """Run argv, feeding each line of merged stdout/stderr to on_line (and the log file).

    Returns the exit code; the caller decides what a failure means. Kills the process on timeout.
    """
    argv = [str(a) for a in argv]
    log = open(log_path, "w", encoding="utf-8") if log_path else None
    try:
        if log:
            log.write("$ " + " ".join(redact_argv(argv, redact)) + "\n")
        try:
            proc = subprocess.Popen(  # noqa: S603 - argv list, no shell
                argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                errors="replace",
                bufsize=1,
                env=_merged_env(env),
                cwd=cwd,
            )
        except OSError as exc:  # not found, not executable, not a file
            raise ProcessError(
                f"Cannot run {argv[0]}: {exc.strerror or exc}",
                argv=redact_argv(argv, redact),
                returncode=None,
                hint=f"Install {Path(argv[0]).name} or put it on PATH (and make it executable).",
            ) from exc
        timer: threading.Timer | None = None
        timed_out = threading.Event()
        if timeout:

            def _kill() -> None:
                timed_out.set()
                proc.kill()

            timer = threading.Timer(timeout, _kill)
            timer.start()
        assert proc.stdout is not None
        try:
            for raw in proc.stdout:
                line = redact_text(raw.rstrip("\n"), redact)
                if log:
                    log.write(line + "\n")
                on_line(line)
            returncode = proc.wait()
        finally:
            # Ctrl-C or a failing callback must not leave the child (or the timer) running.
            if timer:
                timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if timed_out.is_set():
            raise ProcessTimeout(
                f"{Path(argv[0]).name} did not finish within {timeout:.0f} s",
                argv=redact_argv(argv, redact),
                returncode=None,
                log_path=log_path,
            )
        return returncode
    finally:
        if log:
            log.close()


def spawn(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    log_path: Path,
    full_env: bool = False,
) -> subprocess.Popen[bytes]:
    """Start a long-running background process (e.g. a host Jupyter), output to log_path.

    The process gets its own session so it survives the CLI and can be stopped as a group.
    With full_env, `env` replaces the environment instead of extending it.
    """
    argv = [str(a) for a in argv]
    with open(log_path, "ab") as log:
        return subprocess.Popen(  # noqa: S603 - argv list, no shell
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env) if full_env and env is not None else _merged_env(env),
            cwd=cwd,
            start_new_session=True,
        )


def interactive(argv: Sequence[str], *, env: Mapping[str, str] | None = None) -> int:
    """Run argv attached to the user's terminal (shell, logs -f). Returns its exit code."""
    argv = [str(a) for a in argv]
    try:
        return subprocess.call(argv, env=_merged_env(env))  # noqa: S603 - argv list, no shell
    except OSError as exc:
        raise ProcessError(
            f"Cannot run {argv[0]}: {exc.strerror or exc}", argv=argv, returncode=None
        ) from exc
    except KeyboardInterrupt:
        return 130
