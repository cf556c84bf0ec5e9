"""Which Zero to JupyterHub chart release runs the `jupyterhub` that dlbox's image holds.

The hub (in the chart's k8s-hub image) and `jupyterhub-singleuser` (in dlbox's image) must share
the major version, and better the minor one too (a mismatch is the classic z2jh failure, issues
#1521 and #2549). The table below is read from the chart's source: `images/hub/requirements.txt`
at each release tag of github.com/jupyterhub/zero-to-jupyterhub-k8s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dlbox.environment.lockset import LockSet
from dlbox.errors import DlboxError

HELM_REPO_NAME = "jupyterhub"
HELM_REPO_URL = "https://hub.jupyter.org/helm-chart/"
HUB_IMAGE = "quay.io/jupyterhub/k8s-hub"
# The chart release dlbox's values are written for and tested against (tests/fixtures/z2jh).
TARGET_CHART = "4.4.0"

# (jupyterhub major, minor) -> (chart release, the jupyterhub its hub image runs).
# The newest chart release for each minor version.
CHARTS: dict[tuple[int, int], tuple[str, str]] = {
    (5, 5): ("4.4.0", "5.5.0"),
    (5, 4): ("4.3.5", "5.4.6"),
    (5, 3): ("4.2.0", "5.3.0"),
    (5, 2): ("4.1.0", "5.2.1"),
    (4, 1): ("3.3.8", "4.1.6"),
    (4, 0): ("3.2.1", "4.0.2"),
}
_VERSION = re.compile(r"^(\d+)\.(\d+)")


class ChartMismatch(DlboxError):
    """No chart release runs a hub compatible with the image's jupyterhub."""


@dataclass(frozen=True)
class ChartChoice:
    chart: str  # the z2jh chart release, e.g. 4.4.0
    hub_jupyterhub: str  # the jupyterhub inside that release's hub image
    image_jupyterhub: str  # the jupyterhub inside dlbox's image
    note: str = ""  # set when only the major version matches

    def to_dict(self) -> dict[str, object]:
        return {
            "chart": self.chart,
            "hub_jupyterhub": self.hub_jupyterhub,
            "image_jupyterhub": self.image_jupyterhub,
            "note": self.note,
        }


def image_jupyterhub(lockset: LockSet) -> str:
    """The `jupyterhub` version pinned in the image's lock files (what jupyterhub-singleuser in
    the image is), or a message naming the fix when the image has none."""
    version = lockset.version("jupyterhub")
    if version == "unknown":
        raise ChartMismatch(
            f"dlbox's environment (linux-{lockset.arch}) has no `jupyterhub` package, so its "
            "image cannot be spawned by a hub (jupyterhub-singleuser is missing).",
            "Update dlbox (its locks include jupyterhub), or add `jupyterhub>=5,<6` to the "
            "environment and run `dlbox lock`.",
        )
    return version


def chart_for(jupyterhub: str) -> ChartChoice:
    """The chart release whose hub runs the same jupyterhub major.minor as the image; failing
    that, the newest one with the same major (with a note); else a ChartMismatch."""
    m = _VERSION.match(jupyterhub)
    if not m:
        raise ChartMismatch(f"Cannot read the jupyterhub version {jupyterhub!r} of the image.")
    major, minor = int(m.group(1)), int(m.group(2))
    if (major, minor) in CHARTS:
        chart, hub = CHARTS[(major, minor)]
        return ChartChoice(chart, hub, jupyterhub)
    same_major = sorted(k for k in CHARTS if k[0] == major)
    if not same_major:
        known = ", ".join(f"{a}.{b}" for a, b in sorted(CHARTS))
        raise ChartMismatch(
            f"dlbox's image has jupyterhub {jupyterhub}, and no Zero to JupyterHub chart "
            f"release dlbox knows runs jupyterhub {major}.x (known: {known}).",
            "Pin the environment's jupyterhub to 5.x (`jupyterhub>=5,<6`) and run `dlbox lock`.",
        )
    chart, hub = CHARTS[same_major[-1]]
    return ChartChoice(
        chart,
        hub,
        jupyterhub,
        note=(
            f"the image has jupyterhub {jupyterhub} and chart {chart}'s hub runs {hub}: same "
            "major version, which works; a chart with the same minor version is better"
        ),
    )
