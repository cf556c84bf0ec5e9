"""dlbox add/remove edit dlbox.toml in place: only the [extras] list changes."""

from __future__ import annotations

import pytest
import tomllib

from dlbox.errors import ConfigError
from dlbox.extend.tomledit import format_array, set_array

KEEP = """# my project: comments survive
base_image = "debian:bookworm-slim"  # a trailing comment

[extras]
# the system packages
apt = ["graphviz"]
pip = [
    "rich",  # pretty output
    "seaborn",
] # after the list

[other]
x = 1
"""


def test_replaces_a_multiline_list_and_keeps_everything_else() -> None:
    out = set_array(KEEP, "extras", "pip", ["rich", "timm"])
    assert 'pip = ["rich", "timm"] # after the list' in out
    before, after = KEEP.split("pip = [")[0], out.split("pip = [")[0]
    assert before == after  # every byte before the list
    assert out.endswith("\n[other]\nx = 1\n")
    assert tomllib.loads(out)["extras"] == {"apt": ["graphviz"], "pip": ["rich", "timm"]}


def test_creates_the_file_content_and_the_table() -> None:
    assert set_array("", "extras", "pip", ["rich"]) == '[extras]\npip = ["rich"]\n'
    out = set_array("port = 8888", "extras", "pip", ["rich"])
    assert out == 'port = 8888\n\n[extras]\npip = ["rich"]\n'


def test_adds_the_key_inside_an_existing_table_not_after_the_next() -> None:
    out = set_array('[extras]\napt = ["x"]\n[z]\ny = 2\n', "extras", "pip", ["a"])
    assert out == '[extras]\napt = ["x"]\npip = ["a"]\n[z]\ny = 2\n'


def test_long_lists_go_one_item_a_line_and_quotes_are_escaped() -> None:
    names = [f"package-number-{i}" for i in range(8)]
    text = format_array("pip", names)
    assert text.startswith("pip = [\n    ") and text.endswith(",\n]")
    out = set_array("", "extras", "pip", ['weird"name'])
    assert tomllib.loads(out)["extras"]["pip"] == ['weird"name']


def test_strings_with_brackets_and_hashes_do_not_confuse_the_scanner() -> None:
    text = '[extras]\ndockerfile = ["RUN echo \'[x] # not a comment\'"]\npip = ["a"]  # c\n'
    out = set_array(text, "extras", "pip", ["b"])
    assert out == text.replace('["a"]', '["b"]')


@pytest.mark.parametrize("text", ['extras = {pip = ["a"]}\n', 'extras.pip = ["a"]\n'])
def test_refuses_inline_or_dotted_tables(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        set_array(text, "extras", "pip", ["b"])
    assert "plain table" in (info.value.hint or "")


def test_invalid_toml_is_named() -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        set_array("[extras\npip = 1", "extras", "pip", ["b"])
