"""Entry point of `keras-psa-compile-npu` in a source checkout (keras_psa/cli/compile_npu.py)."""

import sys

from _cli_common import ensure_package_importable

ensure_package_importable()

from keras_psa.cli.compile_npu import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
