"""The local engine for real: a uv-made venv from the lock, Jupyter as a host process, driven
through the CLI as a user would. The venv is created once per module (the first time ever that
downloads ~3 GB through uv; uv's cache makes later creations quick) in a folder shared by runs
(DLBOX_VENVS_DIR, default /tmp/dlbox-test-venvs-UID)."""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dlbox.engines.detect import select_engine
from dlbox.engines.local import venvs
from dlbox.launch.health import status_code
from tests.conftest import need
from tests.helpers import dlbox, free_port_block

pytestmark = pytest.mark.local_engine

# Per user: the venv is reused across runs, and another user cannot write into it.
VENVS = os.environ.get("DLBOX_TEST_VENVS_DIR", f"/tmp/dlbox-test-venvs-{os.getuid()}")


@pytest.fixture(scope="module")
def venv() -> Path:
    """The real venv for this machine's lock (created once, then reused by every test)."""
    saved = os.environ.get("DLBOX_VENVS_DIR")
    os.environ["DLBOX_VENVS_DIR"] = VENVS
    try:
        result = venvs.ensure_venv()
    except venvs.DlboxError as exc:
        need(f"cannot create the local venv: {exc.message}")
        raise
    finally:
        if saved is None:
            os.environ.pop("DLBOX_VENVS_DIR", None)
        else:
            os.environ["DLBOX_VENVS_DIR"] = saved
    return result.path


@pytest.fixture
def project(
    venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    monkeypatch.setenv("DLBOX_VENVS_DIR", VENVS)
    code, data = tmp_path / "code", tmp_path / "data"
    (code / "course").mkdir(parents=True)
    data.mkdir()
    port = free_port_block(3, start=19400)
    args = {"code": str(code), "data": str(data), "port": str(port)}
    yield args
    dlbox("stop", "--all", "--engine", "local", timeout=60)


def up(p: dict[str, str], *extra: str) -> dict[str, object]:
    run = dlbox(
        "up",
        "--engine",
        "local",
        "--code-dir",
        p["code"],
        "--data-dir",
        p["data"],
        "--port",
        p["port"],
        "--gpus",
        "auto",
        "--json",
        *extra,
        timeout=900,
    )
    assert run.code == 0, run.output
    data: dict[str, object] = json.loads(run.stdout)
    return data


def session_of(result: dict[str, object]) -> dict[str, object]:
    sessions = result["sessions"]
    assert isinstance(sessions, list) and len(sessions) == 1
    first: dict[str, object] = sessions[0]
    return first


def record(name: str) -> dict[str, object]:
    state = Path(os.environ["DLBOX_STATE_DIR"])
    loaded: dict[str, object] = json.loads((state / "sessions" / name / "local.json").read_text())
    return loaded


def test_up_answers_with_the_token_and_refuses_without(project: dict[str, str]) -> None:
    result = up(project)
    s = session_of(result)
    port = int(str(s["port"]))
    token = str(s["url"]).split("token=", 1)[1]
    assert status_code(port, token) == 200
    assert status_code(port, None) == 403
    assert result["engine"] == "local"
    pid = int(str(record(str(s["name"]))["pid"]))
    if sys.platform.startswith("linux"):  # the token is never in any process's argv
        assert token not in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        assert token not in Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    link = Path(project["code"]) / "data"
    assert link.is_symlink() and link.resolve() == Path(project["data"]).resolve()
    # The image's JupyterLab defaults for learners hold here too: no news question, no update check,
    # no extension manager (lab settings overrides in the venv; docs/jupyterlab.md).
    notify = lab_setting_defaults(port, token, "@jupyterlab/apputils-extension:notification")
    assert (notify["fetchNews"], notify["checkForUpdates"]) == ("false", False)
    manager = lab_setting_defaults(port, token, "@jupyterlab/extensionmanager-extension:plugin")
    assert manager["enabled"] is False


def lab_setting_defaults(port: int, token: str, plugin: str) -> dict[str, object]:
    """The defaults JupyterLab gives a plugin's settings (its schema after the overrides)."""
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/lab/api/settings/{plugin}",
        headers={"Authorization": f"token {token}"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        schema = json.loads(resp.read())["schema"]["properties"]
    return {name: prop.get("default") for name, prop in schema.items()}


def _start_kernel(port: int, token: str) -> None:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/kernels",
        data=b"{}",
        method="POST",
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status in (200, 201)


def _gone(pid: int, group: bool, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0) if group else os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def test_stop_leaves_no_process_behind(project: dict[str, str]) -> None:
    from dlbox.engines.local.processes import descendants

    s = session_of(up(project))
    name, port = str(s["name"]), int(str(s["port"]))
    _start_kernel(port, str(s["url"]).split("token=", 1)[1])
    pid = int(str(record(name)["pid"]))
    kids: list[int] = []
    for _ in range(100):  # the kernel runs in a session of its own, as a child of Jupyter
        kids = descendants(pid)
        if kids:
            break
        time.sleep(0.2)
    assert kids, "the kernel did not start"
    run = dlbox("stop", name, "--engine", "local", "--json", timeout=120)
    assert run.code == 0, run.output
    assert json.loads(run.stdout)["stopped"] == [name]
    assert _gone(pid, group=False) and _gone(pid, group=True)
    assert all(_gone(k, group=False) for k in kids)
    assert status_code(port, None) is None
    listed = dlbox("ps", "--engine", "local", "--json", timeout=60)
    assert json.loads(listed.stdout) == []


def test_a_second_up_reuses_the_venv(project: dict[str, str], venv: Path) -> None:
    before = venv.stat()
    first = up(project)
    env = first["environment"]
    assert isinstance(env, dict) and env["reused"] is True and env["tag"] == str(venv)
    again = up(project)
    env2 = again["environment"]
    assert isinstance(env2, dict) and env2["reused"] is True
    assert session_of(again)["name"] == session_of(first)["name"]
    assert again["sessions"][0]["reused"] is True  # type: ignore[index]
    after = venv.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_dead_session_is_cleaned_up_by_the_next_up(project: dict[str, str]) -> None:
    s = session_of(up(project))
    name = str(s["name"])
    pid = int(str(record(name)["pid"]))
    os.killpg(pid, 9)
    assert _gone(pid, group=True)
    listed = json.loads(dlbox("ps", "--engine", "local", "--json", timeout=60).stdout)
    assert [(x["name"], x["state"]) for x in listed] == [(name, "exited")]
    again = up(project)
    assert again["cleaned_up"] == [f"{name} (exited)"]
    assert status_code(int(str(session_of(again)["port"])), None) == 403


def test_auto_picks_docker_when_it_answers_and_local_when_it_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    down = select_engine("auto")
    assert down.name in ("local", "podman")
    if down.name == "local":
        assert down.container is None and "docker" in down.reason
        assert down.to_dict()["engine"] == "local"
    monkeypatch.delenv("DOCKER_HOST")
    try:
        select_engine("docker")
    except venvs.DlboxError as exc:
        need(f"no Docker daemon answers here: {exc.message}")
    assert select_engine("auto").name == "docker"


def _verify_local(*args: str) -> tuple[int, dict[str, Any], str]:
    run = dlbox("verify", "--engine", "local", "--profile", "smoke", "--json", *args, timeout=1200)
    try:
        data: dict[str, Any] = json.loads(run.stdout)
    except ValueError:
        pytest.fail(f"no JSON from dlbox verify (rc {run.code}):\n{run.output[-4000:]}")
    return run.code, data, run.stderr


def test_verify_smoke_passes_both_lessons_with_workers(
    venv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DLBOX_VENVS_DIR", VENVS)
    rc, data, stderr = _verify_local()
    assert rc == 0, stderr[-4000:]
    assert data["ok"] is True and data["engine"] == "local" and data["image"] == str(venv)
    assert data["uid"] == os.getuid()
    notes = " ".join(data["notes"])
    assert "--network none" in notes and "offline guard" in notes  # said, not silently dropped
    by_name = {nb["name"]: nb for nb in data["notebooks"]}
    assert set(by_name) == {"lesson1-dogscats", "lesson1-pets"}
    for nb in by_name.values():
        assert nb["status"] == "passed" and nb["cells_run"] == nb["code_cells"] > 5
        facts = nb["facts"]
        assert facts["num_workers"] == 2  # DataLoader worker processes, on the host
        assert facts["smoke"] is True and facts["sz"] == 64 and facts["uid"] == os.getuid()
        assert Path(nb["executed"]).is_file()
    assert not (Path(data["out_dir"]) / "work").exists()  # scratch (home, models) removed
    assert Path(data["report"]).is_file()


def test_verify_local_reports_failures_and_blocks_downloads(
    venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbformat

    monkeypatch.setenv("DLBOX_VENVS_DIR", VENVS)

    def notebook(name: str, *sources: str) -> str:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        nbformat.write(nb, str(tmp_path / name))
        return str(tmp_path / name)

    online = notebook(
        "online.ipynb",
        "import urllib.request\n"
        "urllib.request.urlopen('https://download.pytorch.org/models/resnet34-b627a593.pth',"
        " timeout=120)",
    )
    here = notebook("here.ipynb", "import os\nprint('CWD', os.getcwd())")
    broken = notebook("broken.ipynb", "raise ValueError('lesson broke here')")
    rc, data, _ = _verify_local("--timeout", "60", online, here, broken)
    assert rc != 0 and data["ok"] is False
    by_name = {nb["name"]: nb for nb in data["notebooks"]}
    offline = by_name["online"]
    assert offline["status"] == "failed" and offline["seconds"] < 30
    cell = offline["failing_cell"]
    assert "offline" in cell["reason"] + cell["traceback"]
    assert "download.pytorch.org" in cell["traceback"]
    assert by_name["here"]["status"] == "passed"  # ran in its own (host) folder
    executed = nbformat.read(by_name["here"]["executed"], as_version=4)
    assert f"CWD {tmp_path}" in executed.cells[0].outputs[0]["text"]
    assert by_name["broken"]["failing_cell"]["ename"] == "ValueError"


def test_run_sets_up_like_up(project: dict[str, str]) -> None:
    """`dlbox run` on the local engine: same fastai config and data link as the start script."""
    code = Path(project["code"])
    code.mkdir(parents=True, exist_ok=True)
    probe = (
        "import configparser, os, pathlib, fastai; "
        "c = configparser.ConfigParser(); "
        "c.read(pathlib.Path(os.environ['FASTAI_HOME']) / 'config.ini'); "
        "print('LINK', os.path.realpath('data')); print('CFG', c['DEFAULT']['data'])"
    )
    done = dlbox(
        "run",
        "--engine",
        "local",
        "--code-dir",
        project["code"],
        "--data-dir",
        project["data"],
        "--gpus",
        "none",
        "--",
        "python",
        "-c",
        probe,
        timeout=600,
    )
    assert done.code == 0, done.output
    data = str(Path(project["data"]).resolve())
    assert f"LINK {data}" in done.stdout
    assert f"CFG {data}" in done.stdout
