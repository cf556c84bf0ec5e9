"""`dlbox verify`: prove the environment runs notebooks (the shipped fast.ai lesson 1 ports, or
any notebook), cell by cell, inside the environment container."""

from dlbox.verify.model import NotebookResult, VerifyOptions, VerifyResult
from dlbox.verify.runner import run_verify

__all__ = ["NotebookResult", "VerifyOptions", "VerifyResult", "run_verify"]
