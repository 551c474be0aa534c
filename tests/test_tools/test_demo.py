# Copyright (c) mmzedo contributors. All rights reserved.
"""The main job (demo/zedo_demo.py) on a few bundled test poses: it prints
MPJPE and P-MPJPE and writes the 3D results and the picture."""
import json
import os.path as osp

import numpy as np

from ..conftest import REPO_ROOT, run_tool


def test_demo_writes_results_and_picture(open_benchmark, tmp_path):
    root, _ = open_benchmark
    proc = run_tool([
        osp.join(REPO_ROOT, 'demo', 'zedo_demo.py'), '--num-samples', '6',
        '--num-shown', '2', '--out-dir', str(tmp_path), '--cfg-options',
        f'test_dataloader.dataset.data_root={osp.join(root, "h36m-like")}/',
        'model.head.zedo_cfg.loops.main.steps=100',
        'model.head.zedo_cfg.loops.main.warmup=20'
    ], cwd=REPO_ROOT)
    assert 'MPJPE' in proc.stdout and 'P-MPJPE' in proc.stdout
    with open(tmp_path / 'results.json') as f:
        res = json.load(f)
    assert res['summary']['num_samples'] == 6
    assert 0 < res['summary']['prior_time_share'] < 1
    for s in res['samples']:
        pred, gt = np.array(s['pred_3d']), np.array(s['gt_3d'])
        assert pred.shape == gt.shape == (17, 3)
        assert np.isfinite(pred).all()
        assert len(s['keypoints_2d']) == 17 and len(s['energy']) == 1
    png = tmp_path / 'zedo_demo.png'
    assert png.is_file() and png.read_bytes()[:4] == b'\x89PNG'
