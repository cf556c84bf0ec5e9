"""`dlbox hub` for real, on each engine DockerSpawner can speak to: the real dockerd with the real
environment image, and rootful Podman's Docker-compatible API service (scripts/setup-engine) with a
small hub-ready image (tests/fixtures/hub-env: JupyterLab and jupyterhub, no torch) that
`hub up` builds with `podman build`. JupyterHub + DockerSpawner from PyPI and the real
configurable-http-proxy; two users, each with a server."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dlbox.hub.api import HubApi, HubApiError
from dlbox.secretfile import write_secret
from tests.conftest import need
from tests.helpers import dlbox, docker_client, free_port_block, http_status
from tests.hub_kernel import api, run_cell

pytestmark = pytest.mark.e2e
HUB_LOCKS = Path(__file__).parents[1] / "fixtures" / "hub-env" / "locks"
ROOTFUL_PODMAN_SOCKET = "unix:///run/podman/podman.sock"
TESTER = "e2e-tester"


@dataclass(frozen=True)
class EngineCase:
    id: str
    engine: str  # `hub up --engine`; status and down find it in the hub's record
    env: dict[str, str] = field(default_factory=dict)
    torch: bool = True  # the full fastai image (Docker) or the small hub-env image (Podman)
    gpus: str = "none"  # Podman: auto, and the hub says why its users get none

    def cli(self) -> list[str]:
        return [docker_client()] if self.engine == "docker" else ["podman"]

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "CONTAINER_HOST")}
        env.update({k: v for k, v in self.env.items() if not k.startswith("DLBOX_")})
        return subprocess.run(
            [*self.cli(), *args], capture_output=True, text=True, timeout=timeout, env=env
        )


CASES = [
    EngineCase("docker", "docker"),
    # Rootful Podman the way a machine grants it (the root service's socket, group podman); as
    # root, podman itself talks to that store. The hub's DockerSpawner speaks Docker's API to it.
    EngineCase(
        "rootful-podman",
        "podman",
        {
            "DLBOX_LOCK_ROOT": str(HUB_LOCKS),
            **({} if os.getuid() == 0 else {"CONTAINER_HOST": ROOTFUL_PODMAN_SOCKET}),
        },
        torch=False,
        gpus="auto",
    ),
]


@dataclass
class Hub:
    url: str
    state: Path
    env: dict[str, str]
    users: tuple[str, str]
    case: EngineCase
    tester_token: Path

    def service(self) -> HubApi:
        """dlbox's own service token (manages users and servers; no `tokens` scope)."""
        return self._api((self.state / "service_token").read_text().strip())

    def tester(self) -> HubApi:
        """The test's own service (hub_extra_config), the only one that mints user tokens."""
        return self._api(self.tester_token.read_text().strip())

    def _api(self, token: str) -> HubApi:
        record = json.loads((self.state / "hub.json").read_text())
        return HubApi(f"http://127.0.0.1:{record['hub_port']}/hub/api", token, timeout=240)

    def cli(self, *args: str) -> tuple[int, str]:
        run = dlbox("hub", *args, env=self.env, timeout=600)
        return run.code, run.output


def hub_with_tester(folder: Path) -> tuple[Path, Path]:
    """A hub_extra_config adding the test's own service and role (scope `tokens`), its token in
    a 0600 file; dlbox's service keeps least privilege."""
    token = write_secret(folder / "secrets" / "tester_token", secrets.token_hex(32))
    extra = folder / "extra_config.py"
    extra.write_text(
        f"c.JupyterHub.services.append(\n"
        f"    {{'name': {TESTER!r}, 'api_token': Path({str(token)!r}).read_text().strip()}}\n"
        f")\n"
        f"c.JupyterHub.load_roles.append(\n"
        f"    {{'name': {TESTER!r}, 'services': [{TESTER!r}], 'scopes': ['tokens']}}\n"
        f")\n"
    )
    return extra, token


@pytest.fixture(params=CASES, ids=[c.id for c in CASES])
def hub(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    isolated_dlbox_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Hub]:
    case: EngineCase = request.param
    if case.engine == "docker":
        request.getfixturevalue("fastai_image")  # built once for the e2e session
    answer = case.run("info", timeout=60)
    if answer.returncode != 0:
        need(f"{case.id}: `{' '.join(case.cli())} info` fails: {answer.stderr.strip()[-300:]}")
    course = tmp_path / "course"
    course.mkdir()
    (course / "lesson1.ipynb").write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    extra, tester_token = hub_with_tester(tmp_path)
    env = {
        "DLBOX_CODE_DIR": str(tmp_path / "code"),
        "DLBOX_DATA_DIR": str(tmp_path / "data"),
        "DLBOX_SHM_SIZE": "1g",
        "DLBOX_HUB_MEM_LIMIT": "4G",
        "DLBOX_HUB_CPU_LIMIT": "1.5",
        "DLBOX_HUB_EXTRA_CONFIG": str(extra),
        **case.env,
    }
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "shared.txt").write_text("data for all")
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("CONTAINER_HOST", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    port = free_port_block(1, start=18950)
    suffix = secrets.token_hex(3)
    users = (f"ann-{suffix}", f"bob-{suffix}")
    state = isolated_dlbox_home / "state" / "hub"
    up = dlbox(
        "hub", "up", "--engine", case.engine, "--admin", "teacher", "--gpus", case.gpus,
        "--port", str(port),
        "--course-dir", str(course), "--json", env=env, timeout=900,
    )  # fmt: skip
    assert up.code == 0, up.output
    result = json.loads(up.stdout)
    assert result["url"] == f"http://127.0.0.1:{port}/"
    if case.engine == "podman":  # its Docker API ignores GPU requests: none given, and why
        assert result["gpus"] == [], result
        assert any("ignores GPU requests" in w for w in result["warnings"]), result
    made = Hub(result["url"], state, env, users, case, tester_token)
    try:
        yield made
    finally:
        dlbox("hub", "down", env=env, timeout=300)
        for user in users:
            case.run("volume", "rm", "-f", volume(user))


def test_two_users_each_get_a_server_of_their_own(hub: Hub) -> None:
    ann, bob = hub.users
    # Secrets: 0600 files, never printed, never in a process's argv.
    for name in ("cookie_secret", "proxy_token", "service_token"):
        assert (hub.state / name).stat().st_mode & 0o777 == 0o600, name
    secrets_ = [(hub.state / n).read_text().strip() for n in ("cookie_secret", "proxy_token")]
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    assert not any(s in ps for s in secrets_)
    assert "configurable-http-proxy" in ps
    config = (hub.state / "jupyterhub_config.py").read_text()
    assert not any(s in config for s in secrets_)

    code, out = hub.cli("users", "add", ann, bob)
    assert code == 0 and f"{ann} added" in out, out
    code, out = hub.cli("users", "add", "Bad/Name")
    assert code == 2 and "not a valid hub user name" in out, out
    # --json: the names added and those that were there already, for scripts.
    again = dlbox("hub", "users", "add", ann, "--json", env=hub.env, timeout=600)
    assert again.code == 0, again.output
    assert json.loads(again.stdout) == {"ok": True, "added": [], "unchanged": [ann]}

    service = hub.service()
    for user in (ann, bob):
        service.start_server(user, wait=240)
    with pytest.raises(HubApiError) as refused:  # least privilege: dlbox never acts as a user
        service.new_token(ann, "e2e")
    assert refused.value.status == 403
    tokens = {user: hub.tester().new_token(user, "e2e") for user in (ann, bob)}
    servers = {user: f"{hub.url}user/{user}/" for user in (ann, bob)}

    # Through the hub's proxy: each user's token opens their own server, not the other's.
    assert http_status(servers[ann] + "api/status", tokens[ann]) == 200
    assert http_status(servers[bob] + "api/status", tokens[bob]) == 200
    assert http_status(servers[ann] + "api/status", tokens[bob]) == 403
    assert http_status(servers[bob] + "api/status", tokens[ann]) == 403
    assert http_status(servers[ann] + "api/status") in (302, 403)  # no token: login first

    # A notebook cell runs in each user's kernel, as that user, with the mounts asked for.
    imports = "import os, torch\n" if hub.case.torch else "import os\n"
    for user in (ann, bob):
        out = run_cell(
            servers[user],
            tokens[user],
            imports + "print(os.getuid(), open('/data/shared.txt').read())\n"
            f"open('/code/mine.txt', 'w').write('{user} was here')\n"
            "print(sorted(os.listdir('/code')))",
        )
        assert out.splitlines()[0] == "1000 data for all", out
        assert "lesson1.ipynb" in out and "mine.txt" in out  # the course, copied in at first start

    # The containers: non-root, init, shm and limits as asked, the user's volume, data read-only.
    for user in (ann, bob):
        info = container_of(hub, user)
        assert info is not None, user
        assert info["Config"]["User"] == "1000:1000"
        assert info["HostConfig"]["Init"] is True
        assert info["HostConfig"]["ShmSize"] == 1024**3
        assert info["HostConfig"]["Memory"] == 4 * 1024**3
        assert info["HostConfig"]["CpuQuota"] == 150_000
        mounts = {m["Destination"]: m for m in info["Mounts"]}
        # DockerSpawner escapes names for the engine ('-' is its escape character).
        assert mounts["/code"]["Name"] == f"dlbox-hub-{user.replace('-', '-2d')}-code"
        assert mounts["/code"]["RW"] is True
        assert mounts["/data"]["RW"] is False
        assert not any(e.startswith("JUPYTER_TOKEN_FILE=") for e in info["Config"]["Env"])

    # `hub status` shows both running servers with their ports.
    code, out = hub.cli("status", "--json")
    assert code == 0, out
    status = {u["name"]: u for u in json.loads(out)["users"]}
    assert status[ann]["server"] == "running" and status[bob]["server"] == "running"
    # Found on the engine `up` used (the hub's record), though the engine setting is auto.
    assert json.loads((hub.state / "hub.json").read_text())["engine"] == hub.case.engine
    assert status[ann]["port"] and status[bob]["port"]
    assert status[ann]["port"] != status[bob]["port"]
    assert status["teacher"]["admin"] is True and status["teacher"]["server"] == "stopped"

    # Files survive a stop and a start of the server.
    service.stop_server(ann, wait=120)
    assert container_of(hub, ann) is None  # the container is gone, the volume is kept
    service.start_server(ann, wait=240)
    status_code, model = api("GET", servers[ann] + "api/contents/mine.txt", tokens[ann])
    assert status_code == 200 and isinstance(model, dict)
    assert model["content"] == f"{ann} was here"

    # `hub down` leaves no process and no container of the hub; the users' volumes stay.
    record = json.loads((hub.state / "hub.json").read_text())
    pids = [p["pid"] for p in record["processes"]]
    code, out = hub.cli("down")
    assert code == 0 and "hub stopped" in out, out
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid), pid
    left = hub.case.run("ps", "-a", "--filter", f"label=io.dlbox.hub={hub.state}", "--quiet")
    assert left.returncode == 0, left.stderr
    assert left.stdout.strip() == ""
    for user in (ann, bob):
        assert hub.case.run("volume", "inspect", volume(user)).returncode == 0
    code, out = hub.cli("status")
    assert code == 0 and "No hub is running" in out
    # No secret (cookie secret, proxy token, dlbox's service token) in any log.
    every = [*secrets_, (hub.state / "service_token").read_text().strip()]
    for log in (hub.state / "logs").iterdir():
        text = log.read_text(errors="replace")
        assert not any(s in text for s in every), log


def volume(user: str) -> str:
    return f"dlbox-hub-{user.replace('-', '-2d')}-code"


def container_of(hub: Hub, user: str) -> dict[str, Any] | None:
    found = hub.case.run(
        "ps", "-a", "--quiet", "--filter", f"label=io.dlbox.hub={hub.state}",
        "--filter", f"label=io.dlbox.hub-user={user}",
    ).stdout.split()  # fmt: skip
    if not found:
        return None
    info: dict[str, Any] = json.loads(hub.case.run("inspect", found[0]).stdout)[0]
    return info


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
