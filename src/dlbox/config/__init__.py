"""Layered settings: built-in defaults < user config file < project dlbox.toml < DLBOX_* < flags."""

from dlbox.config.load import PROJECT_FILE, Settings, Value, find_project_file, load_settings

__all__ = ["PROJECT_FILE", "Settings", "Value", "find_project_file", "load_settings"]
