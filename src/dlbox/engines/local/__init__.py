"""The local engine: the same environment without a container engine (macOS, no-Docker hosts).

engine.py   LocalEngine, the Engine protocol answered with host processes
venvs.py    the "image": a virtual environment made by uv from the committed lock
host.py     the container's stand-ins: container paths mapped to host folders, the environment,
            what the image's start script does (fastai config, data link)
processes.py session records, liveness, and stopping a whole process tree
"""

from dlbox.engines.local.engine import LocalEngine

__all__ = ["LocalEngine"]
