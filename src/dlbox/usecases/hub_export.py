"""`dlbox hub export --kubernetes FILE`: write the Zero to JupyterHub values that run dlbox's
image on a cluster, and say how to push the image and install the chart."""

from __future__ import annotations

import platform
import re
import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path

from dlbox.config import Settings
from dlbox.config.write import write_atomic
from dlbox.course.repos import resolve_course
from dlbox.engines.detect import select_engine
from dlbox.engines.docker import DockerEngine
from dlbox.environment.lockset import LockSet, normalize_arch
from dlbox.errors import DlboxError, EngineUnavailable, UsageError
from dlbox.extend.project_image import env_spec
from dlbox.extend.push import check_ref
from dlbox.gpu.choice import cuda_choice
from dlbox.gpu.lines import LineChoice, required_driver
from dlbox.hub import kubernetes, yamltext
from dlbox.hub.z2jh import HELM_REPO_NAME, HELM_REPO_URL, ChartChoice, chart_for, image_jupyterhub
from dlbox.image.build import plan
from dlbox.image.spec import IMAGE_REPOSITORY
from dlbox.launch.shm import MAX_SHM, auto_shm_bytes, parse_size

MARKER = "Written by `dlbox hub export --kubernetes`"
RELEASE = "dlbox"
NAMESPACE = "dlbox"
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True)
class KubeExportOptions:
    file: Path
    image: str | None = None  # the registry name the cluster pulls from, without a tag
    tag: str | None = None  # default: the content hash `dlbox build` tags the image with
    force: bool = False  # replace a file dlbox did not write


@dataclass(frozen=True)
class KubeExportResult:
    file: Path
    image: str
    tag: str
    chart: ChartChoice
    cuda: LineChoice  # the CUDA line the image is built on
    image_built: bool | None  # None: no engine was asked (--tag given and none answers)
    push_command: list[str]
    helm_commands: list[list[str]]
    notes: list[str] = field(default_factory=list)

    @property
    def reference(self) -> str:
        return f"{self.image}:{self.tag}"

    @property
    def node_driver(self) -> str:
        """The NVIDIA driver the GPU nodes need for the image's CUDA line."""
        return required_driver(self.cuda.spec.cuda_major) or "unknown"

    def to_dict(self) -> dict[str, object]:
        return {
            "file": str(self.file),
            "image": self.reference,
            "chart": self.chart.to_dict(),
            "cuda": {**self.cuda.to_dict(), "node_driver": self.node_driver},
            "image_built": self.image_built,
            "push_command": self.push_command,
            "helm_commands": self.helm_commands,
            "notes": self.notes,
        }


def command_text(argv: list[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)


def _image_name(image: str | None) -> str:
    name = (image or IMAGE_REPOSITORY).strip()
    last = name.rsplit("/", 1)[-1]
    if ":" in last or "@" in name:
        raise UsageError(
            f"--image {name!r} has a tag or digest.",
            "Give the name only, e.g. registry.example.org/class/dlbox-env: the tag is the "
            "image's content hash (or --tag).",
        )
    try:
        check_ref(f"{name}:latest")
    except UsageError:
        raise UsageError(
            f"--image {name!r} is not an image name.",
            "Use REGISTRY/NAME in lowercase, e.g. registry.example.org/class/dlbox-env.",
        ) from None
    return name


@dataclass(frozen=True)
class _Image:
    tag: str  # the tag the cluster pulls
    lockset: LockSet  # the locks the image is built from
    local: str | None  # the image `dlbox build` makes here (None: no engine asked)
    built: bool | None


def _image(cfg: Settings, line: LineChoice, tag: str | None) -> _Image:
    """The tag `dlbox build` gives the image (asking the engine, whose base image ID is part of
    the hash), the locks it is built from, and whether it is built here."""
    spec = env_spec(cfg, line)
    try:
        engine = select_engine(cfg["engine"], cfg["docker_client"] or None).container
    except DlboxError:
        engine = None
    if tag is not None:
        if not _TAG.match(tag):
            raise UsageError(f"--tag {tag!r} is not an image tag.", "Use e.g. the content hash.")
        if not isinstance(engine, DockerEngine):
            spec = replace(spec, arch=normalize_arch(platform.machine()))
            return _Image(tag, spec.lockset(), None, None)
    if not isinstance(engine, DockerEngine):
        raise EngineUnavailable(
            "The image's tag is its content hash, which needs the container engine (the base "
            "image's ID is part of it), and no engine answers.",
            "Start Docker (see `dlbox doctor`), or pass --tag with the tag you pushed.",
        )
    context = plan(engine, spec)
    lockset = replace(spec, arch=normalize_arch(engine.architecture())).lockset()
    built = engine.image_id(context.tag) is not None
    return _Image(tag or context.spec_hash, lockset, context.tag, built)


def _sizes(cfg: Settings) -> tuple[int, int | None]:
    """/dev/shm and the memory limit in bytes. shm: `dlbox up`'s rule with the user's memory
    limit as the machine: shm_size when set, else half of the memory limit within 1-16 GiB,
    else 16 GiB. A memory-backed emptyDir counts against the pod's memory limit, so it must stay
    below it (at most half of it for auto)."""
    mem: int | None = None
    if raw_mem := str(cfg["hub_mem_limit"]).strip():
        try:
            mem = parse_size(raw_mem)
        except ValueError as exc:
            raise kubernetes.bad_setting(
                cfg, "hub_mem_limit", f"is not a memory limit: {exc}"
            ) from None
    raw = str(cfg["shm_size"]).strip()
    if raw in ("", "auto"):
        if mem is None:
            return MAX_SHM, None
        return min(auto_shm_bytes(mem), mem // 2 // 1024**2 * 1024**2), mem
    try:
        shm = parse_size(raw)
    except ValueError as exc:
        raise kubernetes.bad_setting(cfg, "shm_size", f"is not a size: {exc}") from None
    if mem is not None and shm >= mem:
        raise kubernetes.bad_setting(
            cfg,
            "shm_size",
            f"is not below hub_mem_limit ({cfg['hub_mem_limit']}): on Kubernetes /dev/shm "
            "counts against the user's memory limit, so set a smaller size or auto",
        )
    return shm, mem


def kube_settings(
    cfg: Settings, image: str, tag: str, chart: ChartChoice
) -> kubernetes.KubeSettings:
    """The checked settings the values file is made from."""
    shm, mem = _sizes(cfg)
    ks = kubernetes.kube_settings(cfg, image, tag, chart, shm_bytes=shm, mem_limit=mem)
    if spec := str(cfg["course"]).strip():
        repo = resolve_course(spec)
        ks = replace(ks, course_url=repo.url, course_ref=repo.ref)
    return ks


def _check_target(path: Path, force: bool) -> Path:
    path = path.expanduser().absolute()
    if path.is_dir():
        raise UsageError(f"{path} is a folder.", "Name the values file, e.g. dlbox-values.yaml.")
    if path.exists() and not force:
        try:
            head = path.read_text(encoding="utf-8", errors="replace")[:400]
        except OSError as exc:
            raise UsageError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
        if MARKER not in head:
            raise UsageError(
                f"{path} exists and was not written by dlbox.",
                "Choose another FILE (give the chart both with two --values), or pass --force.",
            )
    return path


def _header(result_ref: str, chart: ChartChoice, line: LineChoice) -> str:
    driver = required_driver(line.spec.cuda_major) or "unknown"
    return (
        f"{MARKER}: Zero to JupyterHub values for dlbox's image.\n"
        f"Image {result_ref} (jupyterhub {chart.image_jupyterhub}); chart {chart.chart} "
        f"(hub jupyterhub {chart.hub_jupyterhub}).\n"
        f"CUDA {line.spec.cuda} line: GPU nodes need an NVIDIA driver >= {driver}.\n"
        "Write it again after changing settings or the environment; put your own values\n"
        "(authentication, ingress, ...) in a second file: helm ... --values this --values yours"
    )


def helm_commands(file: Path, chart: str) -> list[list[str]]:
    return [
        ["helm", "repo", "add", HELM_REPO_NAME, HELM_REPO_URL, "--force-update"],
        [
            "helm",
            "upgrade",
            "--cleanup-on-fail",
            "--install",
            RELEASE,
            f"{HELM_REPO_NAME}/jupyterhub",
            "--namespace",
            NAMESPACE,
            "--create-namespace",
            "--version",
            chart,
            "--values",
            str(file),
            # The chart pre-pulls the (multi-GB) image on every node before it upgrades.
            "--timeout",
            "30m",
        ],
    ]


def export_kubernetes(cfg: Settings, options: KubeExportOptions) -> KubeExportResult:
    image = _image_name(options.image)
    path = _check_target(options.file, options.force)
    # The CUDA line: the `cuda` setting (or --cuda), else chosen from this machine's driver the
    # way `dlbox build` chooses; the push command names it, so the pushed image is this one.
    line = cuda_choice(cfg)
    built = _image(cfg, line, options.tag)
    tag = built.tag
    chart = chart_for(image_jupyterhub(built.lockset))
    ks = kube_settings(cfg, image, tag, chart)
    ref = f"{image}:{tag}"
    write_atomic(path, yamltext.dump(kubernetes.values(ks), _header(ref, chart, line)))
    notes = [chart.note] if chart.note else []
    if built.built is False:
        notes.append(f"{built.local} is not built here yet: `dlbox build` makes it")
    if options.image is None:
        notes.append(
            "the cluster must pull the image: push it to a registry it reaches and export "
            "again with --image REGISTRY/NAME (a one-node test cluster may load it directly)"
        )
    if cfg["hub_gpu_policy"] == "shared" and ks.gpus_per_user:
        notes.append(
            "hub_gpu_policy is shared, but Kubernetes gives each GPU pod whole GPUs; to share "
            "them, enable time-slicing in the NVIDIA device plugin"
        )
    if cfg["hub_authenticator"] == "pam":
        notes.append(
            "hub_authenticator is pam (host accounts), which a hub pod has none of: the "
            "values use native sign-up instead"
        )
    if not ks.admin:
        notes.append(
            "hub_admin is empty: nobody can approve sign-ups; set it "
            "(`dlbox config set hub_admin NAME`) and export again"
        )
    return KubeExportResult(
        file=path,
        image=image,
        tag=tag,
        chart=chart,
        cuda=line,
        image_built=built.built,
        push_command=["dlbox", "build", "--cuda", line.line, "--push", ref],
        helm_commands=helm_commands(path, chart.chart),
        notes=notes,
    )
