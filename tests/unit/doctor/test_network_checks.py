"""Proxy redaction, CA bundle, PyPI reachability with fake HTTP."""

from __future__ import annotations

import json
import ssl
from pathlib import Path

from dlbox.doctor.checks_network import check_ca_bundle, check_proxy, check_pypi, redact_proxy

from .fakes import engine_choice, make_facts


def test_redact_proxy_credentials() -> None:
    assert redact_proxy("http://alice:s3cret@proxy.corp:3128") == "http://***@proxy.corp:3128"
    assert redact_proxy("http://token@proxy.corp") == "http://***@proxy.corp"
    assert redact_proxy("http://proxy.corp:3128") == "http://proxy.corp:3128"


def test_proxy_values_never_show_secrets(tmp_path: Path) -> None:
    facts = make_facts(tmp_path)
    env = {
        **facts.environ,
        "HTTPS_PROXY": "http://alice:s3cret@proxy.corp:3128",
        "no_proxy": "localhost,127.0.0.1",
    }
    found = check_proxy(facts.with_changes(environ=env))
    assert found.status == "ok"
    assert "s3cret" not in json.dumps(found.details) + found.finding
    assert "HTTPS_PROXY=http://***@proxy.corp:3128" in found.finding


def test_proxy_without_no_proxy_warns(tmp_path: Path) -> None:
    facts = make_facts(tmp_path)
    found = check_proxy(facts.with_changes(environ={**facts.environ, "http_proxy": "http://p:80"}))
    assert found.status == "warn" and "NO_PROXY" in found.fix


def test_ca_bundle_goes_to_builds_as_a_secret(tmp_path: Path) -> None:
    pem = tmp_path / "ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    facts = make_facts(
        tmp_path,
        flags={"ca_bundle": str(pem)},
        choose_engine=lambda p, e: engine_choice("/bin/false"),
    )
    found = check_ca_bundle(facts)
    assert found.status == "ok" and "BuildKit secret" in found.finding
    no_bk = make_facts(
        tmp_path,
        flags={"ca_bundle": str(pem)},
        choose_engine=lambda p, e: engine_choice("/bin/false", mode="none"),
    )
    assert check_ca_bundle(no_bk).status == "warn"


def test_pypi_ok_and_certificate_failure(tmp_path: Path) -> None:
    seen: list[object] = []

    def ok(url: str, timeout: float, ca: Path | None) -> int:
        seen.append((url, timeout))
        return 200

    assert check_pypi(make_facts(tmp_path, http_get=ok)).status == "ok"
    assert seen == [("https://pypi.org/simple/pip/", 5.0)]

    def bad_cert(url: str, timeout: float, ca: Path | None) -> int:
        raise ssl.SSLCertVerificationError("certificate verify failed: self-signed certificate")

    found = check_pypi(make_facts(tmp_path, http_get=bad_cert))
    assert found.status == "fail" and "ca_bundle" in found.fix


def test_pypi_error_redacts_proxy_credentials(tmp_path: Path) -> None:
    def proxy_down(url: str, timeout: float, ca: Path | None) -> int:
        raise OSError("cannot connect to proxy http://bob:hunter2@proxy:3128")

    found = check_pypi(make_facts(tmp_path, http_get=proxy_down))
    assert "hunter2" not in found.finding + json.dumps(found.details)
