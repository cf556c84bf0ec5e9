"""The image's start script and HEALTHCHECK, run for real (sh, python) against stand-in commands
and a local HTTP server: under `dlbox up` and under JupyterHub."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from tests.helpers import loopback_server

TEMPLATES = resources.files("dlbox.image") / "templates"
START = Path(str(TEMPLATES / "dlbox-start"))
HEALTH = Path(str(TEMPLATES / "dlbox-healthcheck"))


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    """`jupyter-lab` and `jupyterhub-singleuser` stand-ins reporting their argv and environment."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in ("jupyter-lab", "jupyterhub-singleuser"):
        script = folder / name
        script.write_text(
            "#!/bin/sh\n"
            f'echo "RAN {name} $*"\n'
            'echo "CWD $PWD"\n'
            'echo "TOKEN_FILE=${JUPYTER_TOKEN_FILE:-unset}"\n'
            'echo "CUDA=${CUDA_VISIBLE_DEVICES:-unset}"\n'
        )
        script.chmod(0o755)
    return folder


def start(tmp_path: Path, fake_bin: Path, *args: str, **env: str) -> str:
    code = tmp_path / "code"
    code.mkdir(exist_ok=True)
    base = {
        "PATH": f"{fake_bin}:/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "DLBOX_CODE_DIR": str(code),
        "DLBOX_DATA_DIR": str(tmp_path / "data"),
    }
    done = subprocess.run(
        ["sh", str(START), *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_up_mode_runs_jupyter_lab_with_dlbox_token_file_and_pinning(
    tmp_path: Path, fake_bin: Path
) -> None:
    out = start(
        tmp_path, fake_bin, "lab", JUPYTER_TOKEN_FILE="/run/dlbox/token", CUDA_VISIBLE_DEVICES="1"
    )
    assert "RAN jupyter-lab --ip=0.0.0.0 --port=8888 --no-browser" in out
    assert "TOKEN_FILE=/run/dlbox/token" in out
    assert "CUDA=1" in out


def test_hub_mode_leaves_token_prefix_and_gpus_to_the_hub(tmp_path: Path, fake_bin: Path) -> None:
    out = start(
        tmp_path,
        fake_bin,
        "lab",
        JUPYTERHUB_API_TOKEN="hub-token",
        JUPYTER_TOKEN_FILE="/run/dlbox/token",
        JUPYTERHUB_SERVICE_PREFIX="/user/ann/",
    )
    assert "RAN jupyterhub-singleuser" in out
    assert "--port" not in out and "--ip" not in out  # the hub passes its own
    assert "TOKEN_FILE=unset" in out
    assert "CUDA=unset" in out  # no pinning of its own: the hub's device request decides


def test_hub_mode_execs_the_given_command(tmp_path: Path, fake_bin: Path) -> None:
    out = start(
        tmp_path,
        fake_bin,
        "jupyterhub-singleuser",
        "--ServerApp.ip=127.0.0.1",
        JUPYTERHUB_API_TOKEN="hub-token",
        CUDA_VISIBLE_DEVICES="0",
    )
    assert "RAN jupyterhub-singleuser --ServerApp.ip=127.0.0.1" in out
    assert "CUDA=0" in out  # what the hub set stays


def test_data_link_and_fastai_config_in_both_modes(tmp_path: Path, fake_bin: Path) -> None:
    start(tmp_path, fake_bin, "lab", JUPYTERHUB_API_TOKEN="t")
    assert (tmp_path / "code" / "data").is_symlink()
    config = (tmp_path / "home" / ".fastai" / "config.ini").read_text()
    assert f"data = {tmp_path / 'data'}" in config


def test_course_seed_copied_once_and_never_over_a_users_files(
    tmp_path: Path, fake_bin: Path
) -> None:
    seed = tmp_path / "seed"
    (seed / "nbs").mkdir(parents=True)
    (seed / "nbs" / "01_intro.ipynb").write_text("course")
    (seed / "README.md").write_text("course readme")
    code = tmp_path / "code"
    code.mkdir()
    (code / "README.md").write_text("mine")
    start(tmp_path, fake_bin, "lab", DLBOX_COURSE_SEED=str(seed), JUPYTERHUB_API_TOKEN="t")
    assert (code / "nbs" / "01_intro.ipynb").read_text() == "course"
    assert (code / "README.md").read_text() == "mine"
    (code / "nbs" / "01_intro.ipynb").unlink()  # the user deletes a notebook: it stays deleted
    start(tmp_path, fake_bin, "lab", DLBOX_COURSE_SEED=str(seed), JUPYTERHUB_API_TOKEN="t")
    assert not (code / "nbs" / "01_intro.ipynb").exists()


class _Jupyter(http.server.BaseHTTPRequestHandler):
    prefix = "/"
    token = ""

    def do_GET(self) -> None:
        auth = self.headers.get("Authorization", "")
        if self.path == f"{self.prefix}api":
            code = 200
        elif self.path == f"{self.prefix}api/status":
            code = 200 if auth == f"token {self.token}" and self.token else 403
        else:
            code = 404
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def jupyter(prefix: str, token: str) -> Iterator[int]:
    handler = type("H", (_Jupyter,), {"prefix": prefix, "token": token})
    with loopback_server(handler) as port:
        yield port


def healthcheck(runtime: Path) -> int:
    return subprocess.run(
        [sys.executable, str(HEALTH)],
        env={**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime)},
        capture_output=True,
        timeout=30,
        check=False,
    ).returncode


def write_runtime(runtime: Path, name: str, **info: object) -> None:
    runtime.mkdir(exist_ok=True)
    (runtime / f"jpserver-{name}.json").write_text(json.dumps(info))


def test_healthcheck_uses_the_runtime_files_port_and_token(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    with jupyter("/", "s3cret") as port:
        write_runtime(runtime, "1", port=port, base_url="/", token="wrong", pid=os.getpid())
        assert healthcheck(runtime) == 1  # the server rejects the token: not healthy
        write_runtime(runtime, "1", port=port, base_url="/", token="s3cret", pid=os.getpid())
        assert healthcheck(runtime) == 0


def test_healthcheck_under_the_hub_prefix_without_token(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    with jupyter("/user/ann/", "") as port:
        write_runtime(
            runtime, "1", port=port, base_url="/user/ann/", token="", ip="0.0.0.0", pid=os.getpid()
        )
        assert healthcheck(runtime) == 0


def test_healthcheck_fails_without_a_live_server(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    assert healthcheck(runtime) == 1  # no runtime file at all
    with jupyter("/", "") as port:
        dead = subprocess.Popen(["true"])
        dead.wait()
        write_runtime(runtime, "2", port=port, base_url="/", token="", pid=dead.pid)
        assert healthcheck(runtime) == 1  # a stale file of a dead server
