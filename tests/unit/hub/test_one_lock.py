"""The hub that dlbox installs and the jupyterhub inside the image come from one lock."""

from __future__ import annotations

import sys
from pathlib import Path

from dlbox.environment.lockset import load_lockset

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[3]


def test_hub_extra_pins_the_jupyterhub_locked_in_the_image() -> None:
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["hub"]
    pins = [r for r in extra if r.startswith("jupyterhub==")]
    assert len(pins) == 1, extra
    hub_version = pins[0].split("==", 1)[1]
    for arch in ("x86_64", "aarch64"):
        assert load_lockset(arch).version("jupyterhub") == hub_version, arch
