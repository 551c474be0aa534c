#!/usr/bin/env bash
# README command 1: set everything up, build the open benchmark from the
# bundled mocap, and run the main job: ZeDO with the bundled prior and
# anchors on bundled test 2D (demo/zedo_demo.py; extra arguments go to it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
PY=${MMZEDO_VENV:-.venv}/bin/python
"$PY" tools/dataset_converters/build_open_benchmark.py
exec "$PY" demo/zedo_demo.py "$@"
