"""The few git operations course repos need, all through dlbox.process, never prompting."""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

from dlbox import paths, process, redact
from dlbox.errors import ProcessError

CLONE_TIMEOUT = 1800.0
PULL_TIMEOUT = 900.0
QUICK_TIMEOUT = 60.0

_OFFLINE = (
    "could not resolve host",
    "unable to access",
    "failed to connect",
    "connection timed out",
    "network is unreachable",
    "could not read from remote",
    "connection refused",
    "temporary failure in name resolution",
    "operation timed out",
)
_MISSING = (
    "does not appear to be a git repository",
    "repository not found",
    "could not find remote branch",
    "terminal prompts disabled",
    "authentication failed",
)
_MISSING_WEAK = ("not found", "no such file or directory")
_LOGIN = ("could not read username", "could not read password", "authentication failed")


def url_secrets(texts: Sequence[str]) -> list[str]:
    """Credentials written into URLs (https://user:token@host/...): never shown, never logged."""
    return redact.url_secrets(texts)


def safe_url(url: str) -> str:
    return redact.redact_url(url)


# A credential helper that answers from the environment: the secret never enters argv (visible to
# every local user in /proc/PID/cmdline) nor the clone's .git/config (0644). The empty helper
# first drops configured helpers, so that none of them stores the secret either.
_ENV_HELPER = (
    '!f() { test "$1" = get || exit 0; '
    'printf \'username=%s\\npassword=%s\\n\' "$DLBOX_GIT_USERNAME" "$DLBOX_GIT_PASSWORD"; }; f'
)


def split_credentials(url: str) -> tuple[str, list[str], dict[str, str]]:
    """(the URL without user:password@, git options, environment) for a URL that carries
    credentials; the URL as it is otherwise."""
    from urllib.parse import unquote, urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        if parts.password is None and parts.username is None:
            return url, [], {}
    except ValueError:  # not a URL git could use either; git says so
        return url, [], {}
    host = parts.netloc.rsplit("@", 1)[1]
    clean = urlunsplit(parts._replace(netloc=host))
    env = {
        "DLBOX_GIT_USERNAME": unquote(parts.username or ""),
        "DLBOX_GIT_PASSWORD": unquote(parts.password or ""),
    }
    return clean, ["-c", "credential.helper=", "-c", f"credential.helper={_ENV_HELPER}"], env


def git_env() -> dict[str, str]:
    """Never ask for a password on the terminal (a missing repo fails instead of hanging)."""
    env = {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never", "LC_ALL": "C"}
    if "GIT_SSH_COMMAND" not in os.environ:
        env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
    return env


def git(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    check: bool = True,
    timeout: float = QUICK_TIMEOUT,
) -> process.Completed:
    return process.run(
        ["git", *args],
        env=git_env(),
        cwd=cwd,
        timeout=timeout,
        check=check,
        redact=url_secrets(args),
    )


def is_clone(folder: Path) -> bool:
    return (folder / ".git").exists()


def normalize_url(url: str) -> str:
    text = re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#@]*@", r"\1", url.strip()).rstrip("/")
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


def streamed(
    argv: list[str],
    *,
    cwd: Path | None,
    log_name: str,
    timeout: float,
    on_line: Callable[[str], None],
    secret_env: dict[str, str] | None = None,
) -> tuple[int, list[str], Path]:
    """Run a long git command, feeding progress lines to on_line; returns (rc, last lines, log)."""
    last: deque[str] = deque(maxlen=process.STDERR_TAIL_LINES)

    def feed(line: str) -> None:
        if line.strip():
            last.append(line)
            on_line(line)

    log = paths.logs_dir() / f"{log_name}.log"
    rc = process.stream(
        argv,
        on_line=feed,
        log_path=log,
        timeout=timeout,
        env={**git_env(), **(secret_env or {})},
        cwd=cwd,
        redact=url_secrets(argv) + [v for v in (secret_env or {}).values() if v],
    )
    return rc, list(last), log


def failure(
    action: str, url: str, argv: Sequence[str], rc: int, lines: Sequence[str], log: Path, retry: str
) -> ProcessError:
    """Turn a failed clone/pull into a message that says which of the usual causes it was."""
    hidden = url_secrets([*argv, url])
    url = safe_url(url)
    argv = process.redact_argv(argv, hidden)
    lines = [process.redact_text(line, hidden) for line in lines]
    said = "\n".join(ln for ln in lines if not re.match(r"^(Receiving|Resolving|remote:) ", ln))
    low = said.lower()
    missing = any(marker in low for marker in _MISSING)
    needs_login = any(marker in low for marker in _LOGIN)
    if needs_login:
        message = (
            f"Could not {action} {url}: the server asks for a login (the repository is private, "
            "or there is none at that URL)."
        )
        hint = (
            "dlbox keeps no credentials in the clone (its .git/config is readable by others). "
            "Let git keep them for you: `git config --global credential.helper store` (0600 in "
            "~/.git-credentials) or your desktop's keychain, or use an SSH URL; a first clone "
            "also works as `dlbox course get https://USER:TOKEN@host/repo`."
        )
    elif not missing and any(marker in low for marker in _OFFLINE):
        message = (
            f"Could not {action} {url}: the remote is unreachable "
            "(offline, a proxy, or the host is down)."
        )
        hint = f"Check your network connection, then run `{retry}` again."
    elif missing or any(marker in low for marker in _MISSING_WEAK):
        message = (
            f"Could not {action} {url}: there is no git repository (or branch) there, "
            "or it is private."
        )
        hint = "Check the URL; `dlbox course list` shows the known courses."
    else:
        message = f"git {action} of {url} failed with exit code {rc}."
        hint = f"Read the output above, fix the cause, then run `{retry}` again."
    return ProcessError(
        message,
        argv=list(argv),
        returncode=rc,
        stderr_tail=process.tail(said, 8),
        hint=hint,
        log_path=log,
    )
