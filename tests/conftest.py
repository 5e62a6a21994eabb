"""Test configuration shared by the whole suite.

The suite runs once per Keras flavor (see scripts/run_tests.sh): Keras 3 by
default, tf_keras with TF_USE_LEGACY_KERAS=1. Tests that only make sense in
one flavor carry the `keras3_only` or `tf_keras_only` marker and are
deselected (not skipped) in the other. Tests whose outcome cannot depend on
the flavor (TFLite files, data pipelines, scripts that start their own
processes) carry `flavor_independent` and run once, in the Keras 3 pass.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_psa.keras_flavor import USING_TF_KERAS  # noqa: E402


def pytest_collection_modifyitems(config, items):
    other = {"keras3_only", "flavor_independent"} if USING_TF_KERAS else {"tf_keras_only"}
    kept = [item for item in items if not other & set(item.keywords)]
    dropped = [item for item in items if other & set(item.keywords)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_report_header(config):
    return f"keras flavor: {'tf_keras (Keras 2)' if USING_TF_KERAS else 'Keras 3'}"
