"""Run Triton kernels without a GPU: a script in a fresh interpreter under ``TRITON_INTERPRET=1``."""

import importlib.util
import os
import subprocess
import sys

import pytest

needs_triton = pytest.mark.skipif(
    importlib.util.find_spec("triton") is None, reason="needs Triton (its interpreter runs on the CPU)"
)


def run_interpreted(script: str) -> None:
    """Run ``script`` (which prints "ok" at its end) with Triton's interpreter; fail with its stderr."""
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
