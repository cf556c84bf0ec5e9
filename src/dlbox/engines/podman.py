"""The Podman engine, rootful or rootless: Podman's own CLI for everything, builds included.

`podman build` (Buildah) handles dlbox's `RUN --mount=type=cache|secret` natively, while the Docker
client's BuildKit against Podman's socket fails ("unable to upgrade to h2c"), so Podman is never
driven through the Docker client. Its run/ps/inspect/logs/exec commands take Docker's flags; what
differs lives here: images are listed as one JSON array with `Names` and `localhost/` prefixes,
`podman info` says whether it is rootless, rootless runs map the user with `--userns=keep-id`, and
GPUs come through CDI (Podman has no `--gpus` and no nvidia runtime hook).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

from dlbox import paths, process
from dlbox.engines.base import BuildRequest, ContainerSpec, ImageInfo, UserMapping
from dlbox.engines.docker import BuildKitSupport, DockerEngine, EngineInfo, build_flags
from dlbox.engines.docker_api import ApiUnavailable, DockerApi
from dlbox.errors import DlboxError, EngineUnavailable, ProcessError
from dlbox.gpu.cdi import ENGINE_DIRS, spec_files, user_dir

LOCAL_PREFIX = "localhost/"
NATIVE_BUILD = BuildKitSupport("native", "podman build (Buildah) supports cache and secret mounts")
# Podman 5.5 added the global --cdi-spec-dir (containers/podman#25717); before it, Podman reads CDI
# specs from /etc/cdi and /var/run/cdi only (containers.conf's cdi_spec_dirs is not honoured).
CDI_SPEC_DIR_SINCE = (5, 5)


def strip_local(name: str) -> str:
    """Podman names unqualified images `localhost/NAME`; dlbox compares them as `NAME`."""
    return name[len(LOCAL_PREFIX) :] if name.startswith(LOCAL_PREFIX) else name


def parse_images(text: str) -> list[ImageInfo]:
    """`podman image ls --format json`: one JSON array; an image with N names is N entries."""
    found: list[ImageInfo] = []
    for item in json.loads(text or "[]") or []:
        size = item.get("Size")
        for name in item.get("Names") or []:
            repository, _, tag = strip_local(str(name)).rpartition(":")
            found.append(
                ImageInfo(repository, tag, str(item.get("Id", "")), size if size else None)
            )
    return found


def _api_socket(host: dict[object, object]) -> str:
    """`podman info`'s host.remoteSocket: the API service's socket, when it exists."""
    remote = host.get("remoteSocket")
    if isinstance(remote, dict) and remote.get("exists"):
        return str(remote.get("path", ""))
    return ""


def parse_info(data: dict[str, object], endpoint: str = "") -> tuple[str, str, EngineInfo]:
    """(server version, architecture, facts) from `podman info --format json`."""
    host = data.get("host") if isinstance(data.get("host"), dict) else {}
    store = data.get("store") if isinstance(data.get("store"), dict) else {}
    version = data.get("version") if isinstance(data.get("version"), dict) else {}
    assert isinstance(host, dict) and isinstance(store, dict) and isinstance(version, dict)
    security = host.get("security") if isinstance(host.get("security"), dict) else {}
    assert isinstance(security, dict)
    info = EngineInfo(
        rootless=bool(security.get("rootless", False)),
        storage_driver=str(store.get("graphDriverName", "")),
        store_root=str(store.get("graphRoot", "")),
        endpoint=endpoint,
        api_socket=_api_socket(host),
    )
    return str(version.get("Version", "")), str(host.get("arch", "")), info


class PodmanEngine(DockerEngine):
    kind = "Podman"
    # Podman 4 has no --gpus: NVIDIA GPUs come as CDI devices. The runtime probe is kept so a
    # containers.conf naming an nvidia runtime that is not installed is reported with its fix.
    probe_modes = ("cdi", "runtime")
    # Podman waits 10 s for SIGTERM before killing; a removed session needs no grace.
    remove_args = ("rm", "--force", "--time", "0", "--volumes")
    # Podman's Docker-compatible API accepts DeviceRequests and Runtime and ignores them; CDI
    # devices work through its own (libpod) API only (containers/podman#24687, #22645).
    api_gpu_gap = (
        "Podman's Docker-compatible API, which DockerSpawner speaks, ignores GPU requests "
        "(containers/podman#24687)"
    )

    def __init__(
        self,
        client: str,
        *,
        client_version: str = "",
        server_version: str = "",
        server_arch: str = "",
        info: EngineInfo | None = None,
        url: str = "",
    ):
        super().__init__(
            client,
            NATIVE_BUILD,
            name="podman",
            client_version=client_version,
            server_version=server_version,
            server_arch=server_arch,
            info=info,
            global_args=("--url", url) if url else (),
        )
        self.url = url  # the service this CLI is pointed at (`--url`), when not its own

    # -- facts ---------------------------------------------------------------------------------
    def architecture(self) -> str:
        if not self.server_arch:
            done = self._run(["info", "--format", "{{.Host.Arch}}"])
            self.server_arch = done.stdout.strip()
        return self.server_arch

    def images(self, repository: str) -> list[ImageInfo]:
        done = self._run(["image", "ls", repository, "--format", "json"])
        return parse_images(done.stdout)

    def _image_name(self, name: str) -> str:
        return strip_local(name)

    def docker_api(self) -> str:
        """Podman's Docker-compatible API (the hub's DockerSpawner speaks it): CONTAINER_HOST
        when it names a socket, else the socket of this Podman's API service."""
        endpoint = self.info.endpoint
        if endpoint.startswith(("unix://", "tcp://")):
            return endpoint
        if self.info.api_socket:
            return f"unix://{self.info.api_socket}"
        if endpoint:
            raise EngineUnavailable(
                f"CONTAINER_HOST={endpoint} is not a socket that Docker-API clients can use.",
                "Point CONTAINER_HOST at the Podman service's unix:// socket on this machine.",
            )
        service = "systemctl --user" if self.info.rootless else "sudo systemctl"
        raise EngineUnavailable(
            "Podman's API service is not running, so Docker-API clients (the hub's "
            "DockerSpawner) cannot reach Podman.",
            f"Start it: `{service} enable --now podman.socket` (or `podman system service "
            "--time=0 &`), then try again.",
        )

    # -- build ---------------------------------------------------------------------------------
    def build_argv(self, request: BuildRequest) -> tuple[list[str], dict[str, str]]:
        """`podman build`; Buildah keeps cache mounts under $TMPDIR/buildah-cache, one folder for
        root and every user on the machine: each user gets its own, so a cache root made first
        cannot lock users out."""
        argv = [*self.command, "build", *build_flags(request)]
        return argv, {"TMPDIR": str(buildah_tmp())}

    # -- containers ----------------------------------------------------------------------------
    def run_argv(self, spec: ContainerSpec) -> list[str]:
        argv = super().run_argv(spec)
        dirs = self.cdi_spec_dirs() if spec.gpu.mode == "cdi" else ()
        at = len(self.command)
        argv[at:at] = [arg for d in dirs for arg in ("--cdi-spec-dir", str(d))]
        return argv

    def cdi_spec_dirs(self) -> tuple[Path, ...]:
        """The CDI folders to name for a GPU run: none (Podman's defaults) unless the user's own
        CDI folder (~/.config/cdi, where `dlbox gpu cdi --write` puts the spec without root) holds
        a spec; then the defaults and that folder (the option replaces the defaults). Local
        Podman 5.5 or later only: the option does not reach a Podman service, and older Podman
        has no way to read the user's folder (`dlbox doctor` says to write /etc/cdi)."""
        if self.url or os.environ.get("CONTAINER_HOST") or not self.reads_user_cdi():
            return ()
        mine = user_dir()
        if not spec_files([mine]):
            return ()
        return (*ENGINE_DIRS, mine)

    def reads_user_cdi(self) -> bool:
        """This podman has --cdi-spec-dir (5.5 or later)."""
        m = re.match(r"v?(\d+)\.(\d+)", self.client_version)
        return m is not None and (int(m.group(1)), int(m.group(2))) >= CDI_SPEC_DIR_SINCE

    def user_mapping(self, user: str | None) -> UserMapping:
        if self.info.rootless and user:
            # Without keep-id, the host user is root in the container and --user UID:GID is a
            # subordinate id on the host: "Permission denied" in /code.
            return UserMapping(
                ("--userns=keep-id", "--user", user),
                False,
                f"rootless Podman: --userns=keep-id maps your uid to the same uid inside, and "
                f"--user {user} runs as it, so files made in /code and /data are yours",
            )
        return super().user_mapping(user)


def docker_host_service(env: Mapping[str, str] | None = None) -> str:
    """DOCKER_HOST, when it is a local socket that Podman serves and CONTAINER_HOST is unset: the
    service `up` started its sessions on (detection points the CLI there with `--url`), asked
    with one Engine API request, so `ps`, `stop` and `logs` find them without detecting again."""
    env = os.environ if env is None else env
    host = env.get("DOCKER_HOST", "")
    if not host.startswith("unix:///") or env.get("CONTAINER_HOST"):
        return ""
    try:
        data = DockerApi(host.removeprefix("unix://"), timeout=5).get("/version")
    except ApiUnavailable:
        return ""
    parts = data.get("Components") if isinstance(data, dict) else None
    names = [str(c.get("Name", "")) for c in parts or [] if isinstance(c, dict)]
    return host if any("podman" in n.lower() for n in names) else ""


def buildah_tmp() -> Path:
    """This user's TMPDIR for `podman build`: its buildah-cache (apt and uv cache mounts) lives
    there, so it persists between builds. Rootless, files in it belong to subordinate ids: remove
    it with `podman unshare rm -rf PATH`."""
    path = buildah_tmp_path()
    path.mkdir(parents=True, exist_ok=True)
    return path


def buildah_tmp_path() -> Path:
    """Where buildah_tmp() is (it may not exist)."""
    return paths.cache_dir() / f"buildah-tmp-{os.getuid()}"


def remove_buildah_tmp(path: Path) -> None:
    """Remove a buildah_tmp() folder. Rootless, its cache mounts hold files that belong to the
    user's subordinate ids (apt's _apt user in a build, say), which only a process in the user's
    own user namespace may delete: `podman unshare rm -rf`, when a plain removal is refused."""
    try:
        shutil.rmtree(path)
        return
    except FileNotFoundError:
        return
    except PermissionError as exc:
        refused = exc
    podman = shutil.which("podman")
    if os.getuid() == 0 or podman is None:
        raise DlboxError(
            f"Cannot remove {path}: {refused.strerror or refused}.",
            f"Files of a rootless Podman build are in it: `podman unshare rm -rf {path}`.",
        )
    try:
        process.run([podman, "unshare", "rm", "-rf", "--", str(path)], timeout=600)
    except ProcessError as exc:
        raise DlboxError(
            f"Cannot remove {path}, even inside Podman's user namespace: {exc.stderr_tail or exc}",
            f"Remove it by hand: `podman unshare rm -rf {path}`.",
        ) from exc
