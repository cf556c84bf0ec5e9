"""The few git operations course repos need, all through dlbox.process, never prompting."""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

from dlbox import paths, process
from dlbox.errors import ProcessError

CLONE_TIMEOUT = 1800.0
PULL_TIMEOUT = 900.0
QUICK_TIMEOUT = 60.0

_OFFLINE = ("could not resolve host", "unable to access", "failed to connect",
            "connection timed out", "network is unreachable", "could not read from remote",
            "connection refused", "temporary failure in name resolution", "operation timed out")
_MISSING = ("does not appear to be a git repository", "repository not found",
            "could not find remote branch", "terminal prompts disabled", "authentication failed")
_MISSING_WEAK = ("not found", "no such file or directory")


_USERINFO = re.compile(r"(?<=://)[^/@\s]+(?=@)")


def url_secrets(texts: Sequence[str]) -> list[str]:
    """Credentials written into URLs (https://user:token@host/...): never shown, never logged."""
    return [m.group(0) for text in texts for m in _USERINFO.finditer(text)]


def safe_url(url: str) -> str:
    return _USERINFO.sub("***", url)


def git_env() -> dict[str, str]:
    """Never ask for a password on the terminal (a missing repo fails instead of hanging)."""
    env = {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never", "LC_ALL": "C"}
    if "GIT_SSH_COMMAND" not in os.environ:
        env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
    return env


def git(args: Sequence[str], *, cwd: Path | None = None, check: bool = True,
        timeout: float = QUICK_TIMEOUT) -> process.Completed:
    return process.run(["git", *args], env=git_env(), cwd=cwd, timeout=timeout, check=check,
                       redact=url_secrets(args))


def is_clone(folder: Path) -> bool:
    return (folder / ".git").exists()


def normalize_url(url: str) -> str:
    text = url.strip().rstrip("/")
    text = text[:-4] if text.endswith(".git") else text
    return text.rstrip("/").lower()


def origin_url(folder: Path) -> str:
    done = git(["remote", "get-url", "origin"], cwd=folder, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def local_changes(folder: Path) -> list[str]:
    """`git status --porcelain` lines: tracked changes ("M lesson1.ipynb") and untracked ("??")."""
    done = git(["status", "--porcelain"], cwd=folder)
    return [line for line in done.stdout.splitlines() if line.strip()]


def head(folder: Path) -> str:
    done = git(["rev-parse", "--short", "HEAD"], cwd=folder, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def streamed(argv: list[str], *, cwd: Path | None, log_name: str, timeout: float,
             on_line: Callable[[str], None]) -> tuple[int, list[str], Path]:
    """Run a long git command, feeding progress lines to on_line; returns (rc, last lines, log)."""
    last: deque[str] = deque(maxlen=process.STDERR_TAIL_LINES)

    def feed(line: str) -> None:
        if line.strip():
            last.append(line)
            on_line(line)

    log = paths.logs_dir() / f"{log_name}.log"
    rc = process.stream(argv, on_line=feed, log_path=log, timeout=timeout, env=git_env(), cwd=cwd,
                        redact=url_secrets(argv))
    return rc, list(last), log


def failure(action: str, url: str, argv: Sequence[str], rc: int, lines: Sequence[str],
            log: Path, retry: str) -> ProcessError:
    """Turn a failed clone/pull into a message that says which of the usual causes it was."""
    hidden = url_secrets([*argv, url])
    url = safe_url(url)
    argv = process.redact_argv(argv, hidden)
    lines = [process.redact_text(line, hidden) for line in lines]
    said = "\n".join(ln for ln in lines if not re.match(r"^(Receiving|Resolving|remote:) ", ln))
    low = said.lower()
    missing = any(marker in low for marker in _MISSING)
    if not missing and any(marker in low for marker in _OFFLINE):
        message = (f"Could not {action} {url}: the remote is unreachable "
                   "(offline, a proxy, or the host is down).")
        hint = f"Check your network connection, then run `{retry}` again."
    elif missing or any(marker in low for marker in _MISSING_WEAK):
        message = (f"Could not {action} {url}: there is no git repository (or branch) there, "
                   "or it is private.")
        hint = "Check the URL; `dlbox course list` shows the known courses."
    else:
        message = f"git {action} of {url} failed with exit code {rc}."
        hint = f"Read the output above, fix the cause, then run `{retry}` again."
    return ProcessError(message, argv=list(argv), returncode=rc, stderr_tail=process.tail(said, 8),
                        hint=hint, log_path=log)
