#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment with the pinned stack:
# torch/torchvision from PyPI's standard build, mmcv 2.1.0 compiled with ops,
# mmdet/mmpose without their unusable deps, and mmzedo itself (editable).
#
# Usage: bash tools/setup_env.sh            (venv in ./.venv, or $MMZEDO_VENV)
# Repeat runs are fast: a stamp of the requirement files skips a satisfied
# environment, and pip's wheel cache keeps the compiled mmcv.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${MMZEDO_VENV:-.venv}
PY=${PYTHON:-python3}

# Use the public registry only: the machine's local find-links hold a
# CPU-only torch that no torchvision works with.
unset PIP_FIND_LINKS
export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1

# The stamp covers the pins and this checkout's path (the editable install
# points here).
stamp_of() {
  { pwd; cat requirements/*.txt setup.py tools/setup_env.sh; } |
    sha256sum | cut -d' ' -f1
}

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP="$VENV/bin/python -m pip"
if [ "$(cat "$VENV/.mmzedo-stamp" 2>/dev/null)" = "$(stamp_of)" ]; then
  echo "[setup_env] $VENV is up to date"
  exit 0
fi
$PIP install -q -r requirements/torch.txt
$PIP install -q -r requirements/build.txt
MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
  $PIP install --no-build-isolation -r requirements/mmcv.txt
$PIP install -q --no-deps -r requirements/openmmlab.txt
$PIP install -q --no-deps -r requirements/mediapipe.txt
$PIP install -q -r requirements/runtime.txt -r requirements/tests.txt
$PIP install -q --no-deps --no-build-isolation -e .
"$VENV/bin/python" -c "import mmcv.ops, mmpose.models, mmzedo, mediapipe; print('[setup_env] ok: mmpose', __import__('mmpose').__version__)"
stamp_of > "$VENV/.mmzedo-stamp"
