"""Packages the resolution needs but the environment never installs (relock.LEFT_OUT)."""

from __future__ import annotations

from pathlib import Path

from dlbox.environment.lockset import env_dir, parse_pins
from dlbox.image import relock

FULL = """\
jsonschema==4.25.1 \\
    --hash=sha256:aa
    # via jupyter-events
lark==1.3.1 \\
    --hash=sha256:bb
    # via rfc3987-syntax
rfc3987-syntax==1.1.0 \\
    --hash=sha256:cc
    # via jsonschema
torch==2.15.0 \\
    --hash=sha256:dd
"""


def test_the_course_layer_holds_neither_torch_layer_packages_nor_left_out_ones() -> None:
    course = relock.course_layer(FULL, {"torch"})
    assert sorted(parse_pins(course)) == ["jsonschema", "lark"]
    assert "rfc3987-syntax==" not in course and "sha256:cc" not in course
    assert "# via rfc3987-syntax" in course  # uv's own note on lark stays as uv wrote it


def _lock_files() -> list[Path]:
    fixtures = Path(__file__).parents[2] / "fixtures"
    found = sorted(env_dir().rglob("locks/*/*.txt")) + sorted(fixtures.rglob("locks/*/*.txt"))
    assert len(found) >= 10, found  # both CUDA lines, every platform, and the test environments
    return found


def test_no_shipped_lock_installs_a_left_out_package() -> None:
    """A `dlbox lock` run leaves them out; this catches a lock file made any other way."""
    for path in _lock_files():
        pins = parse_pins(path.read_text())
        assert not relock.LEFT_OUT & set(pins), path
