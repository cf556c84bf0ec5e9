"""The Docker Engine API over its unix socket (engines/docker_api.py) against the real daemons:
it lists and inspects exactly what the `docker` CLI does, rootful and rootless; an engine whose
socket cannot be used falls back to the CLI; and `dlbox ps` finds a Docker session from the
folder `up` leaves, without detecting engines."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlbox.engines.docker import DockerEngine
from dlbox.engines.docker_api import DEFAULT_SOCKET, ApiUnavailable, DockerApi, api_from_env
from dlbox.engines.handles import session_engine
from dlbox.launch.labels import OWNER_LABEL
from dlbox.launch.sessions import PORT_LABEL, SESSION_LABEL, record_engine
from tests.conftest import need
from tests.helpers import dlbox

pytestmark = pytest.mark.engine
BASE = "debian:bookworm-slim"
UID = os.getuid()
ROOTLESS_SOCKET = f"/run/user/{UID}/docker.sock"


def _cli(client: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [client, *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )


def _env(docker_host: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    if docker_host:
        env["DOCKER_HOST"] = docker_host
    return env


def _endpoints() -> list[str | None]:
    """The rootful daemon (default socket), and rootless Docker for a non-root user."""
    return [None, f"unix://{ROOTLESS_SOCKET}"]


@pytest.fixture(params=_endpoints(), ids=["rootful", "rootless"])
def endpoint(request: pytest.FixtureRequest, docker_engine: DockerEngine) -> str | None:
    host: str | None = request.param
    if host and UID == 0:
        pytest.skip("rootless Docker is a non-root user's daemon (scripts/test runs as one)")
    if host and not Path(ROOTLESS_SOCKET).exists():
        need(f"no rootless Docker socket at {ROOTLESS_SOCKET} (scripts/setup-engine starts it)")
    return host


@pytest.fixture
def labelled(docker_engine: DockerEngine, endpoint: str | None) -> Iterator[tuple[str, str]]:
    """A container labelled as a dlbox session of this user on that daemon: (name, label)."""
    name = f"dlbox-test-api-{secrets.token_hex(4)}"
    label = f"io.dlbox.test-api={name}"
    argv = ["run", "-d", "--name", name, "--label", label, "--label", f"{SESSION_LABEL}={name}"]
    argv += ["--label", f"{OWNER_LABEL}={UID}", "--label", f"{PORT_LABEL}=18891"]
    started = _cli(docker_engine.client, _env(endpoint), *argv, BASE, "sleep", "300")
    if started.returncode != 0 and "No such image" in started.stderr:
        need(f"{BASE} is not in this daemon's store (scripts/setup-engine imports it)")
    assert started.returncode == 0, started.stderr
    yield name, label
    _cli(docker_engine.client, _env(endpoint), "rm", "-f", name)


def test_the_api_answers_as_the_cli_does(
    docker_engine: DockerEngine,
    endpoint: str | None,
    labelled: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name, label = labelled
    env = _env(endpoint)
    _use(endpoint, monkeypatch)
    api = api_from_env()
    assert api is not None and api.path == (ROOTLESS_SOCKET if endpoint else DEFAULT_SOCKET)

    ids = api.container_ids([label])
    listed = _cli(
        docker_engine.client, env, "ps", "-a", "-q", "--no-trunc", "--filter", f"label={label}"
    )
    assert ids == listed.stdout.split() and len(ids) == 1
    document = api.inspect(name)
    cli_document = json.loads(_cli(docker_engine.client, env, "inspect", name).stdout)[0]
    assert document is not None and document["Id"] == cli_document["Id"] == ids[0]
    assert document["Config"] == cli_document["Config"]
    assert api.inspect(f"dlbox-no-such-{secrets.token_hex(4)}") is None

    through_api = DockerEngine(docker_engine.client, docker_engine.buildkit, api=api)
    through_cli = DockerEngine(docker_engine.client, docker_engine.buildkit)
    assert through_api.containers([label]) == through_cli.containers([label])
    assert through_api.inspect_container(name) == through_cli.inspect_container(name)
    info = through_api.inspect_container(name)
    assert info is not None and info.running and info.labels[PORT_LABEL] == "18891"
    assert through_api.api is api  # it answered: no fallback happened


def test_image_lookups_answer_as_the_cli_does(
    docker_engine: DockerEngine, endpoint: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(endpoint, monkeypatch)
    api = api_from_env()
    assert api is not None
    cli = _cli(
        docker_engine.client, _env(endpoint), "image", "inspect", "--format", "{{.Id}}", BASE
    )
    if cli.returncode != 0:
        need(f"{BASE} is not in this daemon's store (scripts/setup-engine imports it)")
    assert api.image_id(BASE) == cli.stdout.strip() and cli.stdout.startswith("sha256:")
    assert api.image_id(f"dlbox-no-such-image:{secrets.token_hex(4)}") is None
    through_api = DockerEngine(docker_engine.client, docker_engine.buildkit, api=api)
    assert through_api.image_exists(BASE) and not through_api.image_exists("dlbox-no-such:x")
    assert through_api.api is api


def _use(endpoint: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """DOCKER_HOST as the fixture's daemon needs it, for the CLI and dlbox alike."""
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    if endpoint:
        monkeypatch.setenv("DOCKER_HOST", endpoint)


def test_an_unusable_socket_falls_back_to_the_cli(
    docker_engine: DockerEngine,
    endpoint: str | None,
    labelled: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name, label = labelled
    _use(endpoint, monkeypatch)
    missing = DockerApi(str(tmp_path / "no-such.sock"))
    with pytest.raises(ApiUnavailable):
        missing.container_ids([label])
    engine = DockerEngine(docker_engine.client, docker_engine.buildkit, api=missing)
    assert [c.name for c in engine.containers([label])] == [name]
    assert engine.api is None  # the CLI answers from now on


def test_ps_lists_a_docker_session_from_its_folder(
    docker_engine: DockerEngine,
    endpoint: str | None,
    labelled: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name, _ = labelled
    _use(endpoint, monkeypatch)
    listed = dlbox("ps", "--json")
    assert listed.code == 0, listed.output
    assert name not in listed.stdout  # no session folder: not asked
    record_engine(name, "docker")
    listed = dlbox("ps", "--json")
    assert listed.code == 0, listed.output
    sessions = {s["name"]: s for s in json.loads(listed.stdout)}
    assert sessions[name]["engine"] == "docker" and sessions[name]["state"] == "running"
    assert sessions[name]["url"] == "http://127.0.0.1:18891/lab"
    handle = session_engine("docker")
    assert handle is not None and name in {c.name for c in handle.containers([SESSION_LABEL])}
