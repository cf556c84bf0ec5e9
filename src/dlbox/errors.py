"""Typed errors. Core code raises these; only the CLI turns them into text and exit codes."""

from __future__ import annotations

import errno
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


class DlboxError(Exception):
    """A failure the user can act on: what happened (message) and the one thing to do (hint)."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None, *, log_path: Path | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.log_path = log_path

    def to_dict(self) -> dict[str, object]:
        return {
            "error": type(self).__name__,
            "message": self.message,
            "hint": self.hint,
            "log_path": str(self.log_path) if self.log_path else None,
        }


class UsageError(DlboxError):
    """Bad flags or arguments."""

    exit_code = 2


class ConfigError(DlboxError):
    """Bad configuration: names the file, the key and the fix."""

    exit_code = 2


class ProcessError(DlboxError):
    """A subprocess failed: carries its argv (redacted), exit code and the tail of stderr."""

    def __init__(
        self,
        message: str,
        *,
        argv: Sequence[str],
        returncode: int | None,
        stderr_tail: str = "",
        hint: str | None = None,
        log_path: Path | None = None,
    ):
        super().__init__(message, hint, log_path=log_path)
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr_tail = stderr_tail

    def to_dict(self) -> dict[str, object]:
        data = super().to_dict()
        data.update(argv=self.argv, returncode=self.returncode, stderr_tail=self.stderr_tail)
        return data


class ProcessTimeout(ProcessError):
    """A subprocess ran past its time limit and was killed."""


class EngineError(ProcessError):
    """The container engine refused or failed a request."""


class EngineUnavailable(DlboxError):
    """No usable container engine (binary missing, daemon down, no permission, no BuildKit)."""


class BuildError(DlboxError):
    """An image build failed; `relevant` holds the few lines that explain why."""

    def __init__(self, message: str, *, relevant: Sequence[str], log_path: Path, hint: str | None):
        super().__init__(message, hint, log_path=log_path)
        self.relevant = list(relevant)

    def to_dict(self) -> dict[str, object]:
        data = super().to_dict()
        data["relevant"] = self.relevant
        return data


class NotWritable(DlboxError):
    """A folder dlbox must write in is read-only (mount, permissions, or someone else's)."""


READ_ONLY_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


def not_writable(exc: OSError, fix: str = "") -> NotWritable:
    """The one message for a write refused by the file system: which folder, and how to fix it."""
    target = Path(exc.filename) if exc.filename else None
    folder = target.parent if target is not None else None
    where = f"in {folder}" if folder is not None else "a file"
    first = (
        f"Make {folder} writable (`chmod u+w {folder}`, or remount it read-write)"
        if folder is not None
        else "Make the folder writable"
    )
    return NotWritable(
        f"Cannot write {where}: {exc.strerror or exc} (it is read-only or not yours).",
        f"{first}{', or ' + fix if fix else ''}.",
    )


@contextmanager
def writes_under(fix: str = "") -> Iterator[None]:
    """Turn read-only/permission OSErrors raised inside into NotWritable (naming the folder)."""
    try:
        yield
    except OSError as exc:
        if exc.errno in READ_ONLY_ERRNOS:
            raise not_writable(exc, fix) from None
        raise
