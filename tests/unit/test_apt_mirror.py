"""scripts/apt-mirror: setup-engine's debootstrap uses the Debian mirror apt is configured with."""

from __future__ import annotations

import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "apt-mirror"


def mirror(root: Path) -> str:
    done = subprocess.run([str(SCRIPT), str(root)], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_deb822_first_uri_that_is_not_the_security_archive(tmp_path: Path) -> None:
    folder = tmp_path / "etc" / "apt" / "sources.list.d"
    folder.mkdir(parents=True)
    (folder / "debian.sources").write_text(
        "Types: deb\n"
        "URIs: http://security.debian.org/debian-security\n"
        "Suites: bookworm-security\n\n"
        "Types: deb\n"
        "URIs: https://mirror.example.org/debian http://deb.debian.org/debian\n"
        "Suites: bookworm bookworm-updates\n"
    )
    (tmp_path / "etc" / "apt" / "sources.list").write_text("deb http://other.example/debian x\n")
    assert mirror(tmp_path) == "https://mirror.example.org/debian"


def test_one_line_sources_list_with_options(tmp_path: Path) -> None:
    apt = tmp_path / "etc" / "apt"
    apt.mkdir(parents=True)
    (apt / "sources.list").write_text(
        "# a comment\n"
        "deb-src http://src.example/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://proxy.corp:3142/debian "
        "bookworm main\n"
    )
    assert mirror(tmp_path) == "http://proxy.corp:3142/debian"


def test_no_apt_configuration_falls_back_to_deb_debian_org(tmp_path: Path) -> None:
    assert mirror(tmp_path) == "http://deb.debian.org/debian"
