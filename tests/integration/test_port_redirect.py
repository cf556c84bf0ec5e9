"""A port that nothing listens on but that a NAT rule sends elsewhere (what a Podman container
that was never cleaned up leaves behind: netavark's OUTPUT rule covers 127.0.0.1, Docker's does
not). Before: `up` took it, Docker published it, and Jupyter "did not answer within 180 s".

Real netfilter, no root: the dlbox commands run in a private user and network namespace
(`unshare -rn`) with one real iptables DNAT rule for the port."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PORT = 18888
IPTABLES = "/usr/sbin/iptables"
# Something listening at 127.0.0.1:18999 inside the namespace, for the rule to send connections to.
LISTENER = (
    f"{sys.executable} -c 'import socket, time; s = socket.socket(); "
    's.bind(("127.0.0.1", 18999)); s.listen(); time.sleep(120)\''
)


def _in_namespace(
    tmp_path: Path, *dlbox_args: str, target: str
) -> subprocess.CompletedProcess[str]:
    if not (shutil.which("unshare") and Path(IPTABLES).exists()):
        if os.environ.get("CI") == "true":
            pytest.fail("unshare and iptables are needed (scripts/setup-engine installs them)")
        pytest.skip("unshare or iptables missing")
    dlbox = " ".join([sys.executable, "-m", "dlbox", *dlbox_args])
    script = (
        "ip link set lo up && "
        f"{IPTABLES} -t nat -A OUTPUT -p tcp -d 127.0.0.1 --dport {PORT} "
        f"-j DNAT --to-destination {target} && "
        f"{{ {LISTENER} >/dev/null 2>&1 & }} && sleep 0.5 && exec {dlbox}"
    )
    env = dict(os.environ, DLBOX_STATE_DIR=str(tmp_path / "state"), COLUMNS="200")
    env["DLBOX_CONFIG_FILE"] = str(tmp_path / "config.toml")
    return subprocess.run(
        ["unshare", "-rn", "sh", "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("target", "how"),
    [
        ("10.255.255.1:80", "connections to it"),  # a container address that is gone
        ("127.0.0.1:18999", "something answers though nothing here listens on it"),
    ],
)
def test_doctor_names_a_redirected_port_and_where_up_would_go(
    tmp_path: Path, target: str, how: str
) -> None:
    (tmp_path / "config.toml").write_text(f"port = {PORT}\n")
    done = _in_namespace(tmp_path, "doctor", "--json", target=target)
    assert done.stdout, done.stderr
    checks = {c["id"]: c for c in json.loads(done.stdout)["checks"]}
    port = checks["port"]
    assert port["status"] == "warn", port
    assert port["details"]["redirected"] is True and port["details"]["free"] is False
    assert f"port {PORT} on 127.0.0.1 is redirected by a NAT rule" in port["finding"]
    assert how in port["finding"]
    assert f"`up` would move to port {PORT + 1}" in port["finding"]
