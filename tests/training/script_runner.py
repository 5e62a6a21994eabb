"""Runs the installed keras-psa-train command in a subprocess (tests only)."""

import importlib.util
import os
import subprocess
import sys

from tests.installed_tools import tool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = tool("keras-psa-train")

# Smallest useful run: 64x64 digits, a thin backbone and head, 2 epochs of 6 steps,
# validated on 16 scenes.
TINY_ARGS = (
    "--dataset", "digits", "--image-size", "64", "--alpha", "0.35", "--head-filters", "16",
    "--batch-size", "4", "--train-examples", "32", "--val-examples", "16", "--epochs", "2",
    "--steps-per-epoch", "6",
    "--backup-steps", "2", "--num-pictures", "2", "--verbose", "2", "--deterministic",
)


def script_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def start_script(args, prelude=None):
    """Starts the script with `args`; `prelude` is Python run first in the same process."""
    if prelude is None:
        command = [SCRIPT, *args]
    else:
        code = (f"{prelude}\nimport runpy, sys\nsys.argv = {[SCRIPT, *args]!r}\n"
                "runpy.run_module('keras_psa.cli.train', run_name='__main__')")
        command = [sys.executable, "-c", code]
    return subprocess.Popen(command, env=script_env(), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def run_script(args, prelude=None, timeout=600):
    """Runs the script to the end; returns (returncode, output)."""
    process = start_script(args, prelude)
    output, _ = process.communicate(timeout=timeout)
    return process.returncode, output


def load_script(*path):
    """Imports the script at ROOT/`path` (e.g. "examples", "pipeline.py") as a module."""
    name = os.path.splitext(path[-1])[0]
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, *path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
