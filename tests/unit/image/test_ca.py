from __future__ import annotations

from pathlib import Path

import pytest

from dlbox.errors import UsageError
from dlbox.image.ca import detect_ca_bundle


def _pem(path: Path) -> Path:
    path.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    return path


def test_order_explicit_then_env_then_system(tmp_path: Path) -> None:
    explicit, ssl, req, pip, system = (_pem(tmp_path / n) for n in ("e", "s", "r", "p", "sys"))
    env = {"SSL_CERT_FILE": str(ssl), "REQUESTS_CA_BUNDLE": str(req), "PIP_CERT": str(pip)}
    systems = (str(system),)
    assert detect_ca_bundle(explicit, env, systems).source == "--ca-bundle"
    assert detect_ca_bundle(None, env, systems).source == "SSL_CERT_FILE"
    del env["SSL_CERT_FILE"]
    assert detect_ca_bundle(None, env, systems).source == "REQUESTS_CA_BUNDLE"
    del env["REQUESTS_CA_BUNDLE"]
    assert detect_ca_bundle(None, env, systems).path == pip.resolve()
    assert detect_ca_bundle(None, {}, systems).source == "system"
    assert detect_ca_bundle(None, {}, ()).source == "none"


def test_env_pointing_at_missing_or_empty_file_is_skipped(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    env = {"SSL_CERT_FILE": str(tmp_path / "missing.pem"), "REQUESTS_CA_BUNDLE": str(empty)}
    found = detect_ca_bundle(None, env, (str(_pem(tmp_path / "sys.pem")),))
    assert found.source == "system"


def test_explicit_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        detect_ca_bundle(tmp_path / "nope.pem", {}, ())
    assert "--ca-bundle" in info.value.message and info.value.hint
