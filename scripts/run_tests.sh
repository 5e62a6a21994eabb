#!/usr/bin/env bash
# Runs lint and the test suite: one pytest run per Keras flavor, then the
# backend-neutral tests under JAX and PyTorch. The flavor is fixed per process
# before TensorFlow is imported, hence separate runs (docs/testing.md):
# - Keras 3 (default): every test, less those marked `tf_keras_only`.
# - tf_keras (TF_USE_LEGACY_KERAS=1, as tfmot needs): only what can differ
#   between the flavors, that is every test not marked `flavor_independent`
#   (TFLite files, data, scripts that start their own processes run once, in
#   the Keras 3 pass) or `keras3_only`.
# - Keras 3 on JAX and on PyTorch: the tests marked `all_backends` (layers,
#   weights, models), less those also marked `tensorflow_only`.
# Two pytest workers (pytest-xdist). Each file is one work unit, so its module
# fixtures are built once, less the slow tests tests/work_units.py lists;
# the units go out costliest first (tests/conftest.py), hence no reordering
# by xdist. Extra arguments go to every pytest run, e.g. `-k golden` or
# `-m "not slow"`.
set -euo pipefail
bin=${1:-.venv/bin}
shift || true
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1
start=$SECONDS
xdist=(-n 2 --dist loadfile --no-loadscope-reorder)

echo "== ruff"
"$bin/ruff" check .

echo "== pytest, Keras 3"
pass_start=$SECONDS
env -u TF_USE_LEGACY_KERAS -u KERAS_BACKEND "$bin/python" -m pytest "${xdist[@]}" \
    --durations=20 "$@"
echo "== Keras 3 pass: $((SECONDS - pass_start)) s"

echo "== pytest, tf_keras (TF_USE_LEGACY_KERAS=1, the flavor-dependent tests)"
pass_start=$SECONDS
env -u KERAS_BACKEND TF_USE_LEGACY_KERAS=1 "$bin/python" -m pytest "${xdist[@]}" \
    --durations=20 "$@"
echo "== tf_keras pass: $((SECONDS - pass_start)) s"

# Only these folders hold `all_backends` tests: collecting the others would
# import their TensorFlow-only modules for nothing (tests/conftest.py
# deselects whatever is not marked).
neutral=(tests/layers tests/weights tests/models)
for backend in jax torch; do
    echo "== pytest, Keras 3 on $backend (KERAS_BACKEND=$backend, all_backends tests)"
    pass_start=$SECONDS
    status=0
    env -u TF_USE_LEGACY_KERAS KERAS_BACKEND=$backend "$bin/python" -m pytest "${xdist[@]}" \
        --durations=10 "${neutral[@]}" "$@" || status=$?
    # 5: the extra arguments (e.g. -k) selected none of the all_backends tests.
    if [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then exit "$status"; fi
    echo "== $backend pass: $((SECONDS - pass_start)) s"
done

echo "== both flavors and the jax and torch backends passed in $((SECONDS - start)) s"
