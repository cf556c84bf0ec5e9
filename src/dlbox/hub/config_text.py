"""jupyterhub_config.py from dlbox's hub settings: a pure function (settings in, text out).

The text names files, never secrets: the cookie secret, the proxy's token and dlbox's service
token live in 0600 files in the hub's state folder and are read by the hub when it starts."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path

SPAWNER_CLASS = "dlbox.hub.spawner.DlboxDockerSpawner"
NATIVE_CLASS = "dlbox.hub.auth.DlboxNativeAuthenticator"
SERVICE_NAME = "dlbox"
CULLER_NAME = "idle-culler"
CONTAINER_PREFIX = "dlbox-hub-"
VOLUME_TEMPLATE = CONTAINER_PREFIX + "{username}-code"
COURSE_SEED = "/opt/dlbox/course"
HUB_LABEL = "io.dlbox.hub"
# What dlbox's own service may do through the REST API: manage users and their servers (no
# `tokens`: dlbox never acts as a user; whoever needs user tokens brings their own service in
# hub_extra_config).
SERVICE_SCOPES = ("admin:users", "admin:servers", "list:users", "read:users")
CULLER_SCOPES = ("list:users", "read:users:activity", "read:servers", "delete:servers")


WILDCARD = ("0.0.0.0", "", "::")


def _url(scheme: str, host: str, port: int) -> str:
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}/"


@dataclass(frozen=True)
class HubConfig:
    """Everything the generated configuration depends on (decided by `hub up` or `hub config`)."""

    state_dir: Path  # the hub's folder: database, secrets, logs
    image: str
    host: str = "127.0.0.1"
    port: int = 8000  # the proxy's public port
    hub_port: int = 8081  # the hub's own (internal) port
    api_port: int = 8001  # the proxy's REST API port
    admin: str = ""
    authenticator: str = "native"  # native | pam
    gpu_policy: str = "round-robin"
    gpu_mode: str = "none"  # the probe's mechanism: none | gpus | cdi | runtime
    gpu_ids: tuple[str, ...] = ()
    idle_timeout: int = 3600
    mem_limit: str = ""
    cpu_limit: float | None = None
    shm_bytes: int = 1024**3
    data_dir: Path | None = None
    course_dir: Path | None = None
    uid: int = 1000
    gid: int = 1000
    tls: bool = False
    python: str = "python3"  # the interpreter the hub runs with (for the culler service)
    docker_host: str = ""  # the engine's API socket (empty: the Docker default)
    engine: str = "docker"  # the engine (docker | podman) whose API docker_host is
    spawner_class: str = SPAWNER_CLASS
    extra_config: Path | None = None  # the admin's own Python file, run last (hub_extra_config)
    labels: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def url(self) -> str:
        """The URL users open: the machine's name when the hub listens on every address."""
        host = socket.getfqdn() if self.host in WILDCARD else self.host
        return _url(self.scheme, host, self.port)

    @property
    def local_url(self) -> str:
        """The same hub through loopback (dlbox's own readiness check)."""
        host = "127.0.0.1" if self.host in WILDCARD else self.host
        return _url(self.scheme, host, self.port)

    @property
    def cookie_secret_file(self) -> Path:
        return self.state_dir / "cookie_secret"

    @property
    def proxy_token_file(self) -> Path:
        return self.state_dir / "proxy_token"

    @property
    def service_token_file(self) -> Path:
        return self.state_dir / "service_token"

    @property
    def database(self) -> Path:
        return self.state_dir / "jupyterhub.sqlite"


def _volumes(cfg: HubConfig) -> dict[str, object]:
    volumes: dict[str, object] = {VOLUME_TEMPLATE: "/code"}
    if cfg.data_dir is not None:
        volumes[str(cfg.data_dir)] = {"bind": "/data", "mode": "ro"}
    if cfg.course_dir is not None:
        volumes[str(cfg.course_dir)] = {"bind": COURSE_SEED, "mode": "ro"}
    return volumes


def _environment(cfg: HubConfig) -> dict[str, str]:
    env = {"DLBOX_CODE_DIR": "/code", "DLBOX_DATA_DIR": "/data", "DLBOX_COURSE_DIR": "/code"}
    if cfg.course_dir is not None:
        env["DLBOX_COURSE_SEED"] = COURSE_SEED
    return env


def _auth_lines(cfg: HubConfig) -> list[str]:
    admins = {cfg.admin} if cfg.admin else set()
    lines = [f"c.Authenticator.admin_users = {admins!r}"]
    if cfg.authenticator == "native":
        lines += [
            "# NativeAuthenticator: people sign up at /hub/signup (passwords hashed with bcrypt);",
            "# the admin approves them at /hub/authorize. Users added with `dlbox hub users add`",
            "# are approved when they sign up. Only approved users can log in at all.",
            f"c.JupyterHub.authenticator_class = {NATIVE_CLASS!r}",
            "c.Authenticator.allow_all = True",
            "c.NativeAuthenticator.open_signup = False",
            "c.NativeAuthenticator.minimum_password_length = 8",
            "c.NativeAuthenticator.check_common_password = True",
            "c.NativeAuthenticator.allowed_failed_logins = 10",
        ]
    elif cfg.authenticator == "pam":
        lines += [
            "# PAM: the machine's own accounts. Only users added with `dlbox hub users add` (and",
            "# the admin) may log in; checking other users' passwords needs the hub run as root.",
            "c.JupyterHub.authenticator_class = 'pam'",
            "c.Authenticator.allow_existing_users = True",
        ]
    else:
        raise ValueError(f"unknown authenticator {cfg.authenticator!r}")
    return lines


def render_config(cfg: HubConfig) -> str:
    """The jupyterhub_config.py text for `cfg` (deterministic: same settings, same text)."""
    host_config: dict[str, object] = {"shm_size": cfg.shm_bytes, "init": True}
    services = [
        f"    {{'name': {SERVICE_NAME!r}, 'api_token': _secret({str(cfg.service_token_file)!r})}},",
        f"    {{'name': {CULLER_NAME!r}, 'command': [{cfg.python!r}, '-m', "
        f"'jupyterhub_idle_culler', '--timeout={cfg.idle_timeout}', '--cull-every=60']}},",
    ]
    roles = [
        f"    {{'name': 'dlbox-service', 'services': [{SERVICE_NAME!r}], "
        f"'scopes': {list(SERVICE_SCOPES)!r}}},",
        f"    {{'name': 'dlbox-idle-culler', 'services': [{CULLER_NAME!r}], "
        f"'scopes': {list(CULLER_SCOPES)!r}}},",
    ]
    labels = {HUB_LABEL: str(cfg.state_dir), **dict(cfg.labels)}
    client = {"base_url": cfg.docker_host} if cfg.docker_host else {}
    lines = [
        "# jupyterhub_config.py, generated by `dlbox hub` from dlbox's settings. Do not edit:",
        "# change the settings (`dlbox config set hub_...`) and run `dlbox hub up` again.",
        "# No secret is written here: they are read from 0600 files in the hub's state folder.",
        "from pathlib import Path",
        "",
        "c = get_config()  # noqa: F821",
        "",
        "",
        "def _secret(path):",
        "    return Path(path).read_text().strip()",
        "",
        "",
        "# The proxy (configurable-http-proxy) is started and supervised by dlbox; the hub only",
        "# talks to its REST API. Its token is CONFIGPROXY_AUTH_TOKEN in the hub's environment.",
        f"c.JupyterHub.bind_url = {cfg.url!r}",
        f"c.JupyterHub.hub_bind_url = 'http://127.0.0.1:{cfg.hub_port}/'",
        "c.ConfigurableHTTPProxy.should_start = False",
        f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{cfg.api_port}'",
        f"c.JupyterHub.cookie_secret_file = {str(cfg.cookie_secret_file)!r}",
        f"c.JupyterHub.db_url = {'sqlite:///' + str(cfg.database)!r}",
        "c.JupyterHub.cleanup_servers = True  # stopping the hub stops the users' servers",
        "c.JupyterHub.cleanup_proxy = True",
        "",
        *_auth_lines(cfg),
        "",
        "# Services: dlbox's own API client (admin scopes) and the idle culler.",
        "c.JupyterHub.services = [",
        *services,
        "]",
        "c.JupyterHub.load_roles = [",
        *roles,
        "]",
        "",
        "# Each user's server: the project's environment image, on the host network, bound to",
        "# 127.0.0.1 on a port chosen per spawn; code in the user's own named volume, the data",
        "# folder read-only, /dev/shm sized like `dlbox up`, an init process, a non-root uid.",
        f"c.JupyterHub.spawner_class = {cfg.spawner_class!r}",
        f"c.DockerSpawner.image = {cfg.image!r}",
        "c.DockerSpawner.pull_policy = 'never'  # built or reused by dlbox, never pulled",
        "c.DockerSpawner.remove = True  # containers go, the code volumes stay",
        "c.DockerSpawner.network_name = 'host'",
        "c.DockerSpawner.use_internal_ip = True  # no port publishing on the host network",
        f"c.DockerSpawner.name_template = {CONTAINER_PREFIX + '{username}'!r}",
        "c.DockerSpawner.cmd = ['jupyterhub-singleuser']",
        "c.DockerSpawner.notebook_dir = '/code'",
        f"c.DockerSpawner.volumes = {_volumes(cfg)!r}",
        f"c.DockerSpawner.environment = {_environment(cfg)!r}",
        f"c.DockerSpawner.extra_host_config = {host_config!r}",
        f"c.DockerSpawner.extra_create_kwargs = {{'user': '{cfg.uid}:{cfg.gid}', "
        f"'labels': {labels!r}}}",
        f"c.DockerSpawner.client_kwargs = {client!r}",
        "c.DockerSpawner.start_timeout = 300",
        "c.DockerSpawner.http_timeout = 180",
    ]
    if cfg.mem_limit:
        lines.append(f"c.DockerSpawner.mem_limit = {cfg.mem_limit!r}")
    if cfg.cpu_limit is not None:
        lines.append(f"c.DockerSpawner.cpu_limit = {cfg.cpu_limit!r}")
    lines += [
        "",
        "# GPUs found by dlbox's probe (the same as `dlbox up`), given out per user by policy.",
        f"c.DlboxDockerSpawner.gpu_policy = {cfg.gpu_policy!r}",
        f"c.DlboxDockerSpawner.gpu_mode = {cfg.gpu_mode!r}",
        f"c.DlboxDockerSpawner.gpu_ids = {list(cfg.gpu_ids)!r}",
    ]
    if cfg.extra_config is not None:
        path = str(cfg.extra_config)
        lines += [
            "",
            "# The admin's own additions (hub_extra_config), run last with this file's `c`.",
            f"exec(compile(Path({path!r}).read_text(), {path!r}, 'exec'), "
            "{'c': c, 'get_config': lambda: c, 'Path': Path})",
        ]
    return "\n".join(lines) + "\n"
