#!/usr/bin/env bash
# Creates .venv-mediapipe, a separate environment with MediaPipe Tasks and
# LiteRT, in which the tests run MediaPipe's real ImageSegmenter on exported
# models. It cannot share .venv: mediapipe >= 0.10.30 needs absl-py~=2.3 and
# tensorflow-model-optimization 0.8.1 needs absl-py~=1.2 (older mediapipe
# pins protobuf<5, TensorFlow 2.21 needs protobuf>=6.31).
# Usage: bash scripts/setup_mediapipe_env.sh [PYTHON] [VENV_DIR]
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv-mediapipe}
stamp="$venv/.installed-mediapipe-1.2.3"
if [ -f "$stamp" ]; then
  exit 0
fi
echo "== creating $venv (mediapipe 1.2.3, ai-edge-litert 2.3.0) for the MediaPipe tests"
start=$SECONDS
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "mediapipe==1.2.3" "ai-edge-litert==2.3.0" "numpy<3"
touch "$stamp"
echo "== $venv ready in $((SECONDS - start)) s ($(du -sh "$venv" | cut -f1))"
