"""The local engine without a venv: path translation, host env, argv, session records, stopping a
process tree, the host GPU probe and the venv reuse rule."""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from pathlib import Path

import pytest

from dlbox import process
from dlbox.engines.base import ContainerSpec, GpuRequest, Mount, PortBinding
from dlbox.engines.local import LocalEngine, processes, venvs
from dlbox.engines.local.host import host_env, setup_course, translate
from dlbox.launch.gpu_select import decide

MOUNTS = (
    Mount(Path("/h/code"), "/code"),
    Mount(Path("/h/data"), "/data"),
    Mount(Path("/h/state/home"), "/home/dlbox"),
    Mount(Path("/h/state/sessions/s1/token"), "/run/dlbox/token", read_only=True),
)


@pytest.mark.parametrize(
    ("inside", "host"),
    [
        ("/code", "/h/code"),
        ("/code/course22/lesson1.ipynb", "/h/code/course22/lesson1.ipynb"),
        ("/codex", "/codex"),  # a prefix of a name is not a path inside
        ("/data/", "/h/data"),
        ("/run/dlbox/token", "/h/state/sessions/s1/token"),
        ("/home/dlbox/.fastai", "/h/state/home/.fastai"),
        ("lab", "lab"),
    ],
)
def test_translate_maps_the_mounts_table_to_host_paths(inside: str, host: str) -> None:
    assert translate(inside, MOUNTS) == host


def spec(
    gpu: GpuRequest = GpuRequest("none"), command: tuple[str, ...] = ("lab",)
) -> ContainerSpec:
    return ContainerSpec(
        name="s1",
        image="/h/venvs/abc",
        command=command,
        mounts=MOUNTS,
        env=(
            ("CUDA_VISIBLE_DEVICES", "0"),
            ("DLBOX_CODE_DIR", "/code"),
            ("DLBOX_DATA_DIR", "/data"),
            ("JUPYTER_TOKEN_FILE", "/run/dlbox/token"),
        ),
        ports=(PortBinding("127.0.0.1", 8890, 8888),),
        workdir="/code/course22",
        gpu=gpu,
    )


def test_host_env_puts_the_venv_first_and_uses_host_paths() -> None:
    env = dict(host_env(spec(), Path("/h/venvs/abc")))
    assert env["PATH"].split(":")[0] == "/h/venvs/abc/bin"
    assert env["VIRTUAL_ENV"] == "/h/venvs/abc"
    assert env["DLBOX_DATA_DIR"] == "/h/data"
    assert env["JUPYTER_TOKEN_FILE"] == "/h/state/sessions/s1/token"
    assert env["FASTAI_HOME"] == "/h/state/home/.fastai-local"
    assert env["CUDA_VISIBLE_DEVICES"] == ""  # no GPU: CUDA hidden


def test_host_gpu_indices_are_the_hosts_own() -> None:
    chosen = dict(host_env(spec(GpuRequest("host", ("1",))), Path("/v")))
    assert chosen["CUDA_VISIBLE_DEVICES"] == "1"
    every = dict(host_env(spec(GpuRequest("host")), Path("/v")))
    assert "CUDA_VISIBLE_DEVICES" not in every  # all GPUs: leave CUDA's default


def test_run_argv_starts_jupyter_from_the_venv_without_the_token() -> None:
    argv = LocalEngine().run_argv(spec())
    assert argv[0] == "/usr/bin/env"
    tail = argv[argv.index("-c") + 2 :]
    assert tail[0] == "/h/code/course22"  # the working folder, like docker's --workdir
    assert tail[1:5] == ["/h/venvs/abc/bin/python", "-m", "jupyter", "lab"]
    assert "--ip=127.0.0.1" in tail and "--port=8890" in tail
    assert "--ServerApp.root_dir=/h/code" in tail
    assert not any("token=" in a.lower() for a in argv)


def test_other_commands_run_as_given_with_paths_translated() -> None:
    argv = LocalEngine().run_argv(spec(command=("python", "/code/x.py")))
    assert argv[-2:] == ["python", "/h/code/x.py"]


def test_setup_course_links_data_and_points_fastai_at_it(tmp_path: Path) -> None:
    course, data, home = tmp_path / "code", tmp_path / "data", tmp_path / "fastai"
    course.mkdir()
    data.mkdir()
    setup_course(course, data, home)
    assert (course / "data").resolve() == data.resolve()
    assert f"data = {data}" in (home / "config.ini").read_text()
    setup_course(course, tmp_path / "elsewhere", home)  # ours: rewritten for the new folder
    assert f"data = {tmp_path / 'elsewhere'}" in (home / "config.ini").read_text()
    (home / "config.ini").write_text("[DEFAULT]\ndata = /mine\n")  # the user's: kept
    setup_course(course, data, home)
    assert (home / "config.ini").read_text() == "[DEFAULT]\ndata = /mine\n"


@pytest.mark.parametrize("kind", ["folder", "file", "broken-link"])
def test_setup_course_never_clobbers_an_existing_data_entry(tmp_path: Path, kind: str) -> None:
    course = tmp_path / "code"
    course.mkdir()
    entry = course / "data"
    if kind == "folder":
        entry.mkdir()
    elif kind == "file":
        entry.write_text("mine")
    else:
        entry.symlink_to(tmp_path / "gone")
    setup_course(course, tmp_path / "data", tmp_path / "fastai")
    assert entry.is_symlink() == (kind == "broken-link")
    if kind == "broken-link":
        assert os.readlink(entry) == str(tmp_path / "gone")


def _record(name: str, pid: int, ident: str, **labels: str) -> processes.SessionRecord:
    return processes.SessionRecord(
        name=name,
        pid=pid,
        pgid=pid,
        identity=ident,
        port=8890,
        host="127.0.0.1",
        image="/v",
        started_at="2030-01-01T00:00:00.000000Z",
        log_path="/l",
        workdir="/w",
        labels={"io.dlbox.session": name, **labels},
    )


def test_session_records_roundtrip_privately() -> None:
    path = processes.write_record(_record("s1", 12345, "99", extra="x"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    back = processes.read_record("s1")
    assert back is not None and back.pid == 12345 and back.labels["extra"] == "x"


def test_a_dead_pid_shows_as_exited_and_remove_cleans_it_up() -> None:
    done = process.spawn(["true"], log_path=Path(os.devnull))
    done.wait()
    processes.write_record(_record("gone", done.pid, "1"))
    engine = LocalEngine()
    (info,) = engine.containers(["io.dlbox.session"])
    assert info.name == "gone" and info.state == "exited"
    engine.remove("gone")
    assert processes.read_record("gone") is None
    assert engine.containers([]) == []


def test_a_reused_pid_is_not_taken_for_the_session() -> None:
    processes.write_record(_record("mine", os.getpid(), "not-my-start-time"))
    (info,) = LocalEngine().containers(["io.dlbox.session=mine"])
    assert info.state == "exited"  # the pid lives, but it is another process now
    assert LocalEngine().containers(["io.dlbox.session=other"]) == []


def test_remove_stops_the_whole_process_group(tmp_path: Path) -> None:
    script = "import subprocess, time; subprocess.Popen(['sleep', '300']); time.sleep(300)"
    proc = process.spawn([sys.executable, "-c", script], log_path=tmp_path / "log")
    ident = None
    for _ in range(50):
        ident = processes.identity(proc.pid)
        kids = processes.descendants(proc.pid)
        if ident and kids:
            break
        time.sleep(0.1)
    assert ident and kids
    processes.write_record(_record("tree", proc.pid, ident))
    (info,) = LocalEngine().containers([])
    assert info.running
    LocalEngine().remove("tree")
    proc.wait(timeout=5)
    assert all(processes.identity(k) is None for k in kids)
    assert group_gone(proc.pid)


def group_gone(pgid: int, within: float = 5.0) -> bool:
    """True once no process (not even a zombie waiting for init to reap it) is in the group."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_host_probe_uses_nvidia_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    smi = tmp_path / "nvidia-smi"
    smi.write_text("#!/bin/sh\necho 'GPU 0: NVIDIA A100 (UUID: GPU-1)'\n")
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    monkeypatch.setattr(sys, "platform", "linux")
    outcomes = LocalEngine().probe_gpus("/v")
    assert [o.mode for o in outcomes] == ["host"] and outcomes[0].ok
    decision = decide("auto", outcomes)
    assert decision.request == GpuRequest("host", ()) and "host's NVIDIA driver" in decision.reason


def test_no_gpu_on_the_host_warns_like_the_container_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(sys, "platform", "linux")
    decision = decide("auto", LocalEngine().probe_gpus("/v"))
    assert not decision.request.enabled
    assert decision.warning and decision.warning.startswith("NO GPU FOUND")
    assert "on this machine" in decision.reason


def test_each_platform_has_a_lock_and_its_own_venv() -> None:
    plans = {p: venvs.plan_venv(plat=p) for p in ("linux-x86_64", "macos-arm64")}
    assert plans["linux-x86_64"].lock_hash != plans["macos-arm64"].lock_hash
    assert plans["macos-arm64"].versions["torch"] == plans["linux-x86_64"].versions["torch"]
    assert venvs.plan_venv(["rich"], plat="macos-arm64").lock_hash != plans["macos-arm64"].lock_hash


def test_a_complete_venv_is_reused_and_a_half_one_is_not(tmp_path: Path) -> None:
    plan = venvs.plan_venv()
    (plan.path / "bin").mkdir(parents=True)
    (plan.path / "bin" / "python").symlink_to(sys.executable)
    assert not venvs.venv_complete(plan.path)  # no marker: a crashed build
    (plan.path / venvs.MARKER).write_text(json.dumps({"lock_hash": plan.lock_hash}))
    result = venvs.ensure_venv()  # would need uv and the network if it rebuilt
    assert result.reused and result.path == plan.path
    assert LocalEngine().image_id(str(plan.path)) == plan.lock_hash


def test_host_platforms() -> None:
    assert venvs.host_platform("Linux", "x86_64") == "linux-x86_64"
    assert venvs.host_platform("Linux", "aarch64") == "linux-aarch64"
    assert venvs.host_platform("Darwin", "arm64") == "macos-arm64"
    with pytest.raises(venvs.DlboxError):
        venvs.host_platform("Windows", "AMD64")


def test_the_local_engine_follows_the_cuda_line_on_linux_only() -> None:
    twelve = venvs.plan_venv(plat="linux-x86_64", line="12")
    thirteen = venvs.plan_venv(plat="linux-x86_64", line="13")
    assert twelve.versions["torch"].startswith("2.10.")
    assert twelve.lock_hash != thirteen.lock_hash and twelve.path != thirteen.path
    assert "cuda12" in str(twelve.lock_dir)
    # macOS has no CUDA: either line gives the default line's macOS venv.
    mac12 = venvs.plan_venv(plat="macos-arm64", line="12")
    assert mac12.lock_hash == venvs.plan_venv(plat="macos-arm64").lock_hash
