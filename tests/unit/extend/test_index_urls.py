"""[extras] extra_index_urls: more package indexes for the pip extras, everywhere they install."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dlbox.errors import ConfigError
from dlbox.extend import resolve
from dlbox.extend.project_extras import extras_table
from dlbox.image.context import build_context
from dlbox.image.spec import EnvSpec, Extras

INDEX = "https://my.index.example/simple"


def test_index_urls_are_read_and_checked() -> None:
    table = extras_table({"pip": ["rich"], "extra_index_urls": [INDEX]}, "dlbox.toml")
    assert table["extra_index_urls"] == [INDEX]
    with pytest.raises(ConfigError) as bad:
        extras_table({"extra_index_urls": ["not a url"]}, "dlbox.toml")
    assert "not a package index URL" in bad.value.message
    with pytest.raises(ConfigError) as secret:
        extras_table({"extra_index_urls": ["https://me:tok@my.index/simple"]}, "dlbox.toml")
    assert "credentials" in secret.value.message and "tok" not in secret.value.message


def test_dockerfile_installs_extras_with_the_index_and_tag_changes() -> None:
    plain = build_context(EnvSpec(extras=Extras(pip=("rich",))))
    indexed = build_context(EnvSpec(extras=Extras(pip=("rich",), extra_index_urls=(INDEX,))))
    assert f"--extra-index-url {INDEX}" in indexed.dockerfile
    assert "--extra-index-url" not in plain.dockerfile
    assert indexed.tag != plain.tag
    # The environment's own layers never use it: only the extras RUN does.
    assert indexed.dockerfile.count("--extra-index-url") == 1


def test_resolution_asks_the_same_indexes(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    def fake_run(argv: list[str], **_kw: Any) -> Any:
        seen.append(list(argv))
        out = Path(argv[argv.index("-o") + 1])
        out.write_text("")
        return type("Done", (), {"returncode": 0, "stdout": "", "stderr": ""})()

    monkeypatch.setattr(resolve.process, "run", fake_run)
    resolve.resolve_extras(["rich"], extra_index_urls=[INDEX])
    assert seen and all(argv[-2:] == ["--extra-index-url", INDEX] for argv in seen)
