"""Lets `python conversion/x.py` run from a source checkout without installing."""

import os
import sys


def ensure_package_importable():
    try:
        import keras_psa.cli  # noqa: F401
    except ImportError:
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
