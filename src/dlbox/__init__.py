"""dlbox: a reproducible, GPU-ready fast.ai Jupyter environment with one command."""

__version__ = "0.1.0"
