"""Skip-or-fail policy for the real GPU-accelerator run."""

import os

import pytest


def require_gpu_run(result):
    """Skips the test when no Vulkan device exists here, except under CI,
    where SwiftShader is installed and the run must happen."""
    if result.status == "unavailable":
        if os.environ.get("CI"):
            pytest.fail(f"GPU run unavailable under CI: {result.message}")
        pytest.skip(f"no Vulkan device: {result.message}")
