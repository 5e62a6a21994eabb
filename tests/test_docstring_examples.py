"""The `>>>` examples in the package's docstrings run and print what they say (Keras 3).

Examples that need files, PyTorch or tf_keras are fenced code blocks instead,
so every `>>>` example in keras_psa is checked here.
"""

import doctest
import importlib
import pkgutil

import numpy as np
import pytest
import tensorflow as tf

import keras_psa
from keras_psa.keras_flavor import keras

pytestmark = pytest.mark.keras3_only


# tf_keras only: their examples must be fenced blocks, not `>>>`.
UNRUNNABLE_HERE = ("keras_psa.quantization",)


def _modules_with_examples():
    names = []
    for info in pkgutil.walk_packages(keras_psa.__path__, "keras_psa."):
        spec = importlib.util.find_spec(info.name)
        if spec.origin and spec.origin.endswith(".py"):
            with open(spec.origin, encoding="utf-8") as file:
                if ">>>" in file.read():
                    names.append(info.name)
    return names


ALL = _modules_with_examples()
MODULES = [name for name in ALL if not name.startswith(UNRUNNABLE_HERE)]


def test_examples_that_cannot_run_here_are_fenced():
    assert len(MODULES) >= 10, MODULES
    assert [name for name in ALL if name.startswith(UNRUNNABLE_HERE)] == []


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    keras.utils.set_random_seed(0)
    failures, attempted = doctest.testmod(
        module, extraglobs={"np": np, "tf": tf, "keras": keras}, report=True,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0 and failures == 0
