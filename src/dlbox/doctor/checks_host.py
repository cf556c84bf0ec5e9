"""Host checks: platform, configuration, folders, /dev/shm, the Jupyter port, the data disk."""

from __future__ import annotations

import os
from pathlib import Path

from dlbox.config.edit import FOLDER_KEYS, check_folder
from dlbox.datasets.catalog import lookup
from dlbox.datasets.store import Layout
from dlbox.doctor.facts import Facts
from dlbox.doctor.model import Finding
from dlbox.environment.lockset import SUPPORTED_ARCHES, normalize_arch
from dlbox.errors import DlboxError
from dlbox.launch.options import env_options
from dlbox.launch.ports import choose_port
from dlbox.launch.shm import GIB, MAX_SHM, MIN_SHM, auto_shm_bytes, human

SHM_PATH = Path("/dev/shm")
# An extracted dataset takes about as much again as its kept archive.
DATASET_FACTOR = 2


def check_platform(facts: Facts) -> Finding:
    details: dict[str, object] = {
        "system": facts.system,
        "release": facts.release,
        "machine": facts.machine,
        "wsl": facts.is_wsl,
    }
    try:
        arch = normalize_arch(facts.machine)
    except DlboxError:
        return Finding(
            "fail",
            f"{facts.system} on {facts.machine}: dlbox has no locked environment for this CPU",
            f"Use a machine with one of: {', '.join(SUPPORTED_ARCHES)}.",
            details,
        )
    if facts.system == "Darwin":
        return Finding(
            "warn",
            f"macOS ({arch}): Docker on a Mac runs a Linux VM with no GPU access",
            "For Apple's Metal GPU use the local engine: `dlbox up --engine local` (or "
            "`dlbox config set engine local`); containers there run on the CPU.",
            details,
        )
    if facts.is_wsl:
        return Finding(
            "ok",
            f"WSL2 on Windows ({arch}): GPUs reach containers through Docker Desktop's WSL2 "
            "backend and the Windows NVIDIA driver",
            "Keep Docker Desktop's WSL integration on for this distribution; do not install a "
            "Linux NVIDIA driver inside WSL (nvidia-smi lives in /usr/lib/wsl/lib).",
            details,
        )
    if facts.system != "Linux":
        return Finding(
            "warn",
            f"{facts.system} ({arch}): dlbox is tested on Linux and macOS",
            "On Windows, run dlbox inside WSL2 with Docker Desktop.",
            details,
        )
    return Finding("ok", f"Linux {facts.release} ({arch})", "", details)


def check_config(facts: Facts) -> Finding:
    try:
        cfg = facts.settings()
    except DlboxError as exc:
        return Finding("fail", f"configuration invalid: {exc.message}", exc.hint or "")
    data = cfg.to_dict()
    changed = {
        name: item
        for name, item in data["settings"].items()  # type: ignore[attr-defined]
        if item["source"] != "default"
    }
    user = cfg.user_file if cfg.user_file.is_file() else None
    files = [f"user config {user}" if user else "no user config file"]
    files.append(f"project {cfg.project_file}" if cfg.project_file else "no dlbox.toml")
    set_text = (
        "; set: " + ", ".join(f"{k} ({v['source']})" for k, v in changed.items())
        if changed
        else "; all defaults"
    )
    return Finding("ok", f"valid ({', '.join(files)}){set_text}", "", data)


def check_folders(facts: Facts) -> Finding:
    try:
        cfg = facts.settings()
    except DlboxError:
        return Finding("skip", "configuration invalid", "See the config check's fix.")
    details: dict[str, object] = {}
    missing = []
    for name in FOLDER_KEYS:
        folder = Path(cfg[name]).expanduser()
        source = cfg.source(name)
        details[name] = {
            "path": str(folder),
            "source": source,
            "exists": folder.is_dir(),
            "writable": folder.is_dir() and os.access(folder, os.W_OK | os.X_OK),
        }
        try:
            check_folder(name, folder, source, explicit=source != "default")
        except DlboxError as exc:
            return Finding("fail", exc.message, exc.hint or "", details)
        if not folder.is_dir():
            missing.append(f"{name} {folder}")
    code, data = (details[n]["path"] for n in FOLDER_KEYS)  # type: ignore[index]
    if missing:
        return Finding(
            "ok",
            f"code {code}, data {data}: writable; `up` will create {', '.join(missing)}",
            "",
            details,
        )
    return Finding("ok", f"code {code} and data {data} exist and are writable", "", details)


def check_shm(facts: Facts) -> Finding:
    try:
        opts = env_options(facts.settings())
    except DlboxError as exc:
        return Finding("fail", exc.message, exc.hint or "")
    ram = facts.memory_bytes()
    details: dict[str, object] = {
        "shm_bytes": opts.shm_bytes,
        "source": opts.shm_source,
        "ipc_host": opts.ipc_host,
        "host_ram_bytes": ram,
        "rule": f"auto: half the host's RAM, at least {human(MIN_SHM)}, at most {human(MAX_SHM)}",
    }
    if facts.engine_preference()[0] == "local":
        try:
            total = facts.disk_usage(SHM_PATH)[0]
        except OSError:
            total = 0
        details["host_shm_bytes"] = total
        return Finding(
            "warn" if total and total < GIB else "ok",
            f"local engine: Jupyter uses the host's /dev/shm ({human(total) if total else '?'})",
            "Grow the host's /dev/shm (a tmpfs) if DataLoader workers die with 'Bus error'.",
            details,
        )
    if opts.ipc_host or opts.shm_bytes is None:
        try:
            total = facts.disk_usage(SHM_PATH)[0]
        except OSError:
            total = 0
        details["host_shm_bytes"] = total
        shared = f"the host's /dev/shm ({human(total)})" if total else "the host's /dev/shm"
        small = bool(total) and total < GIB
        return Finding(
            "warn" if small else "ok",
            f"--ipc host: containers share {shared} and the host's IPC namespace (less isolation)",
            "Drop ipc_host (`dlbox config set ipc_host false`) to give each container its own "
            "sized /dev/shm instead."
            if not small
            else "Grow the host's /dev/shm or drop ipc_host so dlbox sizes a private one.",
            details,
        )
    size = opts.shm_bytes
    if opts.shm_source == "auto":
        size = auto_shm_bytes(ram)  # the rule, applied to the RAM these facts report
        details["shm_bytes"] = size
    how = (
        f"auto: half of {human(ram)} RAM, clamped to {human(MIN_SHM)}-{human(MAX_SHM)}"
        if opts.shm_source == "auto"
        else f"from {opts.shm_source}"
    )
    finding = f"`up` gives containers a {human(size)} /dev/shm ({how})"
    if size < GIB:
        return Finding(
            "warn",
            finding + "; DataLoader workers (num_workers > 0) may die with 'Bus error'",
            "Use `dlbox config set shm_size auto` (or at least 1g), or pass --ipc host.",
            details,
        )
    return Finding("ok", finding + "; enough for DataLoader workers", "", details)


def _listening_inodes(facts: Facts, port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in (facts.read_text(Path(table)) or "").splitlines()[1:]:
            cols = line.split()
            if len(cols) > 9 and cols[3] == "0A" and cols[1].rsplit(":", 1)[-1] == f"{port:04X}":
                inodes.add(cols[9])
    return inodes


def _holds(pid: str, wanted: set[str]) -> bool:
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") in wanted:
                return True
        except OSError:  # closed meanwhile
            continue
    return False


def port_holder(facts: Facts, port: int) -> str | None:
    """The process listening on `port` (Linux /proc; only processes this user may inspect)."""
    inodes = _listening_inodes(facts, port)
    if not inodes:
        return None
    wanted = {f"socket:[{i}]" for i in inodes}
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return None
    for pid in pids:
        if _holds(pid, wanted):
            cmd = (facts.read_text(Path(f"/proc/{pid}/cmdline")) or "").split("\0")
            name = " ".join(c for c in cmd[:3] if c)[:80] or "?"
            return f"{name} (pid {pid})"
    return None


def check_port(facts: Facts) -> Finding:
    try:
        cfg = facts.settings()
    except DlboxError:
        return Finding("skip", "configuration invalid", "See the config check's fix.")
    host, port = str(cfg["host"]), int(cfg["port"])
    status = facts.port_status(host, port)
    details: dict[str, object] = {
        "host": host,
        "port": port,
        "free": status.free,
        "jupyter": status.jupyter,
        "redirected": status.redirected,
        "detail": status.detail,
        "source": cfg.source("port"),
    }
    if status.free:
        return Finding("ok", f"port {port} on {host} is free", "", details)
    own = facts.once("session_ports", lambda: facts.session_ports(facts.engine())).get(port)
    if own:
        details["session"] = own
        return Finding(
            "ok",
            f"port {port} is used by your dlbox session {own}",
            "`dlbox ps` shows its URL; `dlbox stop` frees the port.",
            details,
        )
    holder = port_holder(facts, port) if facts.system == "Linux" else None
    details["holder"] = holder
    try:
        nxt: int | None = choose_port(host, port).port
    except DlboxError:
        nxt = None
    details["next_free"] = nxt
    moves = f"; `up` would move to port {nxt}" if nxt else ""
    by = f" ({holder})" if holder else ""
    if status.jupyter:
        return Finding(
            "warn",
            f"port {port} is held by a Jupyter server on the host: {status.detail}{by}; it masks "
            f"a container on that port and rejects dlbox's token{moves}",
            f"Stop it (`jupyter server stop {port}`, or close that notebook), or choose another "
            "port: `dlbox config set port 8890`.",
            details,
        )
    what = status.detail if status.redirected else "in use by another program"
    return Finding(
        "warn",
        f"port {port} on {host} is {what}{by}{moves}",
        f"Stop what holds it, or choose another port: `dlbox config set port {nxt or 8890}`.",
        details,
    )


def _dataset_need(cfg_datasets: list[str], data_dir: Path) -> tuple[int, list[str], list[str]]:
    need, unknown, present = 0, [], []
    layout = Layout(data_dir)
    for name in cfg_datasets:
        ds = lookup(name)
        if ds is not None and (
            layout.dataset_dir(ds.name).is_dir() or layout.read_record(ds.name) is not None
        ):
            present.append(ds.name)
            continue
        if ds is None or ds.size is None:
            unknown.append(name)
            continue
        need += ds.size * DATASET_FACTOR
    return need, unknown, present


def check_disk_data(facts: Facts) -> Finding:
    try:
        cfg = facts.settings()
    except DlboxError:
        return Finding("skip", "configuration invalid", "See the config check's fix.")
    data_dir = Path(cfg["data_dir"]).expanduser()
    measured = data_dir
    while not measured.exists() and measured != measured.parent:
        measured = measured.parent
    try:
        _, _, free = facts.disk_usage(measured)
    except OSError as exc:
        return Finding(
            "warn",
            f"cannot read free space at {measured}: {exc.strerror or exc}",
            "Check it with `df -h`.",
        )
    datasets = list(cfg["datasets"])
    need, unknown, present = _dataset_need(datasets, data_dir)
    details: dict[str, object] = {
        "data_dir": str(data_dir),
        "measured": str(measured),
        "free_bytes": free,
        "datasets": datasets,
        "present": present,
        "need_bytes": need,
        "unknown_size": unknown,
        "rule": f"archive kept + extracted: ~{DATASET_FACTOR}x archive",
    }
    if not datasets:
        return Finding(
            "ok", f"{human(free)} free for data in {measured}; no datasets configured", "", details
        )
    what = f"configured datasets need ~{human(need)}" if need else "configured datasets present"
    if unknown:
        what += f" (size unknown: {', '.join(unknown)})"
    finding = f"{human(free)} free in {measured}; {what}"
    if free < need:
        return Finding(
            "fail",
            finding,
            "Free space there, or point data_dir at a bigger disk "
            "(`dlbox config set data_dir PATH`).",
            details,
        )
    return Finding("ok", finding, "", details)
