"""Test configuration shared by the whole suite.

The suite runs once per Keras flavor (see scripts/run_tests.sh): Keras 3 by
default, tf_keras with TF_USE_LEGACY_KERAS=1. Tests that only make sense in
one flavor carry the `keras3_only` or `tf_keras_only` marker and are
deselected (not skipped) in the other. Tests whose outcome cannot depend on
the flavor (TFLite files, data pipelines, scripts that start their own
processes) carry `flavor_independent` and run once, in the Keras 3 pass.

Under a Keras 3 backend other than TensorFlow (KERAS_BACKEND=jax or torch,
the backend passes of scripts/run_tests.sh) only tests marked `all_backends`
run, less those also marked `tensorflow_only` (TFLite, tf.data, tfmot); the
rest are deselected, not skipped.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_psa.keras_flavor import BACKEND  # noqa: E402
from keras_psa.keras_flavor import USING_TF_KERAS  # noqa: E402


def _runs_here(keywords):
    if BACKEND != "tensorflow":
        return "all_backends" in keywords and not {"tensorflow_only", "tf_keras_only"} & keywords
    other = {"keras3_only", "flavor_independent"} if USING_TF_KERAS else {"tf_keras_only"}
    return not other & keywords


def pytest_collection_modifyitems(config, items):
    kept = [item for item in items if _runs_here(set(item.keywords))]
    dropped = [item for item in items if not _runs_here(set(item.keywords))]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_report_header(config):
    flavor = "tf_keras (Keras 2)" if USING_TF_KERAS else "Keras 3"
    return f"keras flavor: {flavor}, backend: {BACKEND}"
