# Copyright (c) mmzedo contributors. All rights reserved.
"""Slow: the shipped prior's training run, config unchanged but for paths,
through mmengine's Runner (what tools/train.py does), then published. The
retrained prior must meet the shipped prior's bars: held-out denoising,
unconditional samples that keep a body's proportions, and ZeDO accuracy
(S=1, GT 2D) on test samples of the open benchmark."""
import os.path as osp
import sys

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from ..conftest import REPO_ROOT
from .test_pose_prior_runner import OPEN_PRIOR
from .test_shipped_prior import ZEDO_BARS, zedo_accuracy

sys.path.insert(0, osp.join(REPO_ROOT, 'tools'))


@pytest.mark.slow
def test_open_prior_config_learns(open_benchmark, tmp_path):
    from publish_prior import publish
    root, _ = open_benchmark
    cfg = Config.fromfile(OPEN_PRIOR)
    cfg.work_dir = str(tmp_path)
    cfg.launcher = 'none'
    data_root = osp.join(root, 'h36m-like') + '/'
    cfg.train_dataloader.dataset.dataset.data_root = data_root
    cfg.val_dataloader.dataset.dataset.data_root = data_root
    cfg.test_dataloader = cfg.val_dataloader
    iters = cfg.train_cfg.max_iters
    cfg.train_cfg.val_interval = iters
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    denoised = hub.get_scalar('val/prior/denoise_mpjpe').current()
    noised = hub.get_scalar('val/prior/noised_mpjpe').current()
    asym = hub.get_scalar('val/prior/sample_bone_asym').current()
    spread = hub.get_scalar('val/prior/sample_bone_spread').current()
    assert denoised < 0.7 * noised, (denoised, noised)
    assert asym < 0.25 and spread < 0.3, (asym, spread)
    prior = publish(OPEN_PRIOR, str(tmp_path / f'iter_{iters}.pth'),
                    str(tmp_path / 'prior.pth'))
    mpjpe, p_mpjpe = zedo_accuracy(prior, root, tmp_path / 'zedo')
    assert mpjpe < ZEDO_BARS['MPJPE'] and p_mpjpe < ZEDO_BARS['P-MPJPE'], (
        mpjpe, p_mpjpe)
