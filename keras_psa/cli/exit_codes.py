"""Exit codes shared by every command-line tool."""

import os

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2  # argparse's own code for bad arguments; also bad input files
EXIT_UNAVAILABLE = 3  # a requested check could not run here (e.g. no Vulkan device)
EXIT_NOT_JUDGED = 4  # an int8 file checked on random images: pass real ones (--images)

EXIT_CODES_HELP = (
    "exit codes: 0 success (every requested check passed); 1 a check failed (each "
    "offending op is named); 2 bad arguments or input, nothing written; 3 a check could "
    "not run here (e.g. no Vulkan device; 1 instead when the environment variable CI is set); "
    "4 not judged: an int8 file was run on random images, which cannot judge its labels or "
    "keypoints (pass real ones with --images)"
)


def unavailable_exit_code():
    """3 for what cannot run here (no Vulkan device, ...); 1 under CI, which provides it."""
    return EXIT_FAILED if os.environ.get("CI") else EXIT_UNAVAILABLE


def exit_code(checks):
    """0 when all passed; 1 when one failed; 3 when some could not run; 4 when the
    rest passed but an int8 file's task-level result was not judged (random inputs).

    Under CI (env CI set) a check that could not run is a failure: CI installs
    SwiftShader so that the GPU run always happens there.
    """
    statuses = {check.status for check in checks}
    if "failed" in statuses:
        return EXIT_FAILED
    if "unavailable" in statuses:
        return unavailable_exit_code()
    if "not judged" in statuses:
        return EXIT_NOT_JUDGED
    return EXIT_PASSED
