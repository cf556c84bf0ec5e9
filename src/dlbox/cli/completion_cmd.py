"""`dlbox completion SHELL`: the script that gives dlbox tab completion in that shell."""

from __future__ import annotations

import typer

from dlbox.cli.common import guarded

SHELLS = ("bash", "zsh", "fish", "powershell")
COMPLETE_VAR = "_DLBOX_COMPLETE"


def register(app: typer.Typer) -> None:
    @app.command(name="completion")
    def completion_command(
        shell: str = typer.Argument(..., help="bash, zsh, fish or powershell."),
    ) -> None:
        """Print the shell completion script for bash, zsh, fish or PowerShell.

        Load it in your shell's start-up file:

            bash:  echo 'eval "$(dlbox completion bash)"' >> ~/.bashrc
            zsh:   echo 'eval "$(dlbox completion zsh)"' >> ~/.zshrc
            fish:  dlbox completion fish > ~/.config/fish/completions/dlbox.fish"""

        def body() -> None:
            from dlbox.errors import UsageError

            if shell not in SHELLS:
                raise UsageError(
                    f"dlbox has no completion script for {shell!r}.",
                    f"Use one of: {', '.join(SHELLS)}.",
                )
            from typer._completion_shared import get_completion_script

            script = get_completion_script(
                prog_name="dlbox", complete_var=COMPLETE_VAR, shell=shell
            )
            typer.echo(script)

        guarded(body)
