"""A dry run starts no GPU probe and writes no state: it reads the probe cache only, else it shows
the flag `up` would try first and says so."""

from __future__ import annotations

from pathlib import Path

from dlbox import paths
from dlbox.engines.base import ProbeOutcome
from dlbox.launch.gpu_select import cached_probe, unprobed


def test_cache_only_reads_and_never_probes(tmp_path: Path) -> None:
    assert cached_probe("engine-a", None) is None
    assert not (paths.state_dir() / "gpu-probe.json").exists()
    outcomes = [ProbeOutcome("cdi", True, ("GPU 0: H200",), "ok")]
    assert cached_probe("engine-a", lambda: outcomes) == outcomes  # a real `up` caches
    assert cached_probe("engine-a", None) == outcomes  # the dry run then reads it
    assert cached_probe("engine-b", None) is None


def test_no_writes_blocks_the_cache_and_state_folders(tmp_path: Path) -> None:
    outcomes = [ProbeOutcome("gpus", False, (), "no toolkit")]
    with paths.no_writes():
        assert cached_probe("engine-a", lambda: outcomes) == outcomes
        paths.container_home()
        paths.sessions_dir()
    assert paths.writes_allowed()
    assert not paths.state_dir().exists()


def test_unprobed_shows_the_first_flag_and_says_so() -> None:
    decision = unprobed("auto", ("cdi", "runtime"))
    assert decision.request.mode == "cdi" and decision.gpus == () and not decision.probed
    assert decision.reason.startswith("not probed (dry run, no cached probe answer)")
    assert "--device nvidia.com/gpu" in decision.reason
    assert unprobed("0,1", ("gpus",)).request.devices == ("0", "1")
    assert not unprobed("none", ("gpus",)).request.enabled
