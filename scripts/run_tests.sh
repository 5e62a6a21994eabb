#!/usr/bin/env bash
# Runs lint and the whole test suite once per Keras flavor. The flavor is
# fixed per process before TensorFlow is imported, hence two pytest runs:
# Keras 3 (default) and tf_keras (TF_USE_LEGACY_KERAS=1, as tfmot needs).
# Two pytest workers (pytest-xdist, whole files per worker so module
# fixtures are built once). Extra arguments go to both pytest runs, e.g.
# `-k golden` or `-m "not slow"`.
set -euo pipefail
bin=${1:-.venv/bin}
shift || true
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1
start=$SECONDS

echo "== ruff"
"$bin/ruff" check .

echo "== pytest, Keras 3"
env -u TF_USE_LEGACY_KERAS "$bin/python" -m pytest -n 2 --dist loadfile --durations=20 "$@"

echo "== pytest, tf_keras (TF_USE_LEGACY_KERAS=1)"
TF_USE_LEGACY_KERAS=1 "$bin/python" -m pytest -n 2 --dist loadfile --durations=20 "$@"

echo "== both flavors passed in $((SECONDS - start)) s"
