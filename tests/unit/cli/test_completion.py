"""Shell completion: `dlbox completion bash` loaded in a real bash completes commands and flags."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.cli.snapshot import run_dlbox

BIN = Path(sys.executable).parent


def complete_in_bash(words: str) -> list[str]:
    script = run_dlbox("completion", "bash").stdout
    line = (
        f"{script}\nCOMP_WORDS=({words}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ));"
        '_dlbox_completion dlbox; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "--norc", "-c", line], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_bash_completes_commands_and_options() -> None:
    assert complete_in_bash("dlbox st") == ["stop"]
    assert "--engine" in complete_in_bash("dlbox up --en")
    assert complete_in_bash("dlbox data g") == ["get"]


def test_completion_for_an_unknown_shell_is_a_usage_error() -> None:
    done = run_dlbox("completion", "tcsh")
    assert done.returncode == 2 and "Use one of: bash, zsh, fish, powershell." in done.stderr
