"""Entry point of `keras-psa-check` in a source checkout (see keras_psa/cli/check.py)."""

import sys

from _cli_common import ensure_package_importable

ensure_package_importable()

from keras_psa.cli.check import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
