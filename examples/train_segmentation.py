"""Entry point of `keras-psa-train` in a source checkout (see keras_psa/cli/train.py)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from keras_psa.cli.train import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
