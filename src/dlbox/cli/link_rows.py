"""Rows with a link last (a URL, a repository address), for the terminal's width: on the row
when every row fits, else on its own indented line below the row, whole, so it stays clickable
and copyable. `ps` and `course list` print their tables this way."""

from __future__ import annotations

from collections.abc import Sequence


def link_last_lines(
    headers: Sequence[str],
    link_header: str,
    rows: Sequence[Sequence[str]],
    links: Sequence[str],
    width: int,
) -> list[str]:
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        padded = [c.ljust(w) for c, w in zip(cells, widths, strict=False)]
        return "  ".join(padded + list(cells[len(widths) :])).rstrip()

    pairs = list(zip(rows, links, strict=True))
    if all(len(line([*r, u])) <= width for r, u in pairs):
        return [line([*headers, link_header])] + [line([*r, u]) for r, u in pairs]
    lines = [line(headers)]
    for r, u in pairs:
        lines += [line(r), "  " + u]
    return lines
