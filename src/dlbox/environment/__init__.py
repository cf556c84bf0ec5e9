"""What the dlbox environment is, whoever makes it: the committed lock files (lockset.py) and
the fixed places inside it (layout.py). The image layer turns it into a container image; the
local engine turns it into a venv. Both read it from here, so it sits below both."""
