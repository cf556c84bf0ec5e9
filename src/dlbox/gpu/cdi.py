"""A Container Device Interface (CDI) spec for the host's NVIDIA GPUs, made by dlbox itself: for
machines with a driver but no NVIDIA Container Toolkit (not in Debian; missing on many shared
machines). Podman (and Docker 25+ with CDI enabled) then run `--device nvidia.com/gpu=all`.

What goes in (the toolkit's "compute,utility" set, without its hooks, which need the toolkit):
- device nodes: /dev/nvidiaN per GPU (devices "0", "1", ... and "all"), plus the control nodes
  /dev/nvidiactl, /dev/nvidia-uvm, /dev/nvidia-uvm-tools and /dev/nvidia-modeset for every device;
- the driver's user-space libraries, found through `ldconfig -p`, bind-mounted read-only under
  their soname into /usr/lib/<arch>-linux-gnu (the loader's default search path in Debian and
  Ubuntu images such as dlbox's), and its tools (nvidia-smi, ...) into /usr/bin;
- TRITON_LIBCUDA_PATH, because the container's ld.so.cache does not list the mounted libcuda
  (the toolkit's update-ldcache hook would) and Triton (torch.compile) looks there.

The spec format: https://github.com/cncf-tags/container-device-interface (SPEC.md); cdiVersion
0.5.0 is the oldest that allows device names starting with a digit and hostPath on device nodes.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from dlbox import process
from dlbox.errors import DlboxError, ProcessError
from dlbox.gpu.choice import host_gpu_facts
from dlbox.gpu.driver import host_driver

CDI_VERSION = "0.5.0"
KIND = "nvidia.com/gpu"
SPEC_FILE = "dlbox-nvidia.yaml"
SYSTEM_DIR = Path("/etc/cdi")
DEV = Path("/dev")
# Where engines look for specs (the CDI defaults; the user folder only when configured).
ENGINE_DIRS = (Path("/etc/cdi"), Path("/var/run/cdi"))
CONTROL_NODES = ("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset")
# Driver libraries for CUDA compute and nvidia-smi/NVML (the toolkit's compute+utility set).
DRIVER_LIBRARIES = (
    "libcuda.so",
    "libcudadebugger.so",
    "libnvidia-ml.so",
    "libnvidia-ptxjitcompiler.so",
    "libnvidia-nvvm.so",
    "libnvidia-gpucomp.so",
    "libnvidia-allocator.so",
    "libnvidia-cfg.so",
    "libnvidia-opencl.so",
    "libnvidia-pkcs11.so",
    "libnvidia-pkcs11-openssl3.so",
)
DRIVER_BINARIES = (
    "nvidia-smi",
    "nvidia-debugdump",
    "nvidia-persistenced",
    "nvidia-cuda-mps-control",
    "nvidia-cuda-mps-server",
)
BIN_DIRS = (Path("/usr/bin"), Path("/usr/local/bin"), Path("/bin"), Path("/usr/lib/wsl/lib"))
MOUNT_OPTIONS = ["ro", "nosuid", "nodev", "bind"]
# ldconfig -p names the ABI in parentheses; the libraries for each architecture's containers.
_ABI = {"x86_64": "x86-64", "aarch64": "AArch64"}
_LDCONFIG_LINE = re.compile(r"^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)\s*$")
_GPU_NODE = re.compile(r"^nvidia(\d+)$")


@dataclass(frozen=True)
class DriverFiles:
    """What the spec is made from: device nodes, libraries (soname -> host path), tools."""

    gpus: tuple[int, ...]
    control_nodes: tuple[Path, ...]
    gpu_nodes: dict[int, Path] = field(default_factory=dict)
    libraries: dict[str, Path] = field(default_factory=dict)
    binaries: dict[str, Path] = field(default_factory=dict)


def parse_ldconfig(text: str, arch: str) -> dict[str, Path]:
    """NVIDIA driver libraries from `ldconfig -p`: soname -> path, this architecture's only."""
    abi = _ABI.get(arch, arch)
    found: dict[str, Path] = {}
    for line in text.splitlines():
        m = _LDCONFIG_LINE.match(line)
        if not m:
            continue
        soname, flags, path = m.groups()
        if abi not in flags.split(","):
            continue  # e.g. the i386 copies on a 64-bit host
        if not any(soname.startswith(lib + ".") for lib in DRIVER_LIBRARIES):
            continue
        found.setdefault(soname, Path(path))
    return found


def find_driver_files(
    dev: Path, ldconfig_text: str, arch: str, bin_dirs: Sequence[Path] = BIN_DIRS
) -> DriverFiles:
    """Read a driver tree: `dev` is /dev (a fake folder in tests), ldconfig_text what
    `ldconfig -p` printed, bin_dirs where the tools may be."""
    gpu_nodes: dict[int, Path] = {}
    control: list[Path] = []
    try:
        entries = sorted(os.listdir(dev))
    except OSError:
        entries = []
    for name in entries:
        m = _GPU_NODE.match(name)
        if m:
            gpu_nodes[int(m.group(1))] = dev / name
    for name in CONTROL_NODES:
        if name in entries:
            control.append(dev / name)
    binaries: dict[str, Path] = {}
    for name in DRIVER_BINARIES:
        for folder in bin_dirs:
            if (folder / name).is_file():
                binaries[name] = folder / name
                break
    return DriverFiles(
        gpus=tuple(sorted(gpu_nodes)),
        control_nodes=tuple(control),
        gpu_nodes=gpu_nodes,
        libraries=parse_ldconfig(ldconfig_text, arch),
        binaries=binaries,
    )


def _node(host: Path) -> dict[str, object]:
    node: dict[str, object] = {"path": f"/dev/{host.name}"}
    if str(host) != node["path"]:
        node["hostPath"] = str(host)
    return node


def build_spec(files: DriverFiles, arch: str) -> dict[str, object]:
    """The CDI spec (as data) for these files."""
    lib_dir = f"/usr/lib/{arch}-linux-gnu"
    devices: list[dict[str, object]] = [
        {"name": str(i), "containerEdits": {"deviceNodes": [_node(files.gpu_nodes[i])]}}
        for i in files.gpus
    ]
    devices.append(
        {
            "name": "all",
            "containerEdits": {"deviceNodes": [_node(files.gpu_nodes[i]) for i in files.gpus]},
        }
    )
    mounts = [
        {"hostPath": str(path), "containerPath": f"{lib_dir}/{soname}", "options": MOUNT_OPTIONS}
        for soname, path in sorted(files.libraries.items())
    ]
    mounts += [
        {"hostPath": str(path), "containerPath": f"/usr/bin/{name}", "options": MOUNT_OPTIONS}
        for name, path in sorted(files.binaries.items())
    ]
    edits: dict[str, object] = {
        "env": [f"TRITON_LIBCUDA_PATH={lib_dir}"],
        "deviceNodes": [_node(p) for p in files.control_nodes],
        "mounts": mounts,
    }
    return {"cdiVersion": CDI_VERSION, "kind": KIND, "devices": devices, "containerEdits": edits}


def _yaml(value: object, indent: int) -> list[str]:
    """Block YAML; every scalar double-quoted in JSON syntax (valid YAML, nothing to escape
    by hand)."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                lines += _yaml(item, indent + 1)
            else:
                lines.append(f"{pad}{key}: {json.dumps(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                body = _yaml(item, indent + 1)
                lines.append(f"{pad}- {body[0].lstrip()}")
                lines += body[1:]
            else:
                lines.append(f"{pad}- {json.dumps(item)}")
    else:
        lines.append(f"{pad}{json.dumps(value)}")
    return lines


def render_yaml(spec: dict[str, object], note: str) -> str:
    header = "".join(f"# {line}\n" for line in note.splitlines())
    return header + "\n".join(_yaml(spec, 0)) + "\n"


def user_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "cdi"


def target_dir(is_root: bool, environ: Mapping[str, str] | None = None) -> Path:
    """/etc/cdi as root (every engine reads it), else the user's own CDI folder."""
    return SYSTEM_DIR if is_root else user_dir(environ)


def spec_files(folders: Sequence[Path]) -> list[Path]:
    """The CDI spec files (.yaml, .yml, .json) in `folders`, by name; unreadable folders skipped."""
    found = []
    for folder in folders:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        found += [folder / n for n in names if n.endswith((".yaml", ".yml", ".json"))]
    return found


def other_specs(folders: Sequence[Path]) -> list[Path]:
    """Specs for nvidia.com/gpu that dlbox did not write (the toolkit's `nvidia-ctk cdi
    generate`): a second spec for the same devices makes engines refuse both."""
    found = []
    for path in spec_files(folders):
        if path.name == SPEC_FILE:
            continue
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        if KIND in text:
            found.append(path)
    return found


# -- the spec for this machine -------------------------------------------------------------------
LDCONFIG_CANDIDATES = ("ldconfig", "/sbin/ldconfig", "/usr/sbin/ldconfig")
LDCONFIG_TIMEOUT = 30.0


@dataclass(frozen=True)
class CdiPlan:
    """The spec dlbox writes, where, and what it holds (`dlbox gpu cdi` shows it)."""

    path: Path
    text: str
    gpus: tuple[int, ...]
    libraries: tuple[str, ...]
    binaries: tuple[str, ...]
    conflicts: tuple[Path, ...] = ()
    written: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "kind": KIND,
            "cdi_version": CDI_VERSION,
            "devices": [str(i) for i in self.gpus] + ["all"],
            "libraries": list(self.libraries),
            "binaries": list(self.binaries),
            "conflicts": [str(p) for p in self.conflicts],
            "written": self.written,
            "spec": self.text,
        }


def read_ldconfig() -> str:
    """`ldconfig -p` (the loader cache: where the driver's libraries are)."""

    for name in LDCONFIG_CANDIDATES:
        found = shutil.which(name)
        if found:
            try:
                return process.run([found, "-p"], timeout=LDCONFIG_TIMEOUT).stdout
            except ProcessError as exc:
                raise DlboxError(
                    f"`ldconfig -p` failed: {exc.message}",
                    "Run it yourself to see why; the driver's libraries are found through it.",
                ) from exc
    raise DlboxError(
        "ldconfig is not installed, so the NVIDIA driver's libraries cannot be found.",
        "Install libc-bin (Debian/Ubuntu) or glibc (Fedora), then run this again.",
    )


def plan_spec(files: DriverFiles, arch: str, folder: Path, driver_version: str = "") -> CdiPlan:
    """The spec for these driver files, to be written in `folder`; refuses what cannot work."""

    if not files.gpus:
        raise DlboxError(
            "No NVIDIA GPU device nodes (/dev/nvidia0, ...) on this machine: nothing to describe.",
            "Load the NVIDIA driver (`nvidia-smi` must list your GPUs), then run this again.",
        )
    if not any(s.startswith("libcuda.so.") for s in files.libraries):
        raise DlboxError(
            "ldconfig lists no libcuda.so.1: the NVIDIA driver's CUDA library is not installed.",
            "Install the driver's CUDA user-space package (e.g. Debian's libcuda1 or "
            "nvidia-driver), run `sudo ldconfig`, then run this again.",
        )
    note = (
        f"CDI spec for the NVIDIA GPUs of this machine, written by `dlbox gpu cdi`"
        f"{f' for driver {driver_version}' if driver_version else ''}.\n"
        "Write it again after a driver update (library versions change). "
        "Use: podman run --device nvidia.com/gpu=all ..."
    )
    conflicts = tuple(other_specs([*ENGINE_DIRS, folder]))
    return CdiPlan(
        path=folder / SPEC_FILE,
        text=render_yaml(build_spec(files, arch), note),
        gpus=files.gpus,
        libraries=tuple(sorted(files.libraries)),
        binaries=tuple(sorted(files.binaries)),
        conflicts=conflicts,
    )


def write_spec(plan: CdiPlan) -> CdiPlan:
    """Write the spec beside, then rename: engines never read half a spec."""

    if plan.conflicts:
        raise DlboxError(
            f"Another CDI spec already describes {KIND}: "
            f"{', '.join(str(p) for p in plan.conflicts)} (the NVIDIA Container Toolkit's?). "
            "Two specs for the same devices make engines refuse both.",
            "Keep that one (it works with the toolkit), or remove it and run this again.",
        )
    try:
        plan.path.parent.mkdir(parents=True, exist_ok=True)
        part = plan.path.with_name(f".{plan.path.name}.{os.getpid()}.part")
        part.write_text(plan.text)
        part.chmod(0o644)
        part.replace(plan.path)
    except OSError as exc:
        raise DlboxError(
            f"Cannot write {plan.path}: {exc.strerror}.",
            "Run it with sudo to write /etc/cdi (every engine reads it), or as yourself to write "
            "your own CDI folder.",
        ) from exc
    return replace(plan, written=True)


def host_cdi(folder: Path | None = None, *, write: bool = False) -> CdiPlan:
    """`dlbox gpu cdi`: the spec for this machine's driver (written with write=True) in `folder`,
    by default /etc/cdi as root, else the user's CDI folder."""
    driver = host_driver()
    arch = host_gpu_facts(driver, platform.system(), platform.machine(), False).arch
    files = find_driver_files(DEV, read_ldconfig(), arch)
    where = folder or target_dir(os.geteuid() == 0)
    plan = plan_spec(files, arch, where, driver.version)
    return write_spec(plan) if write else plan
