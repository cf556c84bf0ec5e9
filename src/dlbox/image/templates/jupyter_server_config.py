# Jupyter defaults for dlbox images (system-wide; a user's ~/.jupyter config still wins).
# The token comes from JUPYTER_TOKEN_FILE (a mounted file), never from argv.
c = get_config()  # type: ignore[name-defined]  # noqa: F821
c.ServerApp.open_browser = False
c.ServerApp.allow_remote_access = True  # inside a container; dlbox binds the host port to 127.0.0.1
c.ServerApp.terminals_enabled = True
c.FileContentsManager.delete_to_trash = False
# Learners' machines and classrooms are often offline: JupyterLab asks the internet for nothing.
# No news feed, no update check, and an extension manager that lists what is installed without
# searching PyPI. (The lab's own settings are in share/jupyter/lab/settings/overrides.json.)
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.LabApp.extension_manager = "readonly"
