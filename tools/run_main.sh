#!/usr/bin/env bash
# README command 1: set everything up and run the main job: a real bundled
# video lifted from pixels to 3D, offline (BlazePose 2D, ZeDO with the
# bundled prior, focal length estimated), writing work_dirs/main_job/
# (predictions.json, track_*.bvh, lifted.gif, vis/); then the open
# benchmark is built from the bundled mocap and ZeDO is scored on it
# (demo/zedo_demo.py; extra arguments go to it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
PY=${MMZEDO_VENV:-.venv}/bin/python
rm -rf work_dirs/main_job.tmp
"$PY" demo/zedo_lift_demo.py data/media/street_demo.mp4 \
  --out-dir work_dirs/main_job.tmp --no-progress
rm -rf work_dirs/main_job && mv work_dirs/main_job.tmp work_dirs/main_job
echo "[main job] video lifted: work_dirs/main_job/"
"$PY" tools/dataset_converters/build_open_benchmark.py
exec "$PY" demo/zedo_demo.py "$@"
