"""`--explain`: the exact engine command, and line by line what each flag does and why dlbox
chose it (the classic README's "Explanation" section, made true for this machine)."""

from __future__ import annotations

from dataclasses import dataclass

from dlbox.engines.base import ContainerSpec, Engine
from dlbox.engines.gpus import MODE_FLAGS
from dlbox.launch.environment import EnvPlan, plan_environment
from dlbox.launch.launcher import container_spec_for, session_specs
from dlbox.launch.options import UpOptions
from dlbox.launch.ports import choose_port
from dlbox.launch.sessions import list_sessions
from dlbox.launch.shm import host_memory_bytes, human

# Flags that take a value (the next argv element).
VALUE_FLAGS = {
    "--name",
    "--user",
    "--userns",
    "--workdir",
    "--ipc",
    "--shm-size",
    "--network",
    "--gpus",
    "--device",
    "--runtime",
    "--publish",
    "--mount",
    "--env",
    "--label",
    "--entrypoint",
}


@dataclass(frozen=True)
class ExplainedFlag:
    flag: str
    value: str
    why: str

    def to_dict(self) -> dict[str, str]:
        return {"flag": self.flag, "value": self.value, "why": self.why}


def group_argv(argv: list[str]) -> list[tuple[str, str]]:
    """[(flag, value)] for every option in a `docker run` argv, then ('IMAGE', ..), ('CMD', ..)."""
    out: list[tuple[str, str]] = []
    i = 2  # skip client and 'run'
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("--"):
            if "=" in arg:
                flag, value = arg.split("=", 1)
                out.append((flag, value))
            elif arg in VALUE_FLAGS:
                out.append((arg, argv[i + 1]))
                i += 1
            else:
                out.append((arg, ""))
            i += 1
            continue
        out.append(("IMAGE", arg))
        if i + 1 < len(argv):
            out.append(("CMD", " ".join(argv[i + 1 :])))
        break
    return out


def _env_why(value: str, plan: EnvPlan) -> str:
    key = value.split("=", 1)[0]
    reasons = {
        "CUDA_VISIBLE_DEVICES": (
            "which GPUs CUDA may use inside the container (the classic recipe pinned 0); "
            + (
                "empty: no GPU, so torch stays on the CPU"
                if not plan.gpu.request.enabled
                else "the engine already hides other GPUs, so they count from 0"
            )
        ),
        "JUPYTER_TOKEN_FILE": "Jupyter reads its token from this mounted file, so the token never "
        "appears in argv, `ps` or `docker inspect`",
        "DLBOX_CODE_DIR": "where the start script finds the code folder",
        "DLBOX_DATA_DIR": "where the start script finds the data (linked into the course folder "
        "as data/, and set as fastai's data path in FASTAI_HOME/config.ini)",
        "DLBOX_COURSE_DIR": "the folder Jupyter opens in (the classic `-w /code/fastai`)",
        "DLBOX_PORT": "the port Jupyter listens on inside the container",
        "NVIDIA_VISIBLE_DEVICES": "which GPUs the nvidia runtime passes in",
        "NVIDIA_DRIVER_CAPABILITIES": "CUDA compute plus nvidia-smi inside the container",
    }
    return reasons.get(key, "environment variable for the environment")


def explain_flag(flag: str, value: str, plan: EnvPlan, spec: ContainerSpec) -> str:
    opts = plan.options
    if flag == "--detach":
        return (
            "run in the background; dlbox waits until Jupyter answers, then prints the URL "
            "(replaces the classic -it: use `dlbox logs -f` or `dlbox up --foreground`)"
        )
    if flag == "--rm":
        return "remove the container when it exits"
    if flag in ("--interactive", "--tty"):
        return "attach your terminal"
    if flag == "--name":
        return "a stable name per project, so `up` again finds and reuses this session"
    if flag == "--init":
        return (
            "a tiny init as PID 1 reaps zombie processes (DataLoader workers) and forwards "
            "Ctrl-C/stop signals to Jupyter"
        )
    if flag in ("--user", "--userns"):
        if plan.user.is_root:
            return "you are root, so the container runs as root (never otherwise)"
        mapped = plan.mapping.root_inside or any(
            a.startswith("--userns") for a in plan.mapping.argv
        )
        if plan.mapping.explanation and mapped:
            return plan.mapping.explanation
        return (
            f"run as you ({value}), so files made in Jupyter belong to you on the host; "
            "no root and no --allow-root"
        )
    if flag == "--workdir":
        return "start in the course folder (the classic `-w /code/fastai`)"
    if flag == "--shm-size":
        return (
            f"/dev/shm of {human(opts.shm_bytes or 0)} for DataLoader workers (Docker's "
            "default 64 MiB makes them die with a bus error); rule: half of RAM "
            f"({human(host_memory_bytes())} here), 1-16 GiB; source: {opts.shm_source}"
        )
    if flag == "--ipc":
        return "share the host's IPC namespace and /dev/shm (you asked for --ipc host)"
    if flag in ("--gpus", "--device", "--runtime") and not plan.gpu.probed:
        return (
            f"the first GPU mechanism `up` would probe for, "
            f"{MODE_FLAGS.get(spec.gpu.mode, spec.gpu.mode)}; a dry run starts no probe "
            "container, so whether it works here is not known yet"
        )
    if flag in ("--gpus", "--device", "--runtime"):
        return (
            f"expose GPUs through {MODE_FLAGS.get(spec.gpu.mode, spec.gpu.mode)}: the mode a "
            f"probe container showed to work here ({plan.gpu.reason})"
        )
    if flag == "--publish":
        host = value.rsplit(":", 2)[0]
        where = (
            "only this machine can connect"
            if host.startswith("127.")
            else "other machines can connect: keep the token secret"
        )
        return f"publish Jupyter's port on {host} ({where})"
    if flag == "--mount":
        target = value.split("target=", 1)[-1].split(",", 1)[0]
        what = {
            "/code": "your code folder (the classic -v $CODE:/code)",
            "/data": "your data folder (the classic -v $DATA:/data)",
            "/home/dlbox": "a persistent home for Jupyter settings and shell history",
            "/run/dlbox/token": "the token file, read-only",
        }.get(target, "a host folder")
        return f"bind-mount {what}"
    if flag == "--env":
        return _env_why(value, plan)
    if flag == "--label":
        return "metadata dlbox uses to find its sessions (`dlbox ps`)"
    if flag == "--network":
        return "network mode"
    if flag == "IMAGE":
        return "the locked environment image, named by the hash of everything in it"
    if flag == "CMD":
        return (
            "the start script: links data into the course folder, points fastai at /data, "
            "starts JupyterLab (what the classic j8 alias did)"
        )
    return "engine option"


HOST_ENV_WHY = {
    "VIRTUAL_ENV": "the locked venv (made by uv from the same lock files as the image)",
    "PATH": "the venv's bin first, as activating it would (python, pip, jupyter: the locked ones)",
    "PYTHONNOUSERSITE": "keep packages from ~/.local out, so only the lock's versions load",
    "FASTAI_HOME": "fastai's config.ini here points untar_data at your data folder",
    "DLBOX_CODE_DIR": "your code folder, used in place (no container, no mounts)",
    "DLBOX_DATA_DIR": "your data folder, used in place (linked into the course folder as data/)",
    "DLBOX_COURSE_DIR": "the folder Jupyter opens in",
    "CUDA_VISIBLE_DEVICES": "which of the host's GPUs CUDA may use (empty: none, torch stays on "
    "the CPU; unset: all of them)",
    "DLBOX_PORT": "unused on the host: Jupyter gets --port directly",
    "JUPYTER_TOKEN_FILE": "Jupyter reads its token from this 0600 file, so the token never "
    "appears in argv or `ps`",
}


def group_host_argv(argv: list[str]) -> list[tuple[str, str]]:
    """[(flag, value)] for a local-engine argv: env [-u VAR] K=V... python -c CHDIR DIR CMD..."""
    out: list[tuple[str, str]] = []
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg == "-u" and i + 1 < len(argv):
            out.append(("-u", argv[i + 1]))
            i += 2
        elif "=" in arg and not arg.startswith(("/", "-")):
            out.append(("ENV", arg))
            i += 1
        else:
            break
    if i + 3 < len(argv) and argv[i + 1] == "-c":
        out.append(("WORKDIR", argv[i + 3]))
        out.append(("CMD", " ".join(argv[i + 4 :])))
    elif i < len(argv):
        out.append(("CMD", " ".join(argv[i:])))
    return out


def explain_host_flag(flag: str, value: str, plan: EnvPlan) -> str:
    if flag == "-u":
        return f"unset {value}, so nothing outside the venv leaks into it"
    if flag == "ENV":
        key = value.split("=", 1)[0]
        return HOST_ENV_WHY.get(key) or _env_why(value, plan)
    if flag == "WORKDIR":
        return "start in the course folder (the classic `-w /code/fastai`)"
    return (
        "JupyterLab from the venv, on the address and port dlbox chose, rooted at your code "
        "folder; the process runs in its own session so `dlbox stop` ends all of it"
    )


def explain(argv: list[str], plan: EnvPlan, spec: ContainerSpec) -> list[ExplainedFlag]:
    if len(argv) > 1 and argv[1] == "run":
        return [ExplainedFlag(f, v, explain_flag(f, v, plan, spec)) for f, v in group_argv(argv)]
    return [ExplainedFlag(f, v, explain_host_flag(f, v, plan)) for f, v in group_host_argv(argv)]


@dataclass(frozen=True)
class ExplainedCommand:
    """One session's exact engine command, each flag explained."""

    argv: list[str]
    flags: list[ExplainedFlag]

    def to_dict(self) -> dict[str, object]:
        return {"argv": self.argv, "explained": [f.to_dict() for f in self.flags]}


def session_commands(
    engine: Engine,
    image: str,
    options: UpOptions,
    *,
    dry_run: bool,
    probe_image: str | None = None,
) -> tuple[EnvPlan, list[ExplainedCommand]]:
    """The plan, and the exact engine command per session `up` starts, each flag explained. A
    dry run changes nothing on the host (no folders made, no probe container); a running
    session shows the command that started it."""
    plan = plan_environment(
        engine,
        image,
        options.env,
        create_folders=not dry_run,
        probe_image=probe_image,
        probe=not dry_run,
    )
    current = {s.name: s for s in list_sessions(engine) if s.running}
    taken = {s.port for s in current.values()}
    commands = []
    for name, gpu in session_specs(plan, options):
        if name in current:
            port = current[name].port
        else:
            port = choose_port(options.host, options.port, taken).port
        taken.add(port)
        spec = container_spec_for(plan, image, name, gpu, port, options.host)
        argv = engine.run_argv(spec)
        commands.append(ExplainedCommand(argv, explain(argv, plan, spec)))
    return plan, commands
