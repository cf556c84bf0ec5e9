"""`dlbox hub up --ssl-cert/--ssl-key`: the real proxy serves TLS with the given certificate."""

from __future__ import annotations

import json
import ssl
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import dlbox, free_port_block

pytestmark = pytest.mark.e2e


def test_hub_serves_tls_with_the_given_certificate(tmp_path: Path, fastai_image: str) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    port = free_port_block(1, start=18990)
    env = {"DLBOX_DATA_DIR": str(tmp_path / "data"), "DLBOX_CODE_DIR": str(tmp_path / "code")}
    up = dlbox(
        "hub", "up", "--gpus", "none", "--port", str(port), "--ssl-cert", str(cert),
        "--ssl-key", str(key), "--json", env=env, timeout=900,
    )  # fmt: skip
    try:
        assert up.code == 0, up.output
        url = json.loads(up.stdout)["url"]
        assert url == f"https://127.0.0.1:{port}/"
        context = ssl.create_default_context(cafile=str(cert))  # verified against the cert
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
        )
        with opener.open(url + "hub/api", timeout=10) as resp:
            assert resp.status == 200 and "version" in json.loads(resp.read())
        with pytest.raises(OSError):  # no plain HTTP on the TLS port
            urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                f"http://127.0.0.1:{port}/hub/api", timeout=10
            )
    finally:
        down = dlbox("hub", "down", env=env, timeout=300)
        assert down.code == 0, down.output
