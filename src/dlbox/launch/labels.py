"""The labels dlbox puts on what it starts (its own module: `dlbox ps` needs them without the
rest of the launch code)."""

from __future__ import annotations

LABEL_PREFIX = "io.dlbox"
OWNER_LABEL = f"{LABEL_PREFIX}.owner"
