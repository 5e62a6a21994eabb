"""Exit codes shared by every command-line tool."""

import os

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2  # argparse's own code for bad arguments; also bad input files
EXIT_UNAVAILABLE = 3  # a requested check could not run here (e.g. no Vulkan device)

EXIT_CODES_HELP = (
    "exit codes: 0 success (every requested check passed); 1 a check failed (each "
    "offending op is named); 2 bad arguments or input, nothing written; 3 a check could "
    "not run here (e.g. no Vulkan device; 1 instead when the environment variable CI is set)"
)


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
