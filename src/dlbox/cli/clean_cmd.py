"""`dlbox clean`: list what dlbox made that nothing needs any more, with sizes; --yes removes it."""

from __future__ import annotations

import typer

from dlbox.cli import console, help_text
from dlbox.cli.common import JSON_HELP, guarded, settings
from dlbox.cli.progress_text import human
from dlbox.usecases.clean import CleanPlan, Kind, apply_clean, only, plan_clean
from dlbox.usecases.engines import container_engine_or_none

KINDS: tuple[Kind, ...] = ("image", "venv", "cache")


def human_size(size: int | None) -> str:
    return "?" if size is None else human(size)


def plan_lines(plan: CleanPlan, width: int | None = None) -> list[str]:
    """One line per item: size, kind, what (a path or image name, whole), why."""
    width = width or help_text.width()
    lines: list[str] = []
    for item in plan.items:
        head = f"{human_size(item.size):>9}  {item.kind:<5}  "
        text = f"{item.what}  ({item.why})"
        if len(head) + len(text) <= width:
            lines.append(head + text)
        else:  # the reason beside the size, the path or name whole on the next line
            indent = len(head) if len(head) + len(item.what) <= width else 2
            lines += [head + f"({item.why})", " " * indent + item.what]
    return lines


def register(app: typer.Typer) -> None:
    @app.command(name="clean")
    def clean_command(
        yes: bool = typer.Option(False, "--yes", "-y", help="Remove them (default: only list)."),
        kinds: list[str] = typer.Option(
            [], "--only", metavar="KIND", help="Only this kind: image, venv or cache (repeatable)."
        ),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Remove old environment images, unused local venvs and caches.

        Lists what it would remove, with sizes, and removes nothing unless you pass --yes. Old
        images are the dlbox environment images other than the current one and those a
        container uses (every lock change leaves a ~7 GB image). Your code and data folders
        are never touched."""

        def body() -> None:
            from dlbox.errors import UsageError

            bad = [k for k in kinds if k not in KINDS]
            if bad:
                raise UsageError(
                    f"--only {bad[0]} is not a kind dlbox cleans.",
                    "Use --only image, --only venv or --only cache.",
                )
            cfg = settings()
            # without an engine, venvs and caches can still be cleaned
            plan = plan_clean(cfg, container_engine_or_none(cfg))
            if kinds:
                plan = only(plan, [k for k in KINDS if k in kinds])
            if not yes:
                _show_plan(plan, as_json)
                return
            result = apply_clean(
                plan, lambda item: None if as_json else console.info(f"removing {item.what}")
            )
            if as_json:
                console.print_result(result, ok=not result.failed)
            else:
                for item, why in result.failed:
                    console.warn(f"could not remove {item.what}: {why}")
                console.success(f"freed {human_size(result.freed)} ({len(result.removed)} removed)")
            if result.failed:
                raise typer.Exit(1)

        guarded(body, as_json)


def _show_plan(plan: CleanPlan, as_json: bool) -> None:
    if as_json:
        console.print_result(plan, dry_run=True)
        return
    for note in plan.notes:
        console.info(f"note: {note}")
    for kept in plan.kept:
        console.info(f"keeping {kept.what} ({kept.why})")
    if not plan.items:
        console.info("nothing to clean")
        return
    for line in plan_lines(plan):
        console.out.print(line, markup=False, highlight=False)
    console.info(
        f"{human_size(plan.total)} in {len(plan.items)} items; run `dlbox clean --yes` to remove "
        "them (nothing was removed)"
    )
