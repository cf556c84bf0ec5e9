"""Security tests run in an empty working folder, so no dlbox.toml from the checkout leaks in."""

from tests.unit.workdir import user_file, workdir

__all__ = ["user_file", "workdir"]
