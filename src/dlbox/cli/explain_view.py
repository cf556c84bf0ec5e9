"""`up --explain` and `up --dry-run`: the exact engine command and why each flag."""

from __future__ import annotations

import shlex

from rich.markup import escape

from dlbox.cli import console
from dlbox.cli.common import environment_engine
from dlbox.config import Settings
from dlbox.engines.base import Engine
from dlbox.image.build import planned_environment
from dlbox.image.options import build_options
from dlbox.launch.environment import plan_environment
from dlbox.launch.explain import ExplainedFlag, explain
from dlbox.launch.launcher import container_spec_for, list_sessions, session_specs
from dlbox.launch.options import UpOptions
from dlbox.launch.ports import choose_port

ExplainRows = list[tuple[list[str], list[ExplainedFlag]]]


def explain_rows(
    eng: Engine, image: str, options: UpOptions, *, dry_run: bool, probe_image: str | None = None
) -> ExplainRows:
    """The exact engine command per session, each flag explained. A dry run changes nothing on
    the host (no folders made); a running session shows the command that started it."""
    plan = plan_environment(
        eng, image, options.env, create_folders=not dry_run, probe_image=probe_image
    )
    current = {s.name: s for s in list_sessions(eng) if s.running}
    taken = {s.port for s in current.values()}
    rows: ExplainRows = []
    for name, gpu in session_specs(plan, options):
        if name in current:
            port = current[name].port
        else:
            port = choose_port(options.host, options.port, taken).port
        taken.add(port)
        spec = container_spec_for(plan, image, name, gpu, port, options.host)
        argv = eng.run_argv(spec)
        rows.append((argv, explain(argv, plan, spec)))
    return rows


def explain_json(rows: ExplainRows) -> list[dict[str, object]]:
    return [{"argv": a, "explained": [e.to_dict() for e in ex]} for a, ex in rows]


def print_explain(rows: ExplainRows, brief: bool) -> None:
    for argv, explained in rows:
        console.out.print(escape(shlex.join(argv)))
        if brief:
            continue
        console.out.print()
        for item in explained:
            shown = escape(f"{item.flag} {item.value}".strip())
            console.out.print(f"  [bold]{shown}[/bold]\n      {escape(item.why)}")


def dry_run(cfg: Settings, options: UpOptions, as_json: bool, brief: bool) -> None:
    """What `up` would run, changing nothing: no build, no clone, no download, no folders."""
    eng, choice = environment_engine(cfg)
    build = build_options(cfg)
    tag, present = planned_environment(eng, build)
    # Without the image, the GPU probe runs in the base image (nothing is built for a dry run).
    probe_image = None if present else build.spec.base_image
    rows = explain_rows(eng, tag, options, dry_run=True, probe_image=probe_image)
    if as_json:
        console.print_json(
            {
                "ok": True,
                "dry_run": True,
                "engine": choice.to_dict(),
                "image": tag,
                "image_present": present,
                "explain": explain_json(rows),
            }
        )
        return
    console.info(f"engine: {choice.name} ({choice.reason})")
    if not present:
        console.info(f"dry run: {tag} is not built yet; `up` would build it first")
    print_explain(rows, brief)
