"""Sessions across engines: `ps`, `stop`, `logs` and `shell` see the sessions of every engine
dlbox can reach (the container engine and the local engine), not only the one `up` would pick."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dlbox.errors import DlboxError
from dlbox.launch.sessions import Session, list_sessions, recorded_sessions

if TYPE_CHECKING:  # types only: `ps` imports no engine code when no session exists
    from dlbox.engines.base import Engine
    from dlbox.engines.detect import EngineChoice


@dataclass(frozen=True)
class FoundSession:
    engine: Engine
    session: Session

    @property
    def name(self) -> str:
        return self.session.name

    def to_dict(self, with_token: bool = False) -> dict[str, object]:
        return {**self.session.to_dict(with_token), "engine": self.engine.name}


@dataclass(frozen=True)
class StopOutcome:
    stopped: list[str]
    not_running: bool  # nothing of this project (or at all) ran: a message, not an error
    others: list[str]  # sessions left running (other projects), named in the message

    def to_dict(self) -> dict[str, object]:
        return {"stopped": self.stopped, "others_running": self.others}


def select_engine(kind: str, docker_client: str | None) -> EngineChoice:
    """Detection (probes clients and daemons): only where listing sessions is not enough."""
    from dlbox.engines.detect import select_engine as detect

    return detect(kind, docker_client)


def _container_engine(kind: str, docker_client: str | None) -> Engine | None:
    try:
        return select_engine(kind, docker_client).container
    except DlboxError:
        return None


def find_sessions(engines: Sequence[Engine]) -> list[FoundSession]:
    found = [FoundSession(e, s) for e in engines for s in list_sessions(e)]
    return sorted(found, key=lambda f: (f.name, f.engine.name))


def _answering(engines: Sequence[Engine]) -> list[FoundSession]:
    """The sessions of each engine that answers (one that does not has no session running)."""
    found: list[FoundSession] = []
    for engine in engines:
        try:
            found += find_sessions([engine])
        except DlboxError:
            continue
    return found


def all_sessions(engine: str | None, *, every_engine: bool = False) -> list[FoundSession]:
    """`--engine X`: that engine's sessions. Otherwise every engine's: the session folders `up`
    leaves name the engines to ask (none when there is no folder), and only those are asked,
    without detecting engines first; a folder from before dlbox recorded the engine makes it ask
    Docker and Podman, as detection finds them. `every_engine` (`stop --all`, `stop NAME`) asks
    Docker and Podman as well, so a session whose folder is gone (another DLBOX_STATE_DIR, a
    deleted state folder) is still found by its labels."""
    recorded = {} if engine else recorded_sessions()
    if not engine and not recorded and not every_engine:
        return []  # no session folder: nothing to ask any engine about
    from dlbox.config import load_settings
    from dlbox.engines.handles import session_engine

    cfg = load_settings({"engine": engine})
    client = cfg["docker_client"] or None
    if engine:
        return find_sessions([select_engine(engine, client).engine])
    kinds = sorted({kind for kind in recorded.values() if kind})
    engines = [e for e in (session_engine(k, client) for k in kinds) if e is not None]
    found = _answering(engines)
    if every_engine or {n for n, kind in recorded.items() if not kind} - {f.name for f in found}:
        for kind in ("docker", "podman"):
            if kind in kinds or (kind == "podman" and not shutil.which("podman")):
                continue
            other = _container_engine(kind, client)
            if other is not None:
                found += find_sessions([other])
    return sorted(found, key=lambda f: (f.name, f.engine.name))


def _this_project(found: Sequence[FoundSession]) -> list[FoundSession]:
    from dlbox.config import load_settings

    code = str(Path(load_settings()["code_dir"]).expanduser().resolve())
    return [f for f in found if f.session.code_dir == code]


def pick_session(found: Sequence[FoundSession], name: str | None) -> FoundSession:
    """The named session, else this project's, else the only one running."""
    if name:
        for f in found:
            if f.name == name:
                return f
        raise DlboxError(f"No dlbox session named {name}.", "`dlbox ps` lists the sessions.")
    mine = _this_project(found)
    if mine:
        return mine[0]
    if len(found) == 1:
        return found[0]
    if not found:
        raise DlboxError("No dlbox session is running.", "Start one with `dlbox up`.")
    raise DlboxError(
        "Several sessions run and none belongs to this project.",
        "Name one: " + ", ".join(f.name for f in found),
    )


def stop_sessions(found: Sequence[FoundSession], names: Sequence[str], all_: bool) -> StopOutcome:
    """Stop NAMEs (each must run), every session (--all), or this project's. Nothing to stop is
    not an error: the outcome says so, and names what other projects still run."""
    if all_:
        targets = list(found)
    elif names:
        known = {f.name: f for f in found}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise DlboxError(
                f"No dlbox session named {', '.join(unknown)}.",
                "`dlbox ps` lists the sessions; `dlbox stop --all` stops them all.",
            )
        targets = [known[n] for n in dict.fromkeys(names)]
    else:
        targets = _this_project(found)
    from dlbox.launch.launcher import stop

    for target in targets:
        stop(target.engine, [target.name])
    stopped = [t.name for t in targets]
    others = [f.name for f in found if f.name not in stopped]
    return StopOutcome(stopped, not stopped, others)


def show_logs(target: FoundSession, *, follow: bool, tail: int | None) -> int:
    """The session's Jupyter log on the user's terminal; the exit code."""
    from dlbox import process

    return process.interactive(target.engine.logs_argv(target.name, follow, tail))


def open_shell(target: FoundSession, *, tty: bool) -> int:
    """bash in the running environment, as the invoking user; the exit code. The engine is
    detected first: how it maps the user (rootless or not) decides the exec flags."""
    from dlbox import process
    from dlbox.launch.user import invoking_user

    engine = target.engine
    if engine.name != "local":
        from dlbox.config import load_settings

        cfg = load_settings()
        engine = select_engine(engine.name, cfg["docker_client"] or None).engine
    argv = engine.exec_argv(target.name, ["bash", "-l"], invoking_user().spec, tty)
    return process.interactive(argv)
