"""scripts/download_size.py: the first download's size from the locks (what docs/requirements.md
quotes). The uv, apt and Docker calls need the network; these are the parts that read them."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT: dict[str, Any] = runpy.run_path(str(ROOT / "scripts" / "download_size.py"))

LOCK = """\
# dlbox environment lock (course) for linux-x86_64, Python 3.11.
Six==1.17.0 \\
    --hash=sha256:{six_whl} \\
    --hash=sha256:{six_sdist}
    # via fastai
typing_extensions==4.12.2 \\
    --hash=sha256:{te}
"""
SIX_WHL, SIX_SDIST, TE = "a" * 64, "b" * 64, "c" * 64


def pylock(six_digest: str) -> dict[str, object]:
    return {
        "packages": [
            {
                "name": "six",
                "sdist": {"size": 34031, "hashes": {"sha256": SIX_SDIST}},
                "wheels": [{"size": 11050, "hashes": {"sha256": six_digest}}],
            },
            {"name": "typing-extensions", "sdist": {"size": 900, "hashes": {"sha256": TE}}},
        ]
    }


def test_sizes_are_of_the_files_the_lock_allows() -> None:
    allowed = SCRIPT["lock_hashes"](LOCK.format(six_whl=SIX_WHL, six_sdist=SIX_SDIST, te=TE))
    assert allowed == {"six": {SIX_WHL, SIX_SDIST}, "typing-extensions": {TE}}
    # the wheel uv picked (11050 bytes), and the sdist where there is no wheel (900)
    assert SCRIPT["pylock_sizes"](pylock(SIX_WHL), allowed) == (2, 11950)
    with pytest.raises(SystemExit, match="six: the file uv picked"):
        SCRIPT["pylock_sizes"](pylock("d" * 64), allowed)


def test_apt_print_uris_are_counted() -> None:
    output = (
        "'http://deb.debian.org/debian/pool/main/g/git/git_2.39.5-0%2bdeb12u2_amd64.deb' "
        "git_1%3a2.39.5-0+deb12u2_amd64.deb 7264708 MD5Sum:0123\n"
        "'http://deb.debian.org/debian/pool/main/l/less/less_590-2.1~deb12u2_amd64.deb' "
        "less_590-2.1~deb12u2_amd64.deb 132680 MD5Sum:4567\n"
        "Reading package lists...\n"
    )
    assert SCRIPT["apt_uris"](output) == (2, 7264708 + 132680)
