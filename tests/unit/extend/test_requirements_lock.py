"""Requirement checks, list merging, dlbox.lock round trips and push/export details."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlbox.errors import ConfigError, UsageError
from dlbox.extend import lockfile
from dlbox.extend.push import check_ref, push_hint, registry_of
from dlbox.extend.requirements import check_apt_package, drop, merge, requirement_name
from dlbox.image.context import build_context
from dlbox.image.spec import EnvSpec, Extras, LockedExtras

TINY = Path(__file__).parents[2] / "fixtures" / "tiny-env" / "locks"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("rich", "rich"),
        ("Rich[jupyter]>=13,<15", "rich"),
        ("ruamel.yaml", "ruamel-yaml"),
        ("timm==1.0.0; python_version >= '3.10'", "timm"),
    ],
)
def test_requirement_names(text: str, name: str) -> None:
    assert requirement_name(text) == name


@pytest.mark.parametrize(
    "bad", ["--index-url=http://x", "-e .", "a\nb", "pkg @ https://x/y.whl", ""]
)
def test_options_urls_and_newlines_are_refused(bad: str) -> None:
    with pytest.raises(UsageError):
        requirement_name(bad)


def test_merge_replaces_in_place_and_drop_names_what_is_missing() -> None:
    assert merge(["rich", "timm"], ["Rich<14", "tabulate"]) == ["Rich<14", "timm", "tabulate"]
    assert drop(["rich", "timm"], ["TIMM"]) == ["rich"]
    with pytest.raises(UsageError, match=r"nope is not in .*listed: rich"):
        drop(["rich"], ["nope"])
    assert merge(["graphviz"], ["curl"], "apt") == ["graphviz", "curl"]
    with pytest.raises(UsageError):
        check_apt_package("Bad Name")


def test_lock_round_trip() -> None:
    lock = lockfile.ExtrasLock(
        ("tabulate",),
        (
            LockedExtras("x86_64", "abc", "tabulate==0.10.0 \\\n    --hash=sha256:00\n"),
            LockedExtras("aarch64", "abc", ""),
        ),
    )
    text = lockfile.dumps(lock)
    assert text.startswith("# dlbox.lock")
    back = lockfile.loads(text)
    assert back.requested == lock.requested
    assert sorted(back.platforms, key=lambda p: p.arch) == sorted(
        lock.platforms, key=lambda p: p.arch
    )
    assert back.pins("x86_64") == {"tabulate": "0.10.0"}
    with pytest.raises(ConfigError, match="not a valid dlbox lock"):
        lockfile.loads("requested = 3")


def test_locked_extras_are_installed_by_hash_only_when_they_match_the_environment() -> None:
    spec = EnvSpec(lock_root=TINY / "linux-x86_64", extras=Extras(pip=("tabulate",)))
    from dlbox.environment.lockset import pins_digest

    base = pins_digest(spec.lockset().pins)
    pin = "tabulate==0.10.0 \\\n    --hash=sha256:" + "0" * 64 + "\n"
    locked = EnvSpec(
        lock_root=spec.lock_root,
        extras=Extras(pip=("tabulate",), pip_locked=(LockedExtras("x86_64", base, pin),)),
    )
    ctx = build_context(locked)
    assert ctx.files["locks/extras.txt"] == pin and "locks/constraints.txt" not in ctx.files
    assert (
        "--no-deps --require-hashes --compile-bytecode -r /tmp/dlbox/extras.txt" in ctx.dockerfile
    )
    stale = EnvSpec(
        lock_root=spec.lock_root,
        extras=Extras(pip=("tabulate",), pip_locked=(LockedExtras("x86_64", "other", pin),)),
    )
    assert build_context(stale).files["locks/extras.txt"] == "tabulate\n"  # resolved at build
    # A lock with no new packages (all already in the environment) adds no layer at all.
    empty = EnvSpec(
        lock_root=spec.lock_root,
        extras=Extras(pip=("six",), pip_locked=(LockedExtras("x86_64", base, ""),)),
    )
    assert build_context(empty).tag == build_context(EnvSpec(lock_root=spec.lock_root)).tag


def test_lock_root_may_hold_one_folder_per_arch() -> None:
    assert (
        EnvSpec(lock_root=TINY).lockset().pins
        == EnvSpec(lock_root=TINY / "linux-x86_64").lockset().pins
    )


def test_push_refs_and_hints() -> None:
    assert registry_of("ghcr.io/me/env:1") == "ghcr.io"
    assert registry_of("localhost:5000/env") == "localhost:5000"
    assert registry_of("me/env") == "docker.io"
    check_ref("localhost:5000/fastai-env:latest")
    with pytest.raises(UsageError):
        check_ref("Bad/Name")
    assert "docker login ghcr.io" in push_hint("denied: requested access", "ghcr.io/me/env")
    hint = push_hint("dial tcp: lookup nope.invalid: no such host", "nope.invalid/x")
    assert "cannot be reached" in hint and "nope.invalid" in hint
