"""Entry point of `keras-psa-convert` in a source checkout (see keras_psa/cli/convert.py)."""

import sys

from _cli_common import ensure_package_importable

ensure_package_importable()

from keras_psa.cli.convert import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
