"""The one check for user-given names that become path components (sessions, datasets, courses,
extras, profiles, hub users): one pattern, a few reserved names, one error with a valid example.

A name passes when it matches NAME_PATTERN (letters, digits, `.`, `_`, `-`, at most 63, starting
with a letter or digit, so never `.`, `..` or a hidden file) and is not reserved (`archive` is the
data folder's archive store; the comparison ignores case, as some file systems do)."""

from __future__ import annotations

import re

from dlbox.errors import UsageError

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"
_NAME = re.compile(NAME_PATTERN)
RESERVED = frozenset({"archive", "tmp", "lost+found"})
EXAMPLES = {
    "session": "my-project",
    "dataset": "pets",
    "course": "course22",
    "extra": "vision",
    "profile": "gpu-large",
}


def is_valid_name(text: str) -> bool:
    return bool(_NAME.match(text)) and text.lower() not in RESERVED and "\n" not in text


def check_name(kind: str, text: str) -> str:
    """`text` when it can be a `kind` name (a path component); else a UsageError (exit 2)."""
    if is_valid_name(text):
        return text
    example = EXAMPLES.get(kind, "my-name")
    if text.lower() in RESERVED:
        why = f"{text!r} is reserved (dlbox uses that folder itself)"
    else:
        why = (
            f"{text!r} is not a valid {kind} name: use 1 to 63 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (no '/', no '..')"
        )
    raise UsageError(f"{why}.", f"Choose another {kind} name, e.g. {example}.")
