"""The hub's JupyterHub and the one inside the environment image must share a major version (the
single-user server in the image talks to the hub's REST API; a major mismatch is the classic
failure, z2jh #1521, #2549). Both come from one lock; this says when they drifted apart."""

from __future__ import annotations

from dataclasses import dataclass

UNKNOWN = ("", "unknown")


@dataclass(frozen=True)
class HubDrift:
    """Why the hub cannot serve the image, and the fix."""

    message: str
    fix: str


def major(version: str) -> str:
    return version.split(".", 1)[0]


def hub_drift(hub: str, image: str) -> HubDrift | None:
    """None when the hub's jupyterhub `hub` can spawn an image with jupyterhub `image` ("" or
    "unknown": not in the image's lock)."""
    if image in UNKNOWN:
        return HubDrift(
            "the environment image has no jupyterhub, so the hub cannot start servers from it",
            "Build from dlbox's default lock (it pins jupyterhub), or add "
            f"`jupyterhub=={hub}` to the project's packages (`dlbox add jupyterhub=={hub}`).",
        )
    if major(hub) != major(image):
        return HubDrift(
            f"the hub's JupyterHub is {hub} but the environment image has {image}: its "
            "single-user servers would not talk to this hub (another major version)",
            f"Install the hub the lock pins: `pip install 'jupyterhub=={image}'` (what "
            "`dlbox[hub]` pins; `uv tool install --reinstall 'dlbox[hub]'` for a tool install).",
        )
    return None
