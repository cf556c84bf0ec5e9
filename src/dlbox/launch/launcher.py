"""`dlbox up` and friends: start, reuse, list and stop Jupyter sessions in containers."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from dlbox.engines.base import ContainerSpec, Engine, GpuRequest, Mount, PortBinding
from dlbox.environment.layout import CONTAINER_PORT
from dlbox.errors import DlboxError, ProcessError
from dlbox.launch import sessions
from dlbox.launch.environment import (
    EnvPlan,
    environment_container,
    labels_for,
    plan_environment,
)
from dlbox.launch.health import wait_ready
from dlbox.launch.options import UpOptions
from dlbox.launch.ports import PortChoice, choose_port
from dlbox.launch.sessions import list_sessions
from dlbox.launch.token import (
    CONTAINER_TOKEN_PATH,
    new_token,
    read_token_file,
    write_token_file,
)

if TYPE_CHECKING:
    from dlbox.image.build import BuildResult

DEATH_LOG_LINES = 15


@dataclass
class StartedSession:
    session: sessions.Session
    token: str
    reused: bool
    ready_seconds: float
    port_choice: PortChoice | None = None

    @property
    def url(self) -> str:
        return self.session.url(with_token=True)

    def to_dict(self) -> dict[str, object]:
        data = self.session.to_dict(with_token=True)
        data.update(reused=self.reused, ready_seconds=round(self.ready_seconds, 2))
        if self.port_choice and self.port_choice.moved:
            data["port_moved_from"] = self.port_choice.wanted
        return data


@dataclass
class UpResult:
    started: list[StartedSession]
    plan: EnvPlan
    image: str
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    cleaned: list[str] = field(default_factory=list)
    engine: str = ""
    environment: BuildResult | None = None  # how the image/venv was made (or reused)

    def to_dict(self) -> dict[str, object]:
        return {
            "engine": self.engine,
            "environment": (
                {**self.environment.to_dict(), "reused": not self.environment.built}
                if self.environment
                else None
            ),
            "image": self.image,
            "sessions": [s.to_dict() for s in self.started],
            "gpu": {
                "mode": self.plan.gpu.request.mode,
                "gpus": list(self.plan.gpu.gpus),
                "reason": self.plan.gpu.reason,
            },
            "shm_bytes": self.plan.options.shm_bytes,
            "notes": self.notes,
            "warnings": self.warnings,
            "cleaned_up": self.cleaned,
        }


def session_specs(plan: EnvPlan, options: UpOptions) -> list[tuple[str, GpuRequest]]:
    """(name, GPU request) for each server to start: one, or one per GPU with --per-gpu."""
    base = options.name or sessions.session_name(plan.options.code_dir)
    if not options.per_gpu:
        return [(base, plan.gpu.request)]
    if not plan.gpu.request.enabled:
        raise DlboxError(
            "--per-gpu needs GPUs, and none is usable here.",
            "Drop --per-gpu, or fix GPU access (`dlbox doctor`).",
        )
    ids = plan.gpu.request.devices or tuple(str(i) for i in range(len(plan.gpu.gpus)))
    return [(f"{base}-gpu{d}", GpuRequest(plan.gpu.request.mode, (d,))) for d in ids]


def settings_digest(spec: ContainerSpec) -> str:
    """What a running session was started with, apart from its name, port and labels: when a new
    `up` asks for something else (GPUs, folders, shm, host...), the session is restarted."""
    core = replace(spec, labels=(), ports=tuple(replace(p, host_port=0) for p in spec.ports))
    return hashlib.sha256(repr(core).encode()).hexdigest()[:16]


def container_spec_for(
    plan: EnvPlan, image: str, name: str, gpu: GpuRequest, port: int, host: str
) -> ContainerSpec:
    spec = _session_spec(plan, image, name, gpu, port, host)
    return replace(spec, labels=(*spec.labels, (sessions.SETTINGS_LABEL, settings_digest(spec))))


def _session_spec(
    plan: EnvPlan, image: str, name: str, gpu: GpuRequest, port: int, host: str
) -> ContainerSpec:
    token_file = sessions.token_path(name)
    return environment_container(
        plan,
        image,
        name=name,
        # Jupyter refuses uid 0 without --allow-root: you are root, or rootless Docker maps you to
        # container root (not real root).
        command=("lab", "--allow-root") if plan.root_inside else ("lab",),
        gpu=gpu,
        extra_mounts=(Mount(token_file, CONTAINER_TOKEN_PATH, read_only=True),),
        extra_env=(("JUPYTER_TOKEN_FILE", CONTAINER_TOKEN_PATH),),
        labels=labels_for(
            "session",
            plan,
            (
                (sessions.SESSION_LABEL, name),
                (sessions.PORT_LABEL, str(port)),
                (sessions.HOST_LABEL, host),
            ),
        ),
        ports=(PortBinding(host, port, CONTAINER_PORT),),
    )


def _death_report(engine: Engine, name: str) -> str:
    lines = engine.logs(name, tail=DEATH_LOG_LINES).strip().splitlines()
    return "Last log lines:\n" + "\n".join("  " + ln for ln in lines[-DEATH_LOG_LINES:])


def _alive(engine: Engine, name: str) -> bool:
    info = engine.inspect_container(name)
    return info is not None and info.running


def start_session(
    engine: Engine,
    plan: EnvPlan,
    image: str,
    name: str,
    gpu: GpuRequest,
    options: UpOptions,
    taken_ports: set[int],
) -> StartedSession:
    choice = choose_port(options.host, options.port, taken_ports)
    token = new_token()
    write_token_file(sessions.token_path(name), token, plan.user.uid, plan.user.gid)
    sessions.record_engine(name, engine.name)
    spec = container_spec_for(plan, image, name, gpu, choice.port, options.host)
    try:
        engine.start(spec)
    except ProcessError as exc:  # an engine refusal or a timeout: leave nothing behind
        engine.remove(name)
        if (
            "port is already allocated" in exc.stderr_tail
            or "address already in use" in exc.stderr_tail
        ):
            raise DlboxError(
                f"Port {choice.port} was taken while the container started.",
                "Run `dlbox up` again; it will pick the next free port.",
            ) from exc
        raise
    try:
        waited = wait_ready(
            choice.port,
            token,
            timeout=options.health_timeout,
            host=options.host,
            alive=lambda: _alive(engine, name),
            describe_death=lambda: _death_report(engine, name),
        )
    except DlboxError:
        engine.remove(name)
        raise
    info = engine.inspect_container(name)
    if info is None:
        raise DlboxError(
            f"The session {name} vanished right after it answered.",
            "Run `dlbox up` again; `dlbox logs` shows what it printed.",
        )
    session = sessions.from_container(info)
    taken_ports.add(choice.port)
    return StartedSession(session, token, False, waited, choice)


def start_sessions(
    engine: Engine, image: str, options: UpOptions, environment: BuildResult | None = None
) -> UpResult:
    """Start (or reuse) this project's Jupyter session(s); return when each answers."""
    plan = plan_environment(engine, image, options.env)
    result = UpResult(
        [], plan, image, list(plan.notes), engine=engine.name, environment=environment
    )
    if plan.gpu.warning:
        result.warnings.append(plan.gpu.warning)
    if options.host not in ("127.0.0.1", "localhost", "::1"):
        result.warnings.append(
            f"Jupyter is published on {options.host}: anyone who can reach this machine and has "
            "the token can run code as you. Prefer the default 127.0.0.1 with an SSH tunnel."
        )
    existing = {s.name: s for s in list_sessions(engine)}
    taken = {s.port for s in existing.values() if s.running}
    for name, gpu in session_specs(plan, options):
        current = existing.get(name)
        if current is not None and current.running:
            token = read_token_file(sessions.token_path(name))
            wanted = settings_digest(
                _session_spec(plan, image, name, gpu, current.port, options.host)
            )
            if token and current.image == image and current.settings == wanted:
                waited = wait_ready(
                    current.port,
                    token,
                    timeout=options.health_timeout,
                    host=current.host,
                    alive=functools.partial(_alive, engine, name),
                    describe_death=functools.partial(_death_report, engine, name),
                )
                result.started.append(StartedSession(current, token, True, waited))
                continue
            result.notes.append(
                f"{name} was started with other settings (image, GPUs, folders, shm or host) or "
                "lost its token: restarting it with these."
            )
        if current is not None:
            engine.remove(name)
            result.cleaned.append(f"{name} ({current.state})")
        started_session = start_session(engine, plan, image, name, gpu, options, taken)
        if started_session.port_choice and started_session.port_choice.moved:
            why = "; ".join(s.describe() for s in started_session.port_choice.skipped)
            result.notes.append(
                f"Port {options.port} was not usable ({why}), so {name} uses port "
                f"{started_session.session.port}."
            )
        result.started.append(started_session)
    return result


@dataclass
class StopResult:
    stopped: list[str]

    def to_dict(self) -> dict[str, object]:
        return {"stopped": self.stopped}


def stop(engine: Engine, names: list[str]) -> StopResult:
    known = {s.name for s in list_sessions(engine)}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise DlboxError(
            f"No dlbox session named {', '.join(unknown)}.",
            "`dlbox ps` lists the sessions; `dlbox stop --all` stops them all.",
        )
    for name in names:
        engine.remove(name)
        sessions.forget(name)
    return StopResult(names)
