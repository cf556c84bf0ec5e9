"""GPUs per hub user, on the real hub and engine, with the device requests faked at the
spawner's boundary with the engine (tests/hub_fake_gpus.py): no GPU on this machine."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from dlbox.engines.docker import DockerEngine
from dlbox.hub.api import HubApiError
from dlbox.hub.config_text import HubConfig
from dlbox.hub.plan import Exposure, free_loopback_port
from dlbox.hub.state import hub_dir, load_record
from dlbox.usecases.hub import api_for, hub_down, hub_status, start_hub
from tests.helpers import docker, free_port_block
from tests.hub_fake_gpus import REQUESTS_LABEL

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
# What `docker run --gpus device=0` asks the engine for (the Docker API's DeviceRequest).
GPU_0 = {"Driver": "", "Count": 0, "DeviceIDs": ["0"], "Capabilities": [["gpu"]], "Options": {}}


def requests_of(base: Path, user: str) -> tuple[object, list[str]]:
    ids = docker(
        "ps", "--quiet", "--filter", f"label=io.dlbox.hub={base}",
        "--filter", f"label=io.dlbox.hub-user={user}",
    ).stdout.split()  # fmt: skip
    assert len(ids) == 1, ids
    info = json.loads(docker("inspect", ids[0]).stdout)[0]
    return json.loads(info["Config"]["Labels"][REQUESTS_LABEL]), info["Config"]["Env"]


def test_exclusive_gpus_refuse_clearly_and_free_up_on_stop(
    docker_engine: DockerEngine,
    fastai_image: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the hub process imports the test spawner
    (tmp_path / "data").mkdir()
    base = hub_dir()
    config = HubConfig(
        state_dir=base,
        image=fastai_image,
        port=free_port_block(1, start=18970),
        hub_port=free_loopback_port(),
        api_port=free_loopback_port(),
        admin="teacher",
        gpu_policy="exclusive",
        gpu_mode="gpus",
        gpu_ids=("0",),
        data_dir=tmp_path / "data",
        shm_bytes=2**30,
        python=sys.executable,
        spawner_class="tests.hub_fake_gpus.FakeGpuSpawner",
    )
    start_hub(config, Exposure("127.0.0.1"))
    users = ("gpu-ann", "gpu-bob")
    try:
        record = load_record(base)
        assert record is not None
        api = api_for(record, base)
        for user in users:
            api.add_user(user)
        api.start_server("gpu-ann", wait=300)
        requests, env = requests_of(base, "gpu-ann")
        assert requests == [GPU_0]
        assert "CUDA_VISIBLE_DEVICES=0" in env

        with pytest.raises(HubApiError) as refused:
            api.start_server("gpu-bob", wait=120)
        assert "GPU(s) of this machine are in use (gpu-ann)" in refused.value.message

        api.stop_server("gpu-ann", wait=120)
        api.start_server("gpu-bob", wait=300)
        requests, _ = requests_of(base, "gpu-bob")
        assert requests == [GPU_0]
        status = {u.name: u for u in hub_status(docker_engine).users}
        assert status["gpu-bob"].gpus == "0" and status["gpu-ann"].server == "stopped"
    finally:
        hub_down(docker_engine)
        for user in users:
            docker("volume", "rm", "-f", f"dlbox-hub-{user.replace('-', '-2d')}-code")
