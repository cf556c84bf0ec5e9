"""The hub check: the JupyterHub that `dlbox hub` runs and the one inside the environment image
share a major version (both come from one lock)."""

from __future__ import annotations

import importlib.metadata

from dlbox.doctor.facts import Facts
from dlbox.doctor.model import Finding
from dlbox.environment.hub_version import hub_drift
from dlbox.errors import DlboxError


def installed_jupyterhub() -> str | None:
    try:
        return importlib.metadata.version("jupyterhub")
    except importlib.metadata.PackageNotFoundError:
        return None


def hub_finding(hub: str | None, image: str) -> Finding:
    """The finding for the hub's jupyterhub `hub` (None: not installed) and the image's."""
    details: dict[str, object] = {"hub_jupyterhub": hub, "image_jupyterhub": image}
    if hub is None:
        return Finding(
            "skip",
            "dlbox's hub extra is not installed (only `dlbox hub` needs it)",
            "For a class or team: `pip install 'dlbox[hub]'`.",
            details,
        )
    drift = hub_drift(hub, image)
    if drift is not None:
        return Finding("warn", drift.message, drift.fix, details)
    return Finding(
        "ok", f"the hub's JupyterHub {hub} matches the image's {image} (one lock)", "", details
    )


def check_hub(facts: Facts) -> Finding:
    hub = installed_jupyterhub()
    if hub is not None and facts.engine() is None:
        return Finding("skip", "no container engine", "See the engine check's fix.")
    image = ""
    if hub is not None:
        try:
            image = facts.build_context().versions.get("jupyterhub", "")
        except DlboxError as exc:
            return Finding("fail", f"cannot plan the image: {exc.message}", exc.hint or "")
    return hub_finding(hub, image)
