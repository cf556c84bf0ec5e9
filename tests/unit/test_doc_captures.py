"""scripts/screenshots' docs writer: capture blocks get the capture's text, the rest is kept."""

from __future__ import annotations

from pathlib import Path

from tests.browser.captures import fill, main


def test_capture_blocks_are_filled_and_the_rest_kept(tmp_path: Path) -> None:
    (tmp_path / "up.txt").write_text("$ dlbox up\nJupyter is ready\n")
    doc = "intro\n<!-- capture: up.txt -->\n```text\nold\n```\n<!-- /capture -->\nafter\n"
    out, used = fill(doc, tmp_path)
    assert used == ["up.txt"]
    assert out == (
        "intro\n<!-- capture: up.txt -->\n```text\n$ dlbox up\nJupyter is ready\n```\n"
        "<!-- /capture -->\nafter\n"
    )
    assert fill(out, tmp_path)[0] == out  # running again changes nothing


def test_main_rewrites_only_files_with_blocks(tmp_path: Path) -> None:
    (tmp_path / "doctor.txt").write_text("all good\n")
    with_block = tmp_path / "a.md"
    with_block.write_text("<!-- capture: doctor.txt -->\n<!-- /capture -->\n")
    without = tmp_path / "b.md"
    without.write_text("nothing here\n")
    assert main([str(tmp_path), str(with_block), str(without)]) == 0
    assert "```text\nall good\n```" in with_block.read_text()
    assert without.read_text() == "nothing here\n"


def test_redact_hides_the_token_and_keeps_table_columns() -> None:
    from tests.browser.session import LabSession

    session = LabSession(Path("/tmp/u1234567"))
    session.token = "ab" * 32
    table = "│ ✓ │ folders │ code /tmp/u1234567/dlbox/code │ │"
    out = session.redact(f"http://127.0.0.1:8888/lab?token={session.token}\n{table}\n")
    assert session.token not in out and "?token=<token>" in out
    row = out.splitlines()[1]
    assert "code ~/dlbox/code" in row and len(row) == len(table)
    assert row.index("│ │") == table.index("│ │")
