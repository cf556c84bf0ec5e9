"""Pure rendering of the build context (Dockerfile and its files) from an environment spec."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

import jinja2

from dlbox.image.locks import LAYERS, TOOLS_LOCK, LockSet

if TYPE_CHECKING:
    from dlbox.image.spec import EnvSpec

VENV = "/opt/dlbox/venv"
TOOLS = "/opt/dlbox/tools"
HOME = "/home/dlbox"
USER = "dlbox"
DEFAULT_UID = 1000
CONTAINER_PORT = 8888
CA_SECRET_ID = "dlbox-ca"
CA_TARGET = "/run/secrets/dlbox-ca.pem"
BASE_APT_PACKAGES = (
    "python3",
    "python3-venv",
    "ca-certificates",
    "git",
    "procps",
    "less",
    "libgomp1",
)


def _template(name: str) -> str:
    return (resources.files("dlbox.image") / "templates" / name).read_text()


def render_dockerfile(
    spec: EnvSpec, lockset: LockSet, versions: dict[str, str], *, spec_hash: str
) -> str:
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        autoescape=False,
    )
    template = env.from_string(_template("Dockerfile.j2"))

    text = template.render(
        base_image=spec.base_image,
        python=spec.python,
        venv=VENV,
        tools=TOOLS,
        home=HOME,
        user=USER,
        default_uid=DEFAULT_UID,
        port=CONTAINER_PORT,
        ca_secret_id=CA_SECRET_ID,
        ca_target=CA_TARGET,
        apt_packages=BASE_APT_PACKAGES,
        layers=[{"file": name, "title": title} for name, title in LAYERS],
        extra_apt=list(spec.extras.apt),
        extra_pip=list(spec.extras.pip),
        extra_lines=list(spec.extras.dockerfile),
        versions=versions,
        spec_hash=spec_hash,
    )
    # Collapse runs of blank lines the conditionals leave behind.
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text


def render_context(
    spec: EnvSpec, lockset: LockSet, versions: dict[str, str], *, spec_hash: str
) -> dict[str, str]:
    files = {
        "Dockerfile": render_dockerfile(spec, lockset, versions, spec_hash=spec_hash),
        "dlbox-start": _template("dlbox-start"),
        "jupyter_server_config.py": _template("jupyter_server_config.py"),
        f"locks/{TOOLS_LOCK}": lockset.tools,
    }
    for name, text in lockset.layers:
        files[f"locks/{name}"] = text
    if spec.extras.pip:
        files["locks/extras.txt"] = "\n".join(spec.extras.pip) + "\n"
        # Plain pins (no hashes): a hashed constraint would switch uv into hash-checking mode
        # for the user's unhashed extras.
        pins = lockset.pins
        files["locks/constraints.txt"] = "".join(f"{n}=={v}\n" for n, v in sorted(pins.items()))
    return files
