"""Usage errors as dlbox's own errors: Click's parse errors turned into `error:` / `Fix:` (exit 2,
or a JSON error document with --json), with did-you-mean for commands and options."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

try:  # Typer vendors Click (typer._click); its parser raises these
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - a Typer that still uses Click itself
    from click import exceptions as click_errors  # type: ignore[no-redef]

from dlbox.cli import help_page
from dlbox.errors import UsageError


def suggest(
    word: str, names: Sequence[str], synonyms: dict[str, str] | None = None, limit: int = 2
) -> list[str]:
    """The names `word` was probably meant to be: a synonym, a name it starts (3+ letters),
    else the closest spellings."""
    synonyms = {k: v for k, v in (synonyms or {}).items() if v in names}
    if word in synonyms:
        return [synonyms[word]]
    words = {n: n for n in names} | synonyms
    if len(word) >= 3:
        starts = list(dict.fromkeys(words[w] for w in words if w.startswith(word)))
        if starts:
            return starts[:limit]
    close = difflib.get_close_matches(word, list(words), n=3, cutoff=0.6)
    return list(dict.fromkeys(words[w] for w in close))[:limit]


def quoted(items: Sequence[str]) -> str:
    return " or ".join(f"`{i}`" for i in items)


def _option_names(command: Any) -> list[str]:
    names: list[str] = []
    for param in command.params:
        if getattr(param, "param_type_name", "") == "option" and not param.hidden:
            opts = list(param.opts) + list(param.secondary_opts)
            names += [o for o in opts if o.startswith("--")]
    return names


def _takes_command(command: Any) -> bool:
    """A command like `run` whose trailing arguments are a command line of their own."""
    return any(
        getattr(p, "param_type_name", "") == "argument" and str(p.metavar or "").startswith("--")
        for p in command.params
    )


def usage_problem(exc: Exception) -> UsageError:
    """A Click usage error as dlbox's own error: what was wrong, and the one thing to do."""
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "dlbox"
    help_hint = f"`{path} --help` lists what it takes."
    if isinstance(exc, click_errors.NoSuchOption):
        option = exc.option_name
        message = f"`{path}` has no option {option}."
        known = _option_names(ctx.command) if ctx is not None else []
        close = suggest(option, known, limit=1) if option.startswith("--") else []
        hint = f"Did you mean {quoted(close)}? " + help_hint if close else help_hint
        if ctx is not None and _takes_command(ctx.command):
            message = f"`{path}` has no option {option} (the command to run goes after `--`)."
            hint = f"Write `{path} [OPTIONS] -- CMD...`; " + help_hint
        return UsageError(message, hint)
    param = getattr(exc, "param", None)
    if isinstance(exc, click_errors.MissingParameter) and param is not None:
        if getattr(param, "param_type_name", "") == "argument":
            return UsageError(f"`{path}` needs {help_page.argument_label(param)}.", help_hint)
    if isinstance(exc, click_errors.UsageError):
        return UsageError(exc.format_message(), getattr(exc, "hint", None) or help_hint)
    return UsageError(str(exc), help_hint)


class UnknownCommand(click_errors.UsageError):
    def __init__(self, message: str, hint: str, ctx: Any) -> None:
        super().__init__(message, ctx)
        self.hint = hint


def wants_json(argv: list[str], exc: Exception) -> bool:
    """--json among dlbox's own arguments (not after `--`), and not itself the unknown option."""
    own = argv[: argv.index("--")] if "--" in argv else argv
    return "--json" in own and getattr(exc, "option_name", None) != "--json"


def fail(problem: UsageError, as_json: bool) -> NoReturn:
    from dlbox.cli import console

    console.error(problem, as_json)
    sys.exit(problem.exit_code)
