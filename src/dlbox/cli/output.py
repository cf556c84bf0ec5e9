"""Printing without Rich: the redaction every printed text passes (URL credentials and secret
URL parameters come out as ***), the secrets a command may show (`reveal`), and JSON documents.
dlbox.cli.console builds its Rich consoles on this; commands that print only plain text (`ps`)
use it directly and start without importing Rich."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from dlbox import redact

_revealed: set[str] = set()


def reveal(secret: str) -> None:
    """Let `secret` through the redaction (only for a secret the user asked to see)."""
    if secret:
        _revealed.add(secret)


def reveal_url(url: str) -> None:
    """Let the secrets of this one URL through (the Jupyter URL `up` and `ps --token` show)."""
    for secret in redact.url_secrets([url]):
        reveal(secret)


def redacted(text: str) -> str:
    return redact.redact_text(text, _revealed)


def print_json(data: Any) -> None:
    """One JSON document to stdout, redacted. Commands call print_result or print_results."""
    text = json.dumps(redact.redact_data(data, _revealed), indent=2, sort_keys=True, default=str)
    sys.stdout.write(redacted(text) + "\n")


class Result(Protocol):
    def to_dict(self) -> dict[str, object]: ...


def print_result(result: Result | None = None, *, ok: bool | None = True, **fields: Any) -> None:
    """`--json`: the one document a command prints, {"ok": ok, **result.to_dict(), **fields}.

    ok=None prints the result's own document as it is: a report with a schema of its own
    (`doctor`) or an "ok" of its own (`verify`)."""
    document: dict[str, Any] = {} if ok is None else {"ok": ok}
    document.update(result.to_dict() if result is not None else {})
    document.update(fields)
    print_json(document)


def print_results(results: Iterable[Mapping[str, object]]) -> None:
    """`--json` of a listing that is a bare array, one object per item (`ps`)."""
    print_json(list(results))


def write(text: str) -> None:
    """Plain text to stdout, as written (no markup), redacted."""
    sys.stdout.write(redacted(text))


def info(message: str) -> None:
    """A plain message line to stderr, redacted."""
    sys.stderr.write(redacted(message) + "\n")
