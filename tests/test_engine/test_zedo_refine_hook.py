# Copyright (c) mmzedo contributors. All rights reserved.
import json
import os.path as osp

import numpy as np
import pytest

from mmzedo.engine.hooks import ZeDORefineHook
from ..conftest import REPO_ROOT, SHIPPED_PRIOR, run_tool

REFINE = osp.join(REPO_ROOT, 'configs', 'zedo_refine',
                  'videopose3d_tcn-1frm_open-cmu_zedo-refine{}.py')
PLAIN = osp.join(REPO_ROOT, 'configs', 'videopose3d',
                 'videopose3d_tcn-1frm_{}.py')
SUBSET = 'test_dataloader.dataset.indices=[0,1500,3000,4500,6000,7500]'


@pytest.mark.parametrize('variant, plain, rig', [
    ('', '1xb1024-12e_open-cmu-h36m-like', 'h36m-like'),
    ('_test-det', 'open-cmu_test-det', 'h36m-like'),
])
def test_refined_metrics_reach_the_evaluator(trained_baseline, tmp_path,
                                             variant, plain, rig):
    root, _, ckpt = trained_baseline
    data_root = f'test_dataloader.dataset.data_root={osp.join(root, rig)}/'
    out = tmp_path / 'refined.json'
    run_tool([
        osp.join(REPO_ROOT, 'tools', 'test.py'),
        REFINE.format(variant), str(ckpt), '--work-dir', str(tmp_path),
        '--out', str(out), '--cfg-options', SUBSET, data_root
    ], cwd=REPO_ROOT)
    refined = json.loads(out.read_text())
    out_plain = tmp_path / 'plain.json'
    run_tool([
        osp.join(REPO_ROOT, 'tools', 'test.py'),
        PLAIN.format(plain), str(ckpt), '--work-dir', str(tmp_path / 'p'),
        '--out', str(out_plain), '--cfg-options', SUBSET, data_root
    ], cwd=REPO_ROOT)
    plain_m = json.loads(out_plain.read_text())
    for key in ('MPJPE', 'P-MPJPE', 'N-MPJPE'):
        # The lifter's own numbers, under distinct names, in the same run...
        assert refined[f'unrefined/{key}'] == pytest.approx(plain_m[key],
                                                            rel=1e-5)
        # ... and the refined ones are what the evaluator scored.
        assert abs(refined[key] - plain_m[key]) > 1e-4


def _zedo_samples(root, n=16):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS
    init_default_scope('mmpose')
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'zedo',
                 'zedo_S1_gt2d_open-cmu-h36m-like.py')).test_dataloader
    cfg.dataset.data_root = osp.join(root, 'h36m-like') + '/'
    ds = DATASETS.build(cfg.dataset)
    idx = np.linspace(0, len(ds) - 1, n).astype(int)
    return [ds[i]['data_samples'] for i in idx]


@pytest.mark.parametrize('root_relative', [False, True])
def test_refining_the_ground_truth_stays_close(open_benchmark,
                                               root_relative):
    from mmengine.structures import InstanceData
    root, _ = open_benchmark
    samples = _zedo_samples(root)
    gts = []
    for s in samples:
        gt = np.asarray(s.gt_instances.lifting_target, np.float32)
        gts.append(gt[0])
        pred = gt - gt[:, :1] if root_relative else gt
        s.pred_instances = InstanceData(keypoints=pred.copy())
    hook = ZeDORefineHook(SHIPPED_PRIOR)
    from mmzedo.core import ScorePrior
    hook.prior = ScorePrior.from_checkpoint(SHIPPED_PRIOR)
    hook.refine(samples)
    errors = []
    for s, gt in zip(samples, gts):
        pred = s.pred_instances.keypoints.reshape(17, 3)
        assert np.isfinite(pred).all()
        if root_relative:
            np.testing.assert_allclose(pred[0], 0, atol=1e-6)
        else:
            np.testing.assert_allclose(pred[0], gt[0], atol=1e-6)
        errors.append(np.linalg.norm((pred - pred[0]) - (gt - gt[0]),
                                     axis=-1).mean())
    assert 1000 * np.mean(errors) < 25  # mm (the baseline's error: ~90)
    assert 1000 * np.mean(errors) > 0.1  # it did move
