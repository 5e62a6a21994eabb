"""Entry point of `keras-psa-train-keypoints` in a source checkout (keras_psa/cli)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from keras_psa.cli.train_keypoints import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
