"""The MediaPipe environment the tests run MediaPipe Tasks in (scripts/setup_mediapipe_env.sh)."""

import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNNER = os.path.join(ROOT, "scripts", "mediapipe_segment.py")
SETUP = "bash scripts/setup_mediapipe_env.sh"


def mediapipe_python():
    """The MediaPipe environment's python; fails under CI when it is missing
    (`make test` creates it there), else skips with the command that creates it."""
    python = os.environ.get("KERAS_PSA_MEDIAPIPE_PYTHON",
                            os.path.join(ROOT, ".venv-mediapipe", "bin", "python"))
    if os.path.isfile(python):
        return python
    message = f"no MediaPipe environment at {python}: create it with `{SETUP}`"
    if os.environ.get("CI"):
        pytest.fail(f"CI needs the MediaPipe environment (make test creates it). {message}")
    pytest.skip(message)


def run_mediapipe(model_path, images_path=None, output_path=None, metadata_only=False,
                  repeats=0):
    """Runs scripts/mediapipe_segment.py in the MediaPipe environment; returns its JSON."""
    command = [mediapipe_python(), RUNNER, os.fspath(model_path)]
    if metadata_only:
        command.append("--metadata-only")
    else:
        command += ["--images", os.fspath(images_path), "--output", os.fspath(output_path)]
    if repeats:
        command += ["--repeats", str(repeats)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300,
                          env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise AssertionError(f"MediaPipe runner failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(lines[-1])
