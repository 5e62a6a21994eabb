#!/usr/bin/env bash
# Runs lint and the whole test suite once per Keras flavor. The flavor is
# fixed per process before TensorFlow is imported, hence two pytest runs:
# Keras 3 (default) and tf_keras (TF_USE_LEGACY_KERAS=1, as tfmot needs).
# Then the backend-neutral tests (marked `all_backends`: layers, weights,
# models) once more under Keras 3's JAX and PyTorch backends.
# Two pytest workers (pytest-xdist, whole files per worker so module
# fixtures are built once). Extra arguments go to every pytest run, e.g.
# `-k golden` or `-m "not slow"`.
set -euo pipefail
bin=${1:-.venv/bin}
shift || true
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1
start=$SECONDS

echo "== ruff"
"$bin/ruff" check .

echo "== pytest, Keras 3"
env -u TF_USE_LEGACY_KERAS -u KERAS_BACKEND "$bin/python" -m pytest -n 2 --dist loadfile --durations=20 "$@"

echo "== pytest, tf_keras (TF_USE_LEGACY_KERAS=1)"
env -u KERAS_BACKEND TF_USE_LEGACY_KERAS=1 "$bin/python" -m pytest -n 2 --dist loadfile --durations=20 "$@"

# Only these folders hold `all_backends` tests: collecting the others would
# import their TensorFlow-only modules for nothing (tests/conftest.py
# deselects whatever is not marked).
neutral=(tests/layers tests/weights tests/models)
for backend in jax torch; do
    echo "== pytest, Keras 3 on $backend (KERAS_BACKEND=$backend, all_backends tests)"
    pass_start=$SECONDS
    status=0
    env -u TF_USE_LEGACY_KERAS KERAS_BACKEND=$backend "$bin/python" -m pytest -n 2 \
        --dist loadfile --durations=10 "${neutral[@]}" "$@" || status=$?
    # 5: the extra arguments (e.g. -k) selected none of the all_backends tests.
    if [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then exit "$status"; fi
    echo "== $backend pass: $((SECONDS - pass_start)) s"
done

echo "== both flavors and the jax and torch backends passed in $((SECONDS - start)) s"
