#!/usr/bin/env bash
# Fails early, with the fix, when the interpreter cannot host TensorFlow 2.21.
set -euo pipefail
python=${1:-python3}
if ! command -v "$python" >/dev/null; then
  echo "error: $python not found; install Python 3.11, or run: make PYTHON=/path/to/python3.11 ..." >&2
  exit 1
fi
"$python" -c '
import sys
if not (3, 11) <= sys.version_info[:2] <= (3, 13):
    sys.exit("error: keras-psa needs Python 3.11 (3.12 and 3.13 also work with TensorFlow 2.21); "
             f"found {sys.version.split()[0]}. Run: make PYTHON=/path/to/python3.11 ...")
'
