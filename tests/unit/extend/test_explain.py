"""uv's resolver output becomes one sentence naming the package and the locked version."""

from __future__ import annotations

from dlbox.extend.explain_conflict import explain
from dlbox.extend.lockfile import via_map

BASE = {"numpy": "2.4.6", "wrapt": "2.5.2", "torch": "2.15.0", "pandas": "3.1.1"}
VIA = {"numpy": ["torchvision", "fastai"], "wrapt": ["smart-open"]}

DIRECT = """error: No solution found when resolving dependencies
  cause: Because you require numpy<2 and numpy==2.4.6, we can conclude that your requirements are unsatisfiable.
"""  # noqa: E501
TRANSITIVE = """error: No solution found when resolving dependencies
  cause: Because tensorflow==2.15.0 depends on wrapt>=1.11.0,<1.15 and wrapt==2.5.2, we can conclude that tensorflow==2.15.0 cannot be used.
         And because you require tensorflow==2.15.0, we can conclude that your requirements are unsatisfiable.
"""  # noqa: E501
FANCY = """  × No solution found when resolving dependencies:
  ╰─▶ Because you require torch<2 and torch==2.15.0, we can conclude that your requirements are unsatisfiable.
"""  # noqa: E501
MISSING = """error: No solution found when resolving dependencies
  cause: Because nonexistent-pkg was not found in the package registry and you require nonexistent-pkg, we can conclude that your requirements are unsatisfiable.
"""  # noqa: E501


def test_direct_conflict_names_both_sides_and_who_needs_it() -> None:
    why = explain(DIRECT, ["numpy<2"], BASE, VIA, "linux-x86_64")
    assert why.message == (
        "numpy<2 conflicts with the environment's numpy==2.4.6 (needed by torchvision, fastai)."
    )
    assert "drop the limit" in why.hint


def test_transitive_conflict_names_the_dependency() -> None:
    why = explain(TRANSITIVE, ["rich", "tensorflow==2.15.0"], BASE, VIA, "linux-x86_64")
    assert why.message == (
        "tensorflow==2.15.0 needs wrapt>=1.11.0,<1.15, which conflicts with the environment's "
        "wrapt==2.5.2 (needed by smart-open)."
    )


def test_core_packages_and_fancy_output() -> None:
    why = explain(FANCY, ["torch<2"], BASE, VIA, "linux-x86_64")
    assert why.message.startswith("torch<2 conflicts with the environment's torch==2.15.0")
    assert "core packages" in why.message
    assert "╰" not in why.message and "Because" not in why.message


def test_unknown_package() -> None:
    why = explain(MISSING, ["nonexistent-pkg"], BASE, VIA, "linux-x86_64")
    assert why.message == "nonexistent-pkg was not found on the package index."
    assert "pypi.org/project/nonexistent-pkg" in why.hint


def test_other_failures_stay_short() -> None:
    text = (
        "error: No solution found when resolving dependencies\n  cause: Because "
        + ("foo depends on bar and " * 40)
        + "we can conclude that your requirements are unsatisfiable."
    )
    why = explain(text, ["foo"], BASE, VIA, "linux-x86_64")
    assert len(why.message) < 400
    net = explain("error: Failed to fetch: `https://pypi.org/simple/foo/`", ["foo"], BASE, VIA, "x")
    assert "could not reach the package index" in net.message


def test_via_map_reads_uv_annotations() -> None:
    lock = (
        "numpy==2.4.6 \\\n    --hash=sha256:aa\n    # via\n    #   -c full.txt\n"
        "    #   torchvision\n    #   fastai\nwrapt==2.5.2 \\\n    --hash=sha256:bb\n"
        "    # via smart-open\n"
    )
    assert via_map([lock]) == {"numpy": ["torchvision", "fastai"], "wrapt": ["smart-open"]}
