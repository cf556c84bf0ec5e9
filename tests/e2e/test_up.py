"""`dlbox up` against the real engine and the real fastai image, as users see it."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import CliRun, dlbox, docker, free_port_block, http_status

pytestmark = pytest.mark.e2e
URL = re.compile(r"http://127\.0\.0\.1:(\d+)/lab\?token=([0-9a-f]+)")


class Project:
    def __init__(self, root: Path, port: int):
        self.root = root
        self.code = root / "code"
        self.data = root / "data"
        self.port = port

    def args(self, *extra: str) -> list[str]:
        return [
            "--code-dir",
            str(self.code),
            "--data-dir",
            str(self.data),
            "--port",
            str(self.port),
            "--gpus",
            "auto",
            *extra,
        ]

    def up(self, *extra: str) -> tuple[int, str, str]:
        run = dlbox("up", *self.args(*extra))
        assert run.code == 0, run.output
        match = URL.search(run.stdout)
        assert match, run.output
        return int(match.group(1)), match.group(2), run.output

    def run(self, *command: str, shm_size: str | None = None) -> CliRun:
        """`dlbox run` in this project's environment, on the CPU."""
        shm = ("--shm-size", shm_size) if shm_size else ()
        return dlbox(
            "run",
            "--code-dir",
            str(self.code),
            "--data-dir",
            str(self.data),
            "--gpus",
            "none",
            *shm,
            "--",
            *command,
        )

    def session(self) -> str:
        listed = json.loads(dlbox("ps", "--json").stdout)
        mine = [s for s in listed if s["code_dir"] == str(self.code.resolve())]
        assert len(mine) == 1, listed
        return str(mine[0]["name"])


@pytest.fixture
def project(tmp_path: Path, fastai_image: str) -> Iterator[Project]:
    proj = Project(tmp_path, free_port_block(4))
    yield proj
    listed = json.loads(dlbox("ps", "--json").stdout or "[]")
    for s in listed:
        if s["code_dir"].startswith(str(tmp_path)):
            dlbox("stop", s["name"])


def test_up_serves_jupyter_with_token_only(project: Project) -> None:
    port, token, output = project.up()
    assert port == project.port
    base = f"http://127.0.0.1:{port}/api/status"
    assert http_status(base, token) == 200
    assert http_status(base) == 403
    assert "NO GPU FOUND" in output or "GPU" in output  # never silent about the CPU fallback
    ps = dlbox("ps")
    assert project.session() in ps.stdout and "token=" not in ps.stdout
    assert dlbox("ps", "--show-token").stdout.count(token) == 1
    # Running `up` again reuses the session and prints the same URL.
    port2, token2, output2 = project.up()
    assert (port2, token2) == (port, token) and "already running" in output2
    # Asking for other settings restarts it with them (never silently returns the old one).
    port3, token3, output3 = project.up("--shm-size", "2g")
    assert "restarting it with these" in output3 and token3 != token
    token = token3
    port = port3
    name = project.session()
    stop = dlbox("stop", name)
    assert stop.code == 0 and f"stopped {name}" in stop.output
    listed = json.loads(dlbox("ps", "--json").stdout)
    assert all(s["name"] != name for s in listed)
    assert docker("inspect", name).returncode != 0  # the container is gone
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0  # nothing answers any more


def test_token_never_in_ps_or_inspect(project: Project) -> None:
    _, token, _ = project.up()
    ps = subprocess.run(["ps", "-ef"], capture_output=True, text=True, check=True).stdout
    assert token not in ps
    inspect = docker("inspect", project.session()).stdout
    assert token not in inspect  # neither Args nor Config.Env carry it
    data = json.loads(inspect)[0]
    assert "JUPYTER_TOKEN_FILE=/run/dlbox/token" in data["Config"]["Env"]


def test_healthcheck_reports_healthy_under_up(project: Project) -> None:
    """The image's HEALTHCHECK reads the server's runtime file (port, token) and says healthy."""
    import time

    project.up()
    name = project.session()
    deadline = time.monotonic() + 90
    status = ""
    while time.monotonic() < deadline:
        status = docker("inspect", "--format", "{{.State.Health.Status}}", name).stdout.strip()
        if status in ("healthy", "unhealthy"):
            break
        time.sleep(1)
    assert status == "healthy", docker("inspect", "--format", "{{json .State.Health}}", name).stdout


def test_files_made_in_jupyter_belong_to_the_host_user(project: Project) -> None:
    port, token, _ = project.up()
    import urllib.request

    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/contents/made-in-jupyter.ipynb",
        method="PUT",
        data=json.dumps(
            {
                "type": "notebook",
                "content": {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
            }
        ).encode(),
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=20) as resp:
        assert resp.status in (200, 201)
    made = project.code / "made-in-jupyter.ipynb"
    assert made.is_file()
    assert made.stat().st_uid == os.getuid() and made.stat().st_gid == os.getgid()
    # the classic `ln -sf /data` into the course folder, and fastai pointed at /data
    assert os.readlink(project.code / "data") == "/data"


def test_shm_size_and_dataloader_workers(project: Project) -> None:
    from dlbox.launch.shm import auto_shm_bytes

    project.code.mkdir(parents=True, exist_ok=True)
    shm = project.run("df", "-B1", "--output=size", "/dev/shm")
    assert shm.code == 0, shm.output
    assert int(shm.stdout.split()[-1]) == auto_shm_bytes()
    script = project.code / "loader.py"
    script.write_text(
        "import torch\n"
        "from torch.utils.data import DataLoader, Dataset\n"
        "class D(Dataset):\n"
        "    def __len__(self): return 256\n"
        "    def __getitem__(self, i): return torch.randn(3, 224, 224)\n"
        "n = 0\n"
        "for b in DataLoader(D(), batch_size=64, num_workers=2):\n"
        "    assert b.shape == (64, 3, 224, 224); n += 1\n"
        "print('batches', n)\n"
    )
    ok = project.run("python", "/code/loader.py")
    assert ok.code == 0 and "batches 4" in ok.stdout, ok.output
    # The control: Docker's default 64 MB /dev/shm kills the same loader.
    small = project.run("python", "/code/loader.py", shm_size="64m")
    assert small.code != 0
    assert "shared memory" in small.output or "Bus error" in small.output, small.output


def test_taken_port_moves_and_says_so(project: Project) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", project.port))
        blocker.listen()
        port, token, output = project.up()
    assert port != project.port
    assert f"Port {project.port} was not usable" in output and f"uses port {port}" in output
    assert http_status(f"http://127.0.0.1:{port}/api/status", token) == 200


def test_two_projects_two_servers(project: Project, tmp_path: Path) -> None:
    other = Project(tmp_path / "second", project.port)
    port_a, token_a, _ = project.up()
    port_b, token_b, _ = other.up()
    assert port_a != port_b and token_a != token_b
    assert http_status(f"http://127.0.0.1:{port_a}/api/status", token_a) == 200
    assert http_status(f"http://127.0.0.1:{port_b}/api/status", token_b) == 200
    assert project.session() != other.session()


def test_killed_container_then_up_again(project: Project) -> None:
    project.code.mkdir(parents=True, exist_ok=True)
    notebook = project.code / "mine.ipynb"
    notebook.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    project.up()
    name = project.session()
    assert docker("kill", name).returncode == 0
    port, token, output = project.up()
    assert http_status(f"http://127.0.0.1:{port}/api/status", token) == 200
    assert notebook.read_text().startswith('{"cells"')


def test_explain_names_every_flag(project: Project) -> None:
    run = dlbox("up", *project.args("--explain", "--dry-run"))
    assert run.code == 0, run.output
    # The command is printed as a shell would take it: one flag a line, joined by backslashes.
    joined = re.sub(r" \\\n\s*", " ", run.stdout)
    argv_line = next(line for line in joined.splitlines() if " run --detach " in line)
    words = argv_line.split()
    engine_flags = words[: next(i for i, w in enumerate(words) if w.startswith("dlbox-env:"))]
    for flag in {a for a in engine_flags if a.startswith("--")}:
        assert f"  {flag}" in run.stdout
    assert "token=" not in run.stdout
    listed = json.loads(dlbox("ps", "--json").stdout)
    assert all(s["code_dir"] != str(project.code.resolve()) for s in listed)  # started nothing
    assert not project.code.exists() and not project.data.exists()  # and changed nothing


def test_up_ships_lessons_and_never_overwrites_an_edited_one(project: Project) -> None:
    _, _, output = project.up()
    lesson = project.code / "dlbox-lessons" / "lesson1-dogscats.ipynb"
    assert lesson.is_file() and "lesson1-dogscats.ipynb" in output
    assert lesson.stat().st_uid == os.getuid()
    edited = json.loads(lesson.read_text())
    edited["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "source": "my notes"})
    lesson.write_text(json.dumps(edited))
    before = lesson.read_bytes()
    dlbox("stop", project.session())
    _, _, output2 = project.up()
    assert lesson.read_bytes() == before
    assert "kept your edited lesson1-dogscats.ipynb" in output2


def test_explain_json_is_one_document_with_the_session(project: Project) -> None:
    run = dlbox("up", *project.args("--explain", "--json"))
    assert run.code == 0, run.output
    doc = json.loads(run.stdout)  # exactly one JSON document on stdout
    argv = doc["explain"][0]["argv"]
    assert doc["sessions"][0]["port"] == project.port
    assert f"127.0.0.1:{project.port}:8888" in argv
    assert all(e["why"] for e in doc["explain"][0]["explained"])
