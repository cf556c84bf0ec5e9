"""`dlbox ps` and `dlbox stop` see the sessions of every engine: a real Docker container and a
real local-engine session (a host process with its record), at once."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from dlbox.engines.docker import DockerEngine
from dlbox.engines.local import processes
from dlbox.launch.labels import OWNER_LABEL
from dlbox.launch.sessions import PORT_LABEL, SESSION_LABEL, record_engine
from tests.helpers import dlbox, docker

pytestmark = pytest.mark.engine
BASE = "debian:bookworm-slim"


@pytest.fixture
def docker_session(docker_engine: DockerEngine) -> Iterator[str]:
    name = f"dlbox-test-ps-{secrets.token_hex(4)}"
    labels = [SESSION_LABEL + "=1", f"{OWNER_LABEL}={os.getuid()}", f"{PORT_LABEL}=18871"]
    argv = ["run", "-d", "--name", name, *[x for lb in labels for x in ("--label", lb)]]
    started = docker(*argv, BASE, "sleep", "300")
    assert started.returncode == 0, started.stderr
    record_engine(name, "docker")  # the session folder `up` leaves: `ps` asks what it names
    yield name
    docker("rm", "-f", name)


@pytest.fixture
def local_session() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    name = f"dlbox-test-local-{secrets.token_hex(4)}"
    proc = subprocess.Popen(["sleep", "300"], start_new_session=True)
    identity = processes.identity(proc.pid)
    assert identity is not None
    processes.write_record(
        processes.SessionRecord(
            name=name,
            pid=proc.pid,
            pgid=proc.pid,
            identity=identity,
            port=18872,
            host="127.0.0.1",
            image="/nonexistent/venv",
            started_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            log_path="/dev/null",
            workdir="/tmp",
            labels={SESSION_LABEL: "1", OWNER_LABEL: str(os.getuid()), PORT_LABEL: "18872"},
        )
    )
    yield name, proc
    proc.kill()
    proc.wait()
    processes.delete_record(name)


def test_ps_and_stop_see_every_engine(
    docker_session: str, local_session: tuple[str, subprocess.Popen[bytes]]
) -> None:
    local_name, proc = local_session
    listed = dlbox("ps", "--json")
    assert listed.code == 0, listed.output
    engines = {s["name"]: s["engine"] for s in json.loads(listed.stdout)}
    assert engines[docker_session] == "docker" and engines[local_name] == "local"

    text = dlbox("ps", env={"COLUMNS": "80"})
    assert text.code == 0 and max(len(x) for x in text.stdout.splitlines()) <= 80
    assert "http://127.0.0.1:18871/lab" in text.stdout.split()
    assert "http://127.0.0.1:18872/lab" in text.stdout.split()

    stopped = dlbox("stop", local_name, docker_session, "--json")
    assert stopped.code == 0, stopped.output
    assert sorted(json.loads(stopped.stdout)["stopped"]) == sorted([local_name, docker_session])
    assert proc.wait(timeout=30) is not None
    assert docker("inspect", docker_session).returncode != 0


def test_stop_with_nothing_of_this_project_running_exits_0(docker_engine: DockerEngine) -> None:
    done = dlbox("stop")
    assert done.code == 0, done.output
    assert "nothing to stop" in done.stderr
    unknown = dlbox("stop", "dlbox-no-such-session")
    assert unknown.code == 1 and "error: No dlbox session named" in unknown.stderr


@pytest.fixture
def podman_session(docker_engine: DockerEngine) -> Iterator[str]:
    """A Podman container labelled as a dlbox session, and a session folder that does not name
    its engine (as `up` left it before recording engines): `ps` then asks every engine."""
    from dlbox import paths
    from tests.conftest import need

    podman = shutil.which("podman")
    if podman is None or subprocess.run([podman, "info"], capture_output=True).returncode:
        need("Podman does not answer (scripts/setup-engine sets it up)")
    assert podman is not None
    name = f"dlbox-test-podman-{secrets.token_hex(4)}"
    labels = [SESSION_LABEL + "=1", f"{OWNER_LABEL}={os.getuid()}", f"{PORT_LABEL}=18874"]
    argv = [podman, "run", "-d", "--name", name, *[x for lb in labels for x in ("--label", lb)]]
    started = subprocess.run([*argv, BASE, "sleep", "300"], capture_output=True, text=True)
    assert started.returncode == 0, started.stderr
    paths.session_dir(name).mkdir(parents=True, exist_ok=True)
    yield name
    subprocess.run([podman, "rm", "-f", "-t", "0", name], capture_output=True)


def test_a_podman_session_is_seen_while_docker_runs(podman_session: str) -> None:
    listed = dlbox("ps", "--json")
    assert listed.code == 0, listed.output
    engines = {s["name"]: s["engine"] for s in json.loads(listed.stdout)}
    assert engines.get(podman_session) == "podman", listed.stdout
    stopped = dlbox("stop", podman_session)
    assert stopped.code == 0 and f"stopped {podman_session}" in stopped.stderr


@pytest.fixture
def orphan_session(docker_engine: DockerEngine) -> Iterator[str]:
    """A labelled Docker session whose session folder is gone (started under another
    DLBOX_STATE_DIR, or its state folder deleted while it ran)."""
    name = f"dlbox-test-orphan-{secrets.token_hex(4)}"
    labels = [SESSION_LABEL + "=1", f"{OWNER_LABEL}={os.getuid()}", f"{PORT_LABEL}=18875"]
    argv = ["run", "-d", "--name", name, *[x for lb in labels for x in ("--label", lb)]]
    started = docker(*argv, BASE, "sleep", "300")
    assert started.returncode == 0, started.stderr
    yield name
    docker("rm", "-f", name)


def test_a_session_without_its_folder_is_found_by_engine_and_stopped_by_name(
    orphan_session: str,
) -> None:
    listed = dlbox("ps", "--json")  # the fast path asks only the engines that folders name
    assert listed.code == 0 and orphan_session not in listed.stdout
    by_engine = dlbox("ps", "--engine", "docker", "--json")
    assert by_engine.code == 0, by_engine.output
    assert orphan_session in {s["name"] for s in json.loads(by_engine.stdout)}
    # by name, not --all (which takes the same path): --all would stop a developer's own sessions
    stopped = dlbox("stop", orphan_session, "--json")
    assert stopped.code == 0, stopped.output
    assert json.loads(stopped.stdout)["stopped"] == [orphan_session]
    assert docker("inspect", orphan_session).returncode != 0
