# Jupyter defaults for dlbox images (system-wide; a user's ~/.jupyter config still wins).
# The token comes from JUPYTER_TOKEN_FILE (a mounted file), never from argv.
c = get_config()  # type: ignore[name-defined]  # noqa: F821
c.ServerApp.open_browser = False
c.ServerApp.allow_remote_access = True  # inside a container; dlbox binds the host port to 127.0.0.1
c.ServerApp.terminals_enabled = True
c.FileContentsManager.delete_to_trash = False
