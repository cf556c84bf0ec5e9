"""Fixed places inside the environment, shared by the Dockerfile, the launcher and the local
engine (which maps them to host folders)."""

from __future__ import annotations

VENV = "/opt/dlbox/venv"
# JupyterLab's defaults for learners (news, update checks, extension manager), as lab settings
# overrides: a user's own settings (Settings Editor, ~/.jupyter/lab/user-settings) still win.
LAB_OVERRIDES = "overrides.json"
LAB_SETTINGS_DIR = "share/jupyter/lab/settings"  # inside the environment's venv
TOOLS = "/opt/dlbox/tools"
HOME = "/home/dlbox"
USER = "dlbox"
DEFAULT_UID = 1000
CONTAINER_PORT = 8888
