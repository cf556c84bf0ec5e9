"""A command's help page from its Click parameters: the usage line, the Arguments and Options
sections (grouped by `rich_help_panel`), value names and defaults. The text layout it uses
(wrapping, definition lists) is in cli/help_text.py."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from dlbox.cli.help_text import block, left_width, paragraphs, section, sentence, wrap

OPTIONS = "Options"
HELP = "Print this help"  # the -h/--help line, as `dlbox --help` says it
ARGUMENTS = "Arguments"


# Value names by the option name's last word: --code-dir DIR, --max-unpacked-mb MB.
VALUE_NAMES = {
    "dir": "DIR",
    "mb": "MB",
    "size": "SIZE",
    "url": "URL",
    "file": "FILE",
    "timeout": "SECONDS",
    "retries": "N",
    "tail": "N",
    "files": "N",
    "bundle": "FILE",  # --ca-bundle FILE
    "cert": "FILE",  # --ssl-cert FILE
    "key": "FILE",  # --ssl-key FILE
    "image": "IMAGE",  # --base-image IMAGE
    "policy": "POLICY",  # --gpu-policy POLICY
    "authenticator": "KIND",
    "admin": "USER",
}


def _value_name(param: Any) -> str:
    if param.metavar:
        return str(param.metavar)
    longs = [o for o in param.opts if o.startswith("--")]
    name = longs[0][2:].replace("-", "_") if longs else str(param.name or "value")
    return VALUE_NAMES.get(name.rsplit("_", 1)[-1], name.upper())


def option_label(param: Any) -> str:
    """`-f, --follow` for a flag, `    --port PORT` for a value option."""
    opts = list(param.opts) + list(param.secondary_opts)
    shorts = [o for o in opts if not o.startswith("--")]
    longs = [o for o in opts if o.startswith("--")]
    label = ", ".join(shorts + longs)
    if not shorts:
        label = "    " + label
    if not param.is_flag and not getattr(param, "count", False):
        label += " " + _value_name(param)
        if getattr(param, "multiple", False):
            label += "..."
    return label


def _default_note(param: Any) -> str:
    default = param.default
    if param.is_flag or default is None or default == () or default == []:
        return ""
    if callable(default) or getattr(param, "show_default", True) is False:
        return ""
    if isinstance(default, float) and default.is_integer():
        default = int(default)
    return f" [default: {default}]"


def option_help(param: Any) -> str:
    return sentence(param.help) + _default_note(param)


def argument_label(param: Any) -> str:
    """`NAME`, `[NAME]`, `NAMES...` or `[NAMES]...`; an explicit metavar is used as written."""
    if param.metavar:
        return str(param.metavar)
    name = str(param.name).upper()
    label = name if param.required else f"[{name}]"
    return label + ("..." if param.nargs != 1 else "")


def usage_line(prog: str, params: Iterable[Any], subcommand: str | None = None) -> str:
    parts = [prog, "[OPTIONS]"]
    parts += [argument_label(p) for p in params if _is_argument(p) and not p.hidden]
    if subcommand:
        parts.append(subcommand)
    return "Usage: " + " ".join(parts)


def _is_argument(param: Any) -> bool:
    return getattr(param, "param_type_name", "") == "argument"


def panels(params: Iterable[Any], help_param: Any | None) -> list[tuple[str, list[Any]]]:
    """Options grouped by `rich_help_panel`: the default group first, named groups in the order
    they first appear; --help ends the default group."""
    groups: dict[str, list[Any]] = {OPTIONS: []}
    for param in params:
        if param.hidden or _is_argument(param) or param is help_param:
            continue
        groups.setdefault(panel_of(param) or OPTIONS, []).append(param)
    if help_param is not None:
        groups[OPTIONS].append(help_param)
    return [(name, items) for name, items in groups.items() if items]


def panel_of(item: Any) -> str | None:
    """The `rich_help_panel` a command or option names (Typer's unset placeholder is None)."""
    panel = getattr(item, "rich_help_panel", None)
    return panel if isinstance(panel, str) else None


def render_command(
    *,
    prog: str,
    doc: str | None,
    params: Sequence[Any],
    help_param: Any | None,
    commands: Sequence[tuple[str, list[tuple[str, str]]]] = (),
    epilog: str | None = None,
) -> str:
    """The whole help page for one command or group (`commands` lists a group's sections)."""
    lines: list[str] = []
    for para in paragraphs(doc):
        lines.extend([""] if lines else [])
        lines.extend(block(para))
    if lines:
        lines.append("")
    lines.append(usage_line(prog, params, "COMMAND" if commands else None))
    left = left_width(row for _, rows in commands for row in rows)
    for title, rows in commands:
        lines.extend(section(title, rows, left))
    arguments = [p for p in params if _is_argument(p) and not p.hidden]
    groups = [(ARGUMENTS, [(argument_label(p), sentence(p.help)) for p in arguments])]
    groups += [
        (title, [(option_label(p), HELP if p is help_param else option_help(p)) for p in items])
        for title, items in panels(params, help_param)
    ]
    left = left_width(row for _, rows in groups for row in rows)
    for title, rows in groups:
        lines.extend(section(title, rows, left))
    if epilog:
        lines.append("")
        lines.extend(wrap(epilog))
    return "\n".join(lines) + "\n"
