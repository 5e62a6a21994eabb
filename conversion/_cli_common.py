"""Shared bits of the conversion CLIs: import path and exit codes."""

import os
import sys

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2  # argparse's own code for bad arguments
EXIT_UNAVAILABLE = 3  # a requested check could not run here (e.g. no Vulkan device)


def ensure_package_importable():
    # Lets `python conversion/x.py` run from a source checkout without installing.
    try:
        import keras_psa.export  # noqa: F401
    except ImportError:
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def exit_code(checks):
    """0 when all passed; 1 when one failed; 3 when some could not run.

    Under CI (env CI set) a check that could not run is a failure: CI installs
    SwiftShader so that the GPU run always happens there.
    """
    statuses = {check.status for check in checks}
    if "failed" in statuses:
        return EXIT_FAILED
    if "unavailable" in statuses:
        return EXIT_FAILED if os.environ.get("CI") else EXIT_UNAVAILABLE
    return EXIT_PASSED
