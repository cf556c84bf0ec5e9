"""Pure rendering of the build context (Dockerfile and its files) from an environment spec."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from dlbox.environment.layout import (
    CONTAINER_PORT,
    DEFAULT_UID,
    HOME,
    LAB_OVERRIDES,
    LAB_SETTINGS_DIR,
    TOOLS,
    USER,
    VENV,
)
from dlbox.environment.lockset import (
    LAYERS,
    TOOLS_LOCK,
    LockSet,
    constraints_text,
    parse_pins,
    pins_digest,
)

if TYPE_CHECKING:
    from dlbox.image.spec import EnvSpec

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
    # torch.compile: Inductor compiles C++ on the CPU, and Triton builds its launcher against
    # Python.h on the GPU. Without these, torch.compile fails with InvalidCxxCompiler.
    "g++",
    "python3-dev",
)
# Removed from each environment layer in the RUN that installs it (so the bytes never reach a
# layer): nothing the lessons or torch.compile use. Paths are relative to site-packages.
# Triton's AMD GPU (ROCm) device libraries: unused by CUDA torch. (The backend's Python module
# stays: `import triton` imports every backend.)
# Triton's own CUPTI copies (two versions, each file three times): only its proton profiler loads
# them; torch.profiler uses NVIDIA's CUPTI. CUDA libraries that nothing in torch, Triton or the
# other CUDA libraries links or loads (the e2e tests check with ldd and by searching every library
# for their names): multi-GPU cuSOLVER, the FFTW and BLAS drop-in shims, CUPTI's checkpoint and
# PC-sampling utilities. The globs cover both CUDA lines' wheel layouts.
PRUNE_PATHS = (
    "triton/backends/amd/lib",
    "triton/backends/nvidia/lib/cupti",
    "triton/backends/nvidia/lib/cupti-blackwell",
    "nvidia/*/lib/libcusolverMg.so*",
    "nvidia/*/lib/libcufftw.so*",
    "nvidia/*/lib/libnvblas.so*",
    "nvidia/*/lib/libcheckpoint.so",
    "nvidia/*/lib/libpcsamplingutil.so",
    # Build and debugging tools: the protobuf compiler torch ships (for building Caffe2 models),
    # Triton's SASS disassemblers (triton.tools.disasm only; compiling needs only ptxas).
    "torch/bin/protoc*",
    "triton/backends/nvidia/bin/cuobjdump",
    "triton/backends/nvidia/bin/nvdisasm",
)
# dpkg installs none of these (for the base packages and your extras alike): documentation
# (licences kept), manual and info pages, translations (the image runs in C.UTF-8), GCC's LTO
# debugging dump tool, the sanitizers' runtimes (gcc -fsanitize=...: C debugging, which neither
# Inductor nor Triton asks for), and Python's static library (only for linking Python into a
# program statically; extension builds, Triton's and Inductor's included, never do).
DPKG_EXCLUDES = (
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/locale/*",
    "path-exclude=/usr/bin/*lto-dump*",
    "path-exclude=/usr/lib/*/lib*san.so*",
    "path-exclude=/usr/lib/python3*/config-*/libpython3*.a",
)
# Packages whose `tests` folders (their own test suites, never imported at run time) are removed.
PRUNE_TESTS_OF = (
    "numpy",
    "pandas",
    "scipy",
    "matplotlib",
    "sympy",
    "sklearn",
    "spacy",
    "thinc",
    "networkx",
    "mpmath",
    "srsly",
)


def _template(name: str) -> str:
    return (resources.files("dlbox.image") / "templates" / name).read_text()


def render_dockerfile(
    spec: EnvSpec, lockset: LockSet, versions: dict[str, str], *, spec_hash: str
) -> str:
    import jinja2  # imported when a Dockerfile is rendered (CLI start-up speed)

    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        autoescape=False,
    )
    template = env.from_string(_template("Dockerfile.j2"))
    locked = _locked_extras(spec, lockset)

    text = template.render(
        base_image=spec.base_image,
        python=spec.python,
        venv=VENV,
        lab_overrides=LAB_OVERRIDES,
        lab_settings_dir=LAB_SETTINGS_DIR,
        tools=TOOLS,
        home=HOME,
        user=USER,
        default_uid=DEFAULT_UID,
        port=CONTAINER_PORT,
        ca_secret_id=CA_SECRET_ID,
        ca_target=CA_TARGET,
        apt_packages=BASE_APT_PACKAGES,
        layers=[{"file": name, "title": title} for name, title in LAYERS],
        prune_paths=PRUNE_PATHS,
        dpkg_excludes=DPKG_EXCLUDES,
        prune_tests_of=PRUNE_TESTS_OF,
        extra_apt=list(spec.extras.apt),
        extra_index_urls=list(spec.extras.extra_index_urls),
        extra_pip=[] if locked is not None else list(spec.extras.pip),
        extra_pip_locked=bool(locked and parse_pins(locked)),
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
        "dlbox-healthcheck": _template("dlbox-healthcheck"),
        "jupyter_server_config.py": _template("jupyter_server_config.py"),
        LAB_OVERRIDES: _template(LAB_OVERRIDES),
        f"locks/{TOOLS_LOCK}": lockset.tools,
    }
    for name, text in lockset.layers:
        files[f"locks/{name}"] = text
    locked = _locked_extras(spec, lockset)
    if locked is not None:
        # dlbox.lock matches this environment: install exactly its pins (none: no pip layer).
        if parse_pins(locked):
            files["locks/extras.txt"] = locked
    elif spec.extras.pip:
        files["locks/extras.txt"] = "\n".join(spec.extras.pip) + "\n"
        files["locks/constraints.txt"] = constraints_text(lockset.pins)
    return files


def _locked_extras(spec: EnvSpec, lockset: LockSet) -> str | None:
    """dlbox.lock's pins for this build, when they were resolved against this very environment."""
    if not spec.extras.pip:
        return None
    item = spec.extras.locked_for(spec.arch, pins_digest(lockset.pins))
    return item.text if item is not None else None
