"""What `dlbox up` and `dlbox up --dry-run` show as text."""

from __future__ import annotations

from dlbox.cli import console
from dlbox.cli.progress import print_cuda, print_explained
from dlbox.usecases.up import DryRunResult, UpOutcome


def render_dry_run(result: DryRunResult, brief: bool) -> None:
    console.info(f"engine: {result.engine.name} ({result.engine.reason})")
    if not result.image_present:
        console.info(f"dry run: {result.image} is not built yet; `up` would build it first")
    console.info(f"GPUs: {result.plan.gpu.reason}")
    if brief:
        console.info(f"cuda: {result.cuda.reason}")
        if result.cuda.warning:
            console.warn(result.cuda.warning)
    else:
        print_cuda(result.cuda)
    print_explained(result.commands, brief)


def render_up(outcome: UpOutcome) -> None:
    project, result = outcome.project, outcome.launch
    for warning in project.warnings:
        console.warn(warning)
    lessons = project.lessons
    if lessons and (lessons.copied or lessons.updated):
        console.info(f"lessons: {', '.join(lessons.copied + lessons.updated)} -> {lessons.folder}")
    if lessons and lessons.kept_edited:
        console.info(
            f"lessons: kept your edited {', '.join(lessons.kept_edited)} "
            "(dlbox never overwrites your edits)"
        )
    for note in result.notes:
        console.info(note)
    for warning in result.warnings:
        console.warn(warning)
    console.info(f"gpus: {result.plan.gpu.reason}")
    console.info(f"cuda: {outcome.cuda.reason}")
    if outcome.cuda.warning:
        console.warn(outcome.cuda.warning)
    for s in result.started:
        verb = "already running" if s.reused else f"ready in {s.ready_seconds:.1f} s"
        console.success(f"{s.session.name} {verb}")
        console.out.print(s.url)
