"""Skip-or-fail policy of the browser tests, and the tiny files they run."""

import os

import numpy as np
import pytest

from keras_psa.web import WebSetupError
from keras_psa.web import find_web_tools

PIXEL_RANGE = (0.0, 255.0)
SIZE = 32


def require_web_tools():
    """The `WebTools` of this machine; the test skips where Node, `npm ci`'s packages or
    Chromium is missing, except under CI, which installs them (make test)."""
    try:
        return find_web_tools()
    except WebSetupError as error:
        if os.environ.get("CI"):
            pytest.fail(f"browser runs unavailable under CI: {error}")
        pytest.skip(str(error))


def digit_images(count=4):
    """Real 32x32 digit scenes as the page gets them: whole values 0..255."""
    from keras_psa.data import validation_examples

    images, _ = validation_examples("digits", SIZE, count=count)
    return np.clip(np.round(images), 0, 255).astype(np.float32)
