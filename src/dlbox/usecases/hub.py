"""`dlbox hub ...`: start, inspect and stop a JupyterHub that serves the locked environment to
many users on one machine. Each function returns a typed result; only the CLI prints."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dlbox import process
from dlbox.config import Settings, Value
from dlbox.engines.base import Engine
from dlbox.engines.docker import DockerEngine
from dlbox.environment.hub_version import hub_drift
from dlbox.environment.lockset import load_lockset, normalize_arch
from dlbox.errors import DlboxError, UsageError
from dlbox.extend.project_extras import lock_root_override
from dlbox.extend.project_image import build_options
from dlbox.hub import supervise
from dlbox.hub.api import HubApi
from dlbox.hub.config_text import HUB_LABEL, HubConfig, render_config
from dlbox.hub.plan import Exposure, HubGpus, check_exposure, plan_hub, port_free, validate_username
from dlbox.hub.results import HubDownResult, HubStatus, HubUpResult, UserStatus
from dlbox.hub.state import (
    HubRecord,
    clear_record,
    ensure_secret,
    hub_dir,
    load_record,
    logs_dir,
    read_secret,
    save_record,
)
from dlbox.image.build import planned_environment
from dlbox.launch.gpu_probe import probe_gpus
from dlbox.launch.gpu_select import decide, parse_gpus
from dlbox.launch.options import env_options
from dlbox.launch.shm import auto_shm_bytes
from dlbox.usecases.engines import container_engine
from dlbox.usecases.environment import ensure_environment_for
from dlbox.usecases.reporting import SILENT, Reporter

CONFIG_FILE = "jupyterhub_config.py"
HUB_PACKAGES = ("jupyterhub", "dockerspawner", "nativeauthenticator", "jupyterhub_idle_culler")
GPU_LABEL = "io.dlbox.gpus"
PORT_LABEL = "io.dlbox.port"
USER_LABEL = "io.dlbox.hub-user"


def check_hub_installed(engine: Engine | None = None) -> str:
    """The hub's packages are installed (never at run time) and the hub's jupyterhub has the
    image's major version (both come from one lock). Returns the hub's version."""
    missing = [p for p in HUB_PACKAGES if importlib.util.find_spec(p) is None]
    if missing:
        raise DlboxError(
            f"dlbox hub needs {', '.join(missing)}, which this installation of dlbox lacks.",
            "Install dlbox with its hub extra: `pip install 'dlbox[hub]'` "
            "(or `uv tool install 'dlbox[hub]'`).",
        )
    hub = importlib.metadata.version("jupyterhub")
    arch = normalize_arch(engine.architecture()) if engine is not None else "x86_64"
    root = lock_root_override()  # the locks the image is built from, as for `dlbox build`
    if root is not None and (root / f"linux-{arch}").is_dir():
        root = root / f"linux-{arch}"
    image = load_lockset(arch, root).version("jupyterhub")
    drift = hub_drift(hub, image)
    if drift is not None:
        raise DlboxError(drift.message[0].upper() + drift.message[1:] + ".", drift.fix)
    return hub


def hub_gpus(engine: Engine, image: str, gpus_setting: str) -> HubGpus:
    """The GPUs for the hub's users: the same probe (cached per boot) and rule as `dlbox up`."""
    if parse_gpus(gpus_setting)[0] == "none":
        return HubGpus(note="GPUs turned off (gpus none)")
    gap = engine.api_gpu_gap if isinstance(engine, DockerEngine) else ""
    if gap:  # no probe: its GPUs could not reach the users' servers
        return HubGpus(note=f"{gap}; for GPUs run the hub on Docker (`hub up --engine docker`)")
    outcomes = probe_gpus(engine, image) or []
    decision = decide(gpus_setting, outcomes)
    request = decision.request
    if not request.enabled:
        return HubGpus(note=decision.reason)
    ids = request.devices or tuple(str(i) for i in range(len(decision.gpus)))
    return HubGpus(request.mode, ids, decision.reason)


def shm_for_hub(cfg: Settings) -> int:
    """/dev/shm per user server by `up`'s rule (a shared machine never shares the host's IPC)."""
    if cfg["ipc_host"]:
        return auto_shm_bytes()
    shm = env_options(cfg).shm_bytes
    return shm if shm is not None else auto_shm_bytes()


def plan(
    engine: Engine,
    image: str,
    cfg: Settings,
    exposure: Exposure,
    course_dir: Path | None,
    ports: tuple[int, int] | None = None,
) -> tuple[HubConfig, list[str]]:
    return plan_hub(
        image,
        cfg,
        hub_dir(),
        exposure,
        gpus=hub_gpus(engine, image, str(cfg["gpus"])),
        shm_bytes=shm_for_hub(cfg),
        course_dir=course_dir,
        ports=ports,
        docker_host=docker_api(engine),
        engine=engine.name,
    )


def docker_api(engine: Engine) -> str:
    """The Docker API the hub's DockerSpawner talks to: Docker's, or Podman's API service."""
    if not isinstance(engine, DockerEngine):
        raise DlboxError("The hub needs a container engine.", "Use `--engine docker` or podman.")
    return engine.docker_api()


def hub_config_text(cfg: Settings, exposure: Exposure, course_dir: Path | None) -> str:
    """The configuration `hub up` would write (its planned image, GPUs from the probe), with
    nothing built or started."""
    engine = engine_for(cfg)
    image, _ = planned_environment(engine, build_options(cfg))
    config, _ = plan(engine, image, cfg, exposure, course_dir, ports=_ports(cfg))
    return render_config(config)


def _ports(cfg: Settings) -> tuple[int, int]:
    """The hub's and the proxy's internal API ports as `hub config` shows them: the two ports
    after the public one (`hub up` itself picks two free loopback ports)."""
    port = int(cfg["hub_port"])
    return (port + 1, port + 2) if port <= 65533 else (port - 2, port - 1)


def _record_alive(record: HubRecord | None) -> bool:
    return record is not None and any(p.alive() for p in record.processes)


def hub_settings(cfg: Settings) -> Settings:
    """The settings, with the engine the hub was started on when the setting is `auto`: `hub
    down` and `hub status` find its servers wherever `hub up --engine ...` put them."""
    if cfg["engine"] != "auto":
        return cfg
    record = load_record(hub_dir())
    if record is None or not record.engine:
        return cfg
    values = {**cfg.values, "engine": Value(record.engine, "the running hub (hub.json)")}
    return replace(cfg, values=values)


def engine_for(cfg: Settings) -> Engine:
    """The container engine the hub's servers run on (the local engine cannot host them)."""
    engine: Engine | None = container_engine(hub_settings(cfg)).engine
    assert engine is not None  # container_engine raises when none is usable
    return engine


def hub_up(
    cfg: Settings,
    exposure: Exposure,
    *,
    course_dir: Path | None = None,
    timeout: float = 120.0,
    reporter: Reporter = SILENT,
) -> HubUpResult:
    """Start the hub (a no-op when it runs): the image built or reused exactly as `dlbox up`
    does, the configuration planned from the settings, proxy and hub started and answering."""
    check_exposure(exposure)  # bad flags fail before any engine work
    check_hub_installed()
    engine = engine_for(cfg)
    base = hub_dir()
    record = load_record(base)
    if record is not None and _record_alive(record):
        return HubUpResult(
            url=record.url,
            admin=record.admin,
            authenticator=record.authenticator,
            image=record.image,
            seconds=0.0,
            already_running=True,
            gpus=tuple(record.gpu_ids),
            gpu_policy=record.gpu_policy,
            state_dir=str(base),
        )
    image = ensure_environment_for(engine, cfg, reporter).tag
    config, warnings = plan(engine, image, cfg, exposure, course_dir)
    with reporter.working("starting the hub"):
        seconds = start_hub(config, exposure, timeout)
    return HubUpResult(
        url=config.url,
        admin=config.admin,
        authenticator=config.authenticator,
        image=image,
        seconds=seconds,
        already_running=False,
        gpus=config.gpu_ids,
        gpu_policy=config.gpu_policy,
        state_dir=str(base),
        warnings=tuple(warnings),
    )


def start_hub(config: HubConfig, exposure: Exposure, timeout: float = 120.0) -> float:
    """Write the config and secrets, start proxy and hub, wait until the hub answers through
    the proxy. Returns the seconds it took; on failure nothing started is left running."""
    base = config.state_dir
    if not port_free(config.host, config.port):
        raise DlboxError(
            f"Port {config.port} on {config.host} is taken, so the hub cannot listen there.",
            "Pick another: `dlbox hub up --port 8010` (or `dlbox config set hub_port 8010`).",
        )
    proxy = supervise.find_proxy()
    (base / CONFIG_FILE).write_text(render_config(config))
    for secret in (config.cookie_secret_file, config.proxy_token_file, config.service_token_file):
        ensure_secret(secret)
    env = {"CONFIGPROXY_AUTH_TOKEN": read_secret(config.proxy_token_file)}
    logs = logs_dir(base)
    begin = time.monotonic()
    started = []
    try:
        started.append(
            supervise.start(
                "proxy",
                supervise.proxy_argv(proxy, config, exposure.ssl_cert, exposure.ssl_key),
                env,
                base,
                logs / "proxy.log",
            )
        )
        started.append(
            supervise.start(
                "hub", supervise.hub_argv(base / CONFIG_FILE), env, base, logs / "hub.log"
            )
        )
        record = HubRecord(
            url=config.url,
            host=config.host,
            port=config.port,
            hub_port=config.hub_port,
            api_port=config.api_port,
            image=config.image,
            admin=config.admin,
            authenticator=config.authenticator,
            gpu_policy=config.gpu_policy,
            gpu_ids=list(config.gpu_ids),
            started_at=time.time(),
            processes=started,
            engine=config.engine,
        )
        save_record(base, record)
        supervise.wait_answering(config.local_url + "hub/api", started, timeout)
    except BaseException:
        for proc in reversed(started):
            supervise.stop(proc, timeout=10)
        clear_record(base)
        raise
    return time.monotonic() - begin


def api_for(record: HubRecord, base: Path) -> HubApi:
    token = read_secret(base / "service_token")
    return HubApi(f"http://127.0.0.1:{record.hub_port}/hub/api", token)


def running_hub() -> tuple[HubRecord, HubApi]:
    base = hub_dir()
    record = load_record(base)
    if record is None or not _record_alive(record):
        raise DlboxError("No hub is running.", "Start one with `dlbox hub up --admin NAME`.")
    return record, api_for(record, base)


def hub_containers(engine: Engine, base: Path) -> list[Any]:
    return engine.containers([f"{HUB_LABEL}={base}"])


def hub_down(engine: Engine, timeout: float = 60.0) -> HubDownResult:
    """Stop the users' servers, the hub and the proxy that `hub up` started (nothing else).
    The users' code volumes, the user list and the secrets stay."""
    base = hub_dir()
    record = load_record(base)
    stopped: list[str] = []
    if record is not None and _record_alive(record):
        api = api_for(record, base)
        try:
            for user in api.users():
                if user.get("servers", {}).get("", None) is not None or user.get("server"):
                    api.stop_server(str(user["name"]))
        except DlboxError:
            pass  # the hub does not answer: its processes are stopped below all the same
        for name in ("hub", "proxy"):  # the hub first: it stops the servers it spawned
            proc = record.process(name)
            if proc is not None and supervise.stop(proc, timeout=timeout):
                stopped.append(name)
    removed = []
    for info in hub_containers(engine, base):
        engine.remove(info.name)
        removed.append(info.name)
    if record is not None:
        clear_record(base)
    return HubDownResult(tuple(stopped), tuple(removed), was_running=bool(stopped))


def _idle(last: str | None, now: datetime) -> float | None:
    if not last:
        return None
    try:
        when = datetime.fromisoformat(last.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0.0, (now - when).total_seconds())


def hub_status(engine: Engine | None) -> HubStatus:
    base = hub_dir()
    record = load_record(base)
    if record is None or not _record_alive(record):
        return HubStatus(running=False, state_dir=str(base))
    api = api_for(record, base)
    containers = {
        c.labels.get(USER_LABEL, ""): c for c in (hub_containers(engine, base) if engine else [])
    }
    now = datetime.now(timezone.utc)
    users = []
    for user in sorted(api.users(), key=lambda u: str(u["name"])):
        name = str(user["name"])
        server = (user.get("servers") or {}).get("")
        state = "stopped"
        if server:
            state = "running" if server.get("ready") else "pending"
        box = containers.get(name)
        last = (server or {}).get("last_activity") or user.get("last_activity")
        port = box.labels.get(PORT_LABEL) if box else None
        users.append(
            UserStatus(
                name=name,
                admin=bool(user.get("admin")),
                server=state,
                url=(server or {}).get("url"),
                last_activity=last,
                idle_seconds=_idle(last, now) if server else None,
                gpus=box.labels.get(GPU_LABEL, "none") if box else "",
                port=int(port) if port and port.isdigit() else None,
                container=box.name if box else "",
            )
        )
    alive = {p.name: p.pid for p in record.processes if p.alive()}
    return HubStatus(True, record.url, alive, tuple(users), str(base))


def users_add(names: list[str], admin: bool = False) -> list[str]:
    for name in names:
        validate_username(name)
    _, api = running_hub()
    added = []
    for name in names:
        if api.user(name) is None:
            api.add_user(name, admin=admin)
            added.append(name)
    return added


def users_remove(names: list[str]) -> list[str]:
    for name in names:
        validate_username(name)
    _, api = running_hub()
    removed = []
    for name in names:
        if api.user(name) is not None:
            api.remove_user(name)  # the hub stops the user's server first; the volume stays
            removed.append(name)
    return removed


def log_file(which: str) -> Path:
    """The hub's or the proxy's log file (it may not exist yet)."""
    base = logs_dir(hub_dir())
    files = {"hub": base / "hub.log", "proxy": base / "proxy.log"}
    if which not in files:
        raise UsageError(f"No hub log named {which!r}.", "Use `dlbox hub logs hub` or `proxy`.")
    return files[which]


def follow_log(path: Path, tail: int) -> int:
    """`hub logs -f`: the log's last lines, then new ones as they come (until Ctrl-C)."""
    return process.interactive(["tail", "-n", str(tail), "-f", str(path)])
