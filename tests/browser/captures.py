"""Write text captures into the docs: every block between `<!-- capture: NAME -->` and
`<!-- /capture -->` in the given Markdown files becomes NAME's text (from the captures folder) in a
fenced block. Used by scripts/screenshots:

    python -m tests.browser.captures docs/images README.md docs/*.md
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

BLOCK = re.compile(r"(<!-- capture: ([\w.-]+) -->\n).*?(<!-- /capture -->)", re.S)


def fill(markdown: str, captures: Path) -> tuple[str, list[str]]:
    used: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(2)
        text = (captures / name).read_text().rstrip("\n")
        used.append(name)
        return f"{match.group(1)}```text\n{text}\n```\n{match.group(3)}"

    return BLOCK.sub(replace, markdown), used


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    captures = Path(argv[0])
    for name in argv[1:]:
        path = Path(name)
        before = path.read_text()
        after, used = fill(before, captures)
        if after != before:
            path.write_text(after)
        if used:
            print(f"{path}: {', '.join(used)}{'' if after != before else ' (unchanged)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
