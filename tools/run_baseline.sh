#!/usr/bin/env bash
# The supervised reference: set up, build the open benchmark from the
# bundled mocap, train mmpose's single-frame VideoPose3D through
# tools/train.py (if its checkpoint is not there yet), and test it through
# tools/test.py on the same rig, two other rigs and detector-like 2D.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
PY=${MMZEDO_VENV:-.venv}/bin/python

"$PY" tools/dataset_converters/build_open_benchmark.py

CFG_DIR=configs/videopose3d
TRAIN_CFG=$CFG_DIR/videopose3d_tcn-1frm_1xb1024-12e_open-cmu-h36m-like.py
WORK=work_dirs/videopose3d_tcn-1frm_open-cmu
CKPT=$WORK/epoch_12.pth
if [ ! -f "$CKPT" ]; then
  start=$(date +%s)
  "$PY" tools/train.py "$TRAIN_CFG" --work-dir "$WORK"
  echo "[main] baseline training took $(( $(date +%s) - start )) s"
fi

rows=()
for pair in \
    "same rig (h36m-like), GT 2D=videopose3d_tcn-1frm_1xb1024-12e_open-cmu-h36m-like.py" \
    "cross-rig (phone-wide), GT 2D=videopose3d_tcn-1frm_open-cmu_test-phone-wide.py" \
    "cross-rig (telephoto), GT 2D=videopose3d_tcn-1frm_open-cmu_test-telephoto.py" \
    "same rig, detector-like 2D=videopose3d_tcn-1frm_open-cmu_test-det.py"; do
  name=${pair%%=*}; cfg=${pair#*=}
  out=$WORK/test_${cfg%.py}
  "$PY" tools/test.py "$CFG_DIR/$cfg" "$CKPT" --work-dir "$out" \
    --out "$out/metrics.json"
  rows+=("$name=$out/metrics.json")
done
echo
echo "[main] VideoPose3D-1frm (trained on the open train split, h36m-like rig, GT 2D):"
"$PY" tools/analysis/metrics_table.py "${rows[@]}"
