"""What `dlbox hub` shows as text: how users log in, the status table, users added or removed."""

from __future__ import annotations

from dlbox.cli import console
from dlbox.hub.results import HubStatus, HubUpResult
from dlbox.usecases.hub_commands import UsersChange


def login_help(result: HubUpResult) -> list[str]:
    if result.authenticator == "pam":
        return ["Users log in with their account on this machine (added with `hub users add`)."]
    admin = result.admin or "the admin"
    return [
        f"Users sign up at {result.url}hub/signup (choosing a password), then log in.",
        f"Sign-ups of users added with `dlbox hub users add NAME` are approved at once; "
        f"{admin} approves others at {result.url}hub/authorize.",
    ]


STATUS_HEADERS = ("USER", "SERVER", "GPU", "PORT", "IDLE", "ADMIN")


def status_lines(status: HubStatus) -> list[str]:
    """The hub's URL on a line of its own (whole), then one line per user (as `dlbox ps`)."""
    lines = [f"dlbox hub at {status.url}"]
    rows = [
        (
            user.name,
            user.server,
            user.gpus or "-",
            str(user.port or "-"),
            "-" if user.idle_seconds is None else f"{user.idle_seconds / 60:.0f} min",
            "yes" if user.admin else "",
        )
        for user in status.users
    ]
    if not rows:
        return [*lines, "No users yet: `dlbox hub users add NAME` adds one."]
    widths = [max(len(r[i]) for r in [STATUS_HEADERS, *rows]) for i in range(len(STATUS_HEADERS))]
    for row in [STATUS_HEADERS, *rows]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return lines


def render_change(result: UsersChange, as_json: bool, unchanged: str) -> None:
    if as_json:
        console.print_result(result)
        return
    for name in result.names:
        console.success(
            f"{name} {result.action}" if name in result.changed else unchanged.format(name)
        )
