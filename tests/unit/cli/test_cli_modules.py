"""The CLI stays thin: each module holds at most ~150 lines of logic (the rest lives in use cases),
and every --json document goes through the one renderer (output.print_result, which console
re-exports, or output.print_results for `ps`'s bare array)."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import dlbox.cli

CLI = Path(dlbox.cli.__file__).parent
MAX_LOGIC_LINES = 150
SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}


def logic_lines(source: str) -> int:
    """Lines holding code: not blank, not only a comment, not part of a docstring."""
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = body[0] if body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                docstrings.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    code: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in SKIPPED and token.type != tokenize.ENDMARKER:
            code.update(range(token.start[0], token.end[0] + 1))
    return len(code - docstrings)


def test_the_counter_counts_code_only() -> None:
    source = '"""Module doc,\non two lines."""\n\n# a comment\nx = 1\n\n\n'
    source += 'def f(\n    a: int,\n) -> int:\n    """Doc."""\n    return a  # trailing comment\n'
    assert logic_lines(source) == 5  # x = 1; def f( ; a: int, ; ) -> int: ; return a


def test_no_cli_module_holds_more_than_150_lines_of_logic() -> None:
    sizes = {p.name: logic_lines(p.read_text()) for p in sorted(CLI.glob("*.py"))}
    too_big = {name: n for name, n in sizes.items() if n > MAX_LOGIC_LINES}
    assert not too_big, (
        f"CLI modules over {MAX_LOGIC_LINES} lines of logic: {too_big}. Move the work into a use "
        "case (src/dlbox/usecases) or the rendering into a <thing>_view.py module."
    )


def test_only_the_renderer_writes_json() -> None:
    callers = [
        p.name
        for p in sorted(CLI.glob("*.py"))
        if p.name not in ("output.py", "console.py") and "print_json(" in p.read_text()
    ]
    assert not callers, f"{callers} call print_json; use console.print_result"
