"""The check every TensorFlow-only command-line tool runs first."""

import sys

from keras_psa.cli.exit_codes import EXIT_USAGE
from keras_psa.keras_flavor import require_tensorflow_backend


def exit_unless_tensorflow_backend(tool):
    """Prints why and exits with code 2 unless Keras runs on TensorFlow.

    A one-line error instead of a traceback from deep inside TensorFlow or
    the TFLite converter.
    """
    try:
        require_tensorflow_backend(tool)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None
