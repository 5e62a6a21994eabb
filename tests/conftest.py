"""Test configuration shared by the whole suite.

The suite runs once per Keras flavor (see scripts/run_tests.sh): Keras 3 by
default, tf_keras with TF_USE_LEGACY_KERAS=1. Tests that only make sense in
one flavor carry the `keras3_only` or `tf_keras_only` marker and are
deselected (not skipped) in the other. Tests whose outcome cannot depend on
the flavor (TFLite files, data pipelines, scripts that start their own
processes) carry `flavor_independent` and run once, in the Keras 3 pass.
A test without either mark runs in both passes: a new test file is checked
under both flavors until its author marks it. The folders in
FLAVOR_INDEPENDENT_FOLDERS are flavor_independent as a whole (a browser sees
only .tflite files).

Under a Keras 3 backend other than TensorFlow (KERAS_BACKEND=jax or torch,
the backend passes of scripts/run_tests.sh) only tests marked `all_backends`
run, less those also marked `tensorflow_only` (TFLite, tf.data, tfmot); the
rest are deselected, not skipped.

Under pytest-xdist (`--dist loadfile --no-loadscope-reorder`, as
scripts/run_tests.sh runs it) each test file is one work unit, so its module
fixtures are built once, less the slow tests that tests/work_units.py lists as
units of their own. Units go out costliest first: the sum of their tests'
`cost` marks (seconds measured on the 2-core CI; a `slow` test without one
counts 20 s, any other 1 s), so the last unit to start is a short one and the
two workers end together. docs/testing.md says what each pass covers and how
fixtures are shared.
"""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_psa.keras_flavor import BACKEND  # noqa: E402
from keras_psa.keras_flavor import USING_TF_KERAS  # noqa: E402

# Whole folders whose tests the flavor cannot change (a browser sees only .tflite files).
FLAVOR_INDEPENDENT_FOLDERS = ("tests/web/",)


def _runs_here(keywords):
    if BACKEND != "tensorflow":
        return "all_backends" in keywords and not {"tensorflow_only", "tf_keras_only"} & keywords
    other = {"keras3_only", "flavor_independent"} if USING_TF_KERAS else {"tf_keras_only"}
    return not other & keywords


# Seconds a test counts for in the order of the work units, without a `cost` mark.
SLOW_COST_S = 20.0
DEFAULT_COST_S = 1.0


def _cost(item):
    mark = item.get_closest_marker("cost")
    if mark is not None:
        return float(mark.args[0])
    return SLOW_COST_S if item.get_closest_marker("slow") else DEFAULT_COST_S


def _costliest_units_first(items):
    """`items` unit by unit (tests/work_units.py), costliest unit first; a unit's own tests
    keep their order."""
    from tests.work_units import work_unit

    units = {}
    for item in items:
        units.setdefault(work_unit(item.nodeid), []).append(item)
    ordered = sorted(units.values(), key=lambda unit: -sum(map(_cost, unit)))
    return [item for unit in ordered for item in unit]


# tryfirst: before xdist's own choice for --dist loadfile.
@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from tests.work_units import unit_scheduler

    return unit_scheduler(config, log)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.startswith(FLAVOR_INDEPENDENT_FOLDERS):
            item.add_marker(pytest.mark.flavor_independent)
    kept = [item for item in items if _runs_here(set(item.keywords))]
    dropped = [item for item in items if not _runs_here(set(item.keywords))]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = _costliest_units_first(kept)


def pytest_report_header(config):
    flavor = "tf_keras (Keras 2)" if USING_TF_KERAS else "Keras 3"
    return f"keras flavor: {flavor}, backend: {BACKEND}"
