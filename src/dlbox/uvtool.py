"""Finding uv, which dlbox depends on (lock, add/remove, the local engine): one search order."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dlbox.errors import DlboxError


def find_uv(purpose: str) -> str:
    """uv from PATH, else the one beside this Python (a venv's or pipx's bin), else the uv
    package's own binary. `purpose` completes "... needs uv" in the error."""
    found = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if found:
        return found
    try:
        import uv  # type: ignore[import-not-found, unused-ignore]

        return str(uv.find_uv_bin())
    except (ImportError, FileNotFoundError):
        raise DlboxError(
            f"{purpose} needs uv, and uv is not installed.",
            "Install it with `pip install uv` (or `pipx install uv`), then run the command again.",
        ) from None
