"""The zero-to-lesson benchmark splits a BuildKit log of dlbox's Dockerfile into phases."""

from __future__ import annotations

from bench.zero import phases_from_log

LOG = """\
#5 [stage-0  2/12] RUN --mount=type=cache,id=apt apt-get update && apt-get install -y python3
#5 DONE 26.1s
#8 [stage-0  4/12] RUN python3.11 -m venv /opt/dlbox/tools && uv venv /opt/dlbox/venv
#8 DONE 16.4s
#10 [stage-0  6/12] RUN --mount=type=cache,id=uv uv pip install -r /tmp/dlbox/torch.txt
#10 0.820 Resolved 32 packages in 472ms
#10 73.45 Prepared 32 packages in 1m 12s
#10 114.5 Installed 32 packages in 41.00s
#10 156.9 Bytecode compiled 6113 files in 42.44s
#10 DONE 157.7s
#12 [stage-0  8/12] RUN uv pip install --no-deps -r /tmp/dlbox/course.txt
#12 16.56 Prepared 1 package in 14.33s
#12 24.47 Installed 157 packages in 7.89s
#12 DONE 59.2s
#17 exporting to image
#17 exporting layers 220.1s done
#17 DONE 220.2s
"""


def test_phases_from_a_build_log() -> None:
    phases = phases_from_log(LOG)
    assert phases["apt"] == 26.1
    assert phases["fetch"] == 72.0 + 14.33
    assert round(phases["install"], 2) == 48.89
    assert phases["bytecode"] == 42.44
    assert phases["export"] == 220.2
    assert phases["other"] == 16.4
