"""The same user journey on every engine mode dlbox supports, against the real engines that
scripts/setup-engine starts: rootful Docker, rootless Docker (rootlesskit), rootful Podman (the root
service's socket, as a machine grants it to a group) and rootless Podman.

Per mode: doctor names the mode truthfully, dlbox builds a small JupyterLab image with that engine
(tests/fixtures/lab-env), `up --dry-run` creates no container and no state, up / ps / logs /
shell / run / stop and `verify` in its smoke profile (a smoke notebook set of the test's, on the
small image) work, with the files Jupyter, the shell, `run`, the smoke seeding and a verified
notebook write owned by the host user. Rootless modes need a non-root user (scripts/test runs the
suite as one); with CI=true a mode that is not there FAILS.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import need
from tests.helpers import CliRun, free_port_block, http_status

pytestmark = pytest.mark.engine
LAB_LOCKS = Path(__file__).parents[1] / "fixtures" / "lab-env" / "locks"
URL = re.compile(r"http://127\.0\.0\.1:(\d+)/lab\?token=([0-9a-f]+)")
UID = os.getuid()
ROOTFUL_PODMAN_SOCKET = "unix:///run/podman/podman.sock"


@dataclass(frozen=True)
class Mode:
    id: str
    engine: str  # --engine
    title: str  # how doctor and up name it
    rootless: bool
    env: dict[str, str] = field(default_factory=dict)

    @property
    def cli(self) -> list[str]:
        return ["/usr/bin/docker"] if self.engine == "docker" else ["podman"]


def _modes() -> list[Mode]:
    podman_env = {} if UID == 0 else {"CONTAINER_HOST": ROOTFUL_PODMAN_SOCKET}
    return [
        Mode("rootful-docker", "docker", "rootful Docker", False),
        Mode(
            "rootless-docker",
            "docker",
            "rootless Docker",
            True,
            {"DOCKER_HOST": f"unix:///run/user/{UID}/docker.sock"},
        ),
        Mode("rootful-podman", "podman", "rootful Podman", False, podman_env),
        Mode("rootless-podman", "podman", "rootless Podman", True),
    ]


MODES = _modes()


def engine_cmd(mode: Mode, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "CONTAINER_HOST")}
    env.update(mode.env)
    return subprocess.run(
        [*mode.cli, *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


@dataclass
class Ready:
    mode: Mode
    env: dict[str, str]
    build_seconds: float

    def dlbox(
        self,
        *args: str,
        input_text: str | None = None,
        state: Path | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> CliRun:
        """The CLI as a user of this mode runs it (only this mode's DOCKER_HOST/CONTAINER_HOST)."""
        env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "CONTAINER_HOST")}
        env.update(self.env)
        if state is not None:
            env["DLBOX_STATE_DIR"] = str(state)
        env.update(extra_env or {})
        env.setdefault("COLUMNS", "200")
        done = subprocess.run(
            [sys.executable, "-m", "dlbox", *args],
            input=input_text,
            capture_output=True,
            text=True,
            timeout=1200,
            env=env,
            check=False,
        )
        return CliRun(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module", params=MODES, ids=[m.id for m in MODES])
def ready(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Ready:
    """The mode's engine answers, and dlbox built the small image with it (timed)."""
    mode: Mode = request.param
    if mode.rootless and UID == 0:
        need(f"{mode.id} runs as a non-root user (scripts/test runs the suite as dlbox-test)")
    answer = engine_cmd(mode, "info", timeout=60)
    if answer.returncode != 0:
        need(f"{mode.id}: `{' '.join(mode.cli)} info` fails: {answer.stderr.strip()[-300:]}")
    env = {
        **mode.env,
        "DLBOX_LOCK_ROOT": str(LAB_LOCKS),
        "DLBOX_ENGINE": mode.engine,
        "DLBOX_STATE_DIR": str(tmp_path_factory.mktemp(f"state-{mode.id}")),
    }
    ready = Ready(mode, env, 0.0)
    started = time.monotonic()
    built = ready.dlbox("build")
    ready.build_seconds = time.monotonic() - started
    assert built.code == 0, built.output
    return ready


def test_doctor_names_the_engine_mode(ready: Ready) -> None:
    run = ready.dlbox("doctor", "--json")
    checks = {c["id"]: c for c in json.loads(run.stdout)["checks"]}
    engine = checks["engine"]
    assert engine["status"] == "ok", engine
    assert str(engine["finding"]).startswith(f"{ready.mode.title} "), engine["finding"]
    details = engine["details"]
    assert isinstance(details, dict) and details["rootless"] is ready.mode.rootless
    buildkit = checks["buildkit"]
    want = "podman build" if ready.mode.engine == "podman" else "docker build"
    assert want in str(buildkit["finding"]), buildkit


def _containers(mode: Mode, label: str) -> list[str]:
    done = engine_cmd(mode, "ps", "--all", "--quiet", "--filter", f"label={label}")
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def _probe_containers(mode: Mode) -> list[str]:
    done = engine_cmd(mode, "ps", "--all", "--format", "{{.Names}}")
    return [n for n in done.stdout.split() if n.startswith("dlbox-gpu-probe")]


def test_dry_run_starts_no_container_and_writes_no_state(ready: Ready, tmp_path: Path) -> None:
    code = tmp_path / "code"
    state = tmp_path / "fresh-state"
    probes_before = set(_probe_containers(ready.mode))
    run = ready.dlbox(
        "up",
        "--dry-run",
        "--code-dir",
        str(code),
        "--data-dir",
        str(tmp_path / "data"),
        "--gpus",
        "auto",
        state=state,
    )
    assert run.code == 0, run.output
    assert "GPUs: not probed (dry run, no cached probe answer)" in run.output
    assert f"{ready.mode.title} " in run.output
    assert not code.exists() and not state.exists()
    assert _containers(ready.mode, f"io.dlbox.code-dir={code}") == []
    assert set(_probe_containers(ready.mode)) <= probes_before


def _owner(path: Path) -> int:
    return path.stat().st_uid


def _jupyter_writes(port: int, token: str, name: str) -> None:
    """A file made by Jupyter itself (the contents API, as saving a notebook does)."""
    body = json.dumps({"type": "file", "format": "text", "content": "made in Jupyter\n"})
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/contents/{name}",
        data=body.encode(),
        method="PUT",
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=20) as resp:
        assert resp.status in (200, 201)


@pytest.fixture
def project(ready: Ready, tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    code = tmp_path / "code"
    args = ["--code-dir", str(code), "--data-dir", str(tmp_path / "data"), "--gpus", "none"]
    yield code, args
    for s in json.loads(ready.dlbox("ps", "--json").stdout or "[]"):
        if str(s.get("code_dir", "")).startswith(str(tmp_path)):
            ready.dlbox("stop", str(s["name"]))


def test_session_up_ps_logs_shell_stop(ready: Ready, project: tuple[Path, list[str]]) -> None:
    code, args = project
    port = free_port_block(2)
    up = ready.dlbox("up", *args, "--port", str(port), "--json")
    assert up.code == 0, up.output
    result = json.loads(up.stdout)
    details = result["engine_details"]
    assert str(details["title"]).startswith(ready.mode.title), details
    assert details["rootless"] is ready.mode.rootless
    match = URL.search(json.dumps(result))
    assert match, up.output
    port, token = int(match.group(1)), match.group(2)
    assert http_status(f"http://127.0.0.1:{port}/api/status", token) == 200
    # Jupyter, the shell and the container all write as the host user.
    _jupyter_writes(port, token, "from-jupyter.txt")
    assert _owner(code / "from-jupyter.txt") == UID
    listed = [s for s in json.loads(ready.dlbox("ps", "--json").stdout) if s["port"] == port]
    assert len(listed) == 1, listed
    name = str(listed[0]["name"])
    logs = ready.dlbox("logs", name)
    assert logs.code == 0 and "Jupyter" in logs.output, logs.output
    shell = ready.dlbox("shell", name, input_text="touch /code/from-shell && id -u\n")
    assert shell.code == 0, shell.output
    assert _owner(code / "from-shell") == UID
    stop = ready.dlbox("stop", name)
    assert stop.code == 0 and f"stopped {name}" in stop.output, stop.output
    assert engine_cmd(ready.mode, "inspect", name).returncode != 0  # the container is gone
    assert all(s["name"] != name for s in json.loads(ready.dlbox("ps", "--json").stdout))


def test_run_writes_files_as_you(ready: Ready, project: tuple[Path, list[str]]) -> None:
    code, args = project
    run = ready.dlbox(
        "run", *args, "--", "sh", "-c", "echo hi > /code/from-run && python -c 'import jupyterlab'"
    )
    assert run.code == 0, run.output
    made = code / "from-run"
    assert made.read_text() == "hi\n" and _owner(made) == UID


def _code(*lines: str) -> dict[str, object]:
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": "\n".join(lines),
    }


# The smoke notebook set this test gives `dlbox verify` (users pass their own notebooks the same
# way). The shipped lesson-1 notebooks need fastai and torch, which a small image has not: they
# run in the smoke profile on the full image (tests/e2e/test_verify.py). These cells use what
# the smoke profile prepares for them, as the lessons do: its parameters, the synthetic dogscats
# and pets images it seeds in /data (read with Pillow, a nearest-mean classifier in numpy), its
# offline guard, and a file written beside the notebook.
SMOKE_NOTEBOOK = {
    "cells": [
        _code(
            "import json, os, socket",
            "from pathlib import Path",
            "import numpy as np",
            "from PIL import Image",
            "keys = ('DLBOX_PROFILE', 'DLBOX_L1_SZ', 'TORCH_HOME')",
            "facts = {k: os.environ.get(k) for k in keys}",
        ),
        _code(
            "sz = int(os.environ['DLBOX_L1_SZ'])",
            "root = Path('/data/dogscats')",
            "def load(split, label):",
            "    files = sorted((root / split / label).glob('*.jpg'))",
            "    return np.stack([np.asarray(Image.open(f).convert('RGB').resize((sz, sz)),",
            "                                np.float32).mean((0, 1)) for f in files])",
            "train = {c: load('train', c) for c in ('cats', 'dogs')}",
            "centres = {c: x.mean(0) for c, x in train.items()}",
            "right = total = 0",
            "for c in ('cats', 'dogs'):",
            "    for x in load('valid', c):",
            "        guess = min(centres, key=lambda k: np.linalg.norm(x - centres[k]))",
            "        right, total = right + (guess == c), total + 1",
            "pets = sorted(Path('/data/oxford-iiit-pet/images').glob('*.jpg'))",
            "facts.update(train_cats=len(train['cats']), valid=total, accuracy=right / total,",
            "             pets=len(pets), pet_cats=sum(p.name[0].isupper() for p in pets))",
        ),
        _code(
            "try:",
            "    socket.create_connection(('pypi.org', 443), timeout=10).close()",
            "    facts['network'] = 'reached pypi.org'",
            "except OSError as exc:",
            "    facts['network'] = str(exc)",
        ),
        _code(
            "Path('made-by-verify.txt').write_text('ok')",
            "print('DLBOX_FACTS ' + json.dumps(facts))",
        ),
    ],
    "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


def test_verify_smoke_profile_on_the_small_image(ready: Ready, tmp_path: Path) -> None:
    """`dlbox verify` in its smoke profile (the default) on this engine, on the small image,
    with the smoke notebook set above: the profile's own machinery runs for real (its parameters,
    the synthetic data seeded by its seed script in the environment as you, stand-in weights left
    out because the image has no torch, no network plus the offline guard, the headless runner,
    the report). What it cannot run here is the fast.ai lessons themselves (fastai and torch are
    gigabytes): they run in the same profile on the full image (tests/e2e/test_verify.py)."""
    book = tmp_path / "books" / "smoke-small.ipynb"
    book.parent.mkdir()
    book.write_text(json.dumps(SMOKE_NOTEBOOK))
    image = json.loads(ready.dlbox("build", "--json").stdout)["tag"]
    started = time.monotonic()
    run = ready.dlbox("verify", "--json", "--profile", "smoke", "--image", image, str(book))
    seconds = time.monotonic() - started
    assert run.code == 0, run.output
    result = json.loads(run.stdout)
    assert result["ok"] is True and result["profile"] == "smoke", result
    assert any(n.startswith("smoke profile: an offline guard") for n in result["notes"]), result
    assert "No module named 'torch'" in str(result["device"].get("error")), result["device"]
    [notebook] = result["notebooks"]
    assert notebook["status"] == "passed", notebook
    facts = notebook["facts"]
    assert facts["DLBOX_PROFILE"] == "smoke" and facts["DLBOX_L1_SZ"] == "64", facts
    assert facts["TORCH_HOME"] == "/data/torch", facts
    assert (facts["train_cats"], facts["valid"], facts["pets"], facts["pet_cats"]) == (
        16,
        16,
        32,
        16,
    )
    assert facts["accuracy"] == 1.0, facts  # warm cats, cool dogs: the seeded classes separate
    assert (
        "dlbox verify runs offline (smoke profile): blocked network access to pypi.org"
        in (facts["network"])
    ), facts
    report = Path(result["report"])
    assert report.is_file() and _owner(report) == UID
    seed = json.loads(report.read_text())["seed"]
    assert seed["rc"] == 0 and seed["weights"] is False and "no torch" in seed["weights_skipped"]
    smoke_data = Path(ready.env["DLBOX_STATE_DIR"]) / "verify" / "smoke-data"
    seeded = next((smoke_data / "dogscats" / "train" / "cats").glob("*.jpg"))
    assert _owner(seeded) == UID  # seeded in the environment, as you
    made = book.parent / "made-by-verify.txt"
    assert made.read_text() == "ok" and _owner(made) == UID
    print(f"{ready.mode.id}: dlbox verify (smoke, small image) took {seconds:.1f} s")


def test_gpu_probe_runs_on_the_engine_and_explains(
    ready: Ready, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same probe containers on every engine (Podman: CDI); this machine has no GPU, so
    each mode is refused with a reason a person can act on, and no probe container is left."""
    from dlbox.engines.detect import select_engine

    for key in ("DOCKER_HOST", "CONTAINER_HOST"):
        monkeypatch.delenv(key, raising=False)
    for key, value in ready.mode.env.items():
        monkeypatch.setenv(key, value)
    engine = select_engine(ready.mode.engine).container
    assert engine is not None
    outcomes = engine.probe_gpus("debian:bookworm-slim")
    assert [o.mode for o in outcomes] == list(engine.probe_modes)
    if ready.mode.engine == "podman":
        assert outcomes[0].mode == "cdi"
    for outcome in outcomes:
        assert outcome.message, outcome
    assert not [n for n in _probe_containers(ready.mode) if n.startswith("dlbox-gpu-probe")]


def test_docker_host_at_podmans_socket_just_works(tmp_path: Path) -> None:
    """DOCKER_HOST pointing at the root Podman service's socket, and nothing else set: the Docker
    client there talks to Podman, so dlbox names it Podman and drives that very service with the
    podman CLI (`podman --url SOCKET`, as CONTAINER_HOST would; podman itself ignores DOCKER_HOST),
    builds included: doctor, build, run, up, ps and stop work there, files are yours. Needs a
    non-root user in group podman (scripts/setup-engine), whose own podman is rootless (the
    service it would use if dlbox did not follow DOCKER_HOST)."""
    if UID == 0:
        need("runs as a non-root user in group podman (scripts/test runs the suite as dlbox-test)")
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "CONTAINER_HOST")}
    env.update(
        DOCKER_HOST=ROOTFUL_PODMAN_SOCKET,
        DLBOX_STATE_DIR=str(tmp_path / "state"),
        DLBOX_LOCK_ROOT=str(LAB_LOCKS),
        COLUMNS="200",
    )
    if subprocess.run(["/usr/bin/docker", "version"], env=env, capture_output=True).returncode:
        need(f"the Docker client cannot reach {ROOTFUL_PODMAN_SOCKET} (scripts/setup-engine)")

    def dlbox(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dlbox", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )

    done = dlbox("doctor", "--json")
    checks = {c["id"]: c for c in json.loads(done.stdout)["checks"]}
    finding = str(checks["engine"]["finding"])
    assert finding.startswith("rootful Podman "), finding
    assert f"DOCKER_HOST={ROOTFUL_PODMAN_SOCKET} is Podman's socket" in finding
    assert f"`podman --url {ROOTFUL_PODMAN_SOCKET}`" in finding
    assert "podman build" in str(checks["buildkit"]["finding"])
    built = dlbox("build", "--json")
    assert built.returncode == 0, built.stdout + built.stderr
    tag = json.loads(built.stdout)["tag"]
    service = Mode(
        "service", "podman", "rootful Podman", False, {"CONTAINER_HOST": ROOTFUL_PODMAN_SOCKET}
    )
    assert engine_cmd(service, "image", "exists", tag).returncode == 0  # on that service
    code = tmp_path / "code"
    ran = dlbox(
        "run",
        "--code-dir",
        str(code),
        "--data-dir",
        str(tmp_path / "data"),
        "--gpus",
        "none",
        "--",
        "sh",
        "-c",
        "echo hi > /code/from-docker-host && python -c 'import jupyterlab'",
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    made = code / "from-docker-host"
    assert made.read_text() == "hi\n" and _owner(made) == UID
    # A session there: ps and stop (which make their engine without detection) find it there.
    port = free_port_block(2)
    folders = ["--code-dir", str(code), "--data-dir", str(tmp_path / "data"), "--gpus", "none"]
    up = dlbox("up", *folders, "--port", str(port), "--json")
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        listed = [s for s in json.loads(dlbox("ps", "--json").stdout) if s["port"] == port]
        assert len(listed) == 1, listed
        name = str(listed[0]["name"])
        assert engine_cmd(service, "inspect", name).returncode == 0  # on the root service
        stop = dlbox("stop", name)
        assert stop.returncode == 0 and f"stopped {name}" in stop.stdout + stop.stderr
        assert engine_cmd(service, "inspect", name).returncode != 0
    finally:
        for s in json.loads(dlbox("ps", "--json").stdout or "[]"):
            if s.get("port") == port:
                dlbox("stop", str(s["name"]))
