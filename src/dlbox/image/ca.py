"""Finding the CA bundle that builds must trust (corporate proxies re-sign HTTPS).

Order: an explicit --ca-bundle, then SSL_CERT_FILE, REQUESTS_CA_BUNDLE, PIP_CERT, then the system
bundle. The bundle goes to the build as a BuildKit secret, so it never lands in an image layer.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dlbox.errors import UsageError

ENV_VARS = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT")
SYSTEM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/ssl/cert.pem",  # macOS, OpenBSD
    "/etc/ssl/ca-bundle.pem",  # openSUSE
)


@dataclass(frozen=True)
class CaBundle:
    path: Path | None
    source: str  # "--ca-bundle", an env var name, "system", or "none"

    def to_dict(self) -> dict[str, object]:
        return {"path": str(self.path) if self.path else None, "source": self.source}


def _usable(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


def detect_ca_bundle(
    explicit: Path | None = None,
    environ: Mapping[str, str] | None = None,
    system_bundles: tuple[str, ...] = SYSTEM_BUNDLES,
) -> CaBundle:
    environ = os.environ if environ is None else environ
    if explicit is not None:
        path = explicit.expanduser()
        if not _usable(path):
            raise UsageError(
                f"--ca-bundle {explicit} is not a readable, non-empty file.",
                "Pass the PEM file that holds your proxy's CA (e.g. /etc/ssl/cert.pem).",
            )
        return CaBundle(path.resolve(), "--ca-bundle")
    for var in ENV_VARS:
        value = environ.get(var)
        if value and _usable(Path(value)):
            return CaBundle(Path(value).resolve(), var)
    for candidate in system_bundles:
        if _usable(Path(candidate)):
            return CaBundle(Path(candidate).resolve(), "system")
    return CaBundle(None, "none")
