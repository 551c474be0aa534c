# Copyright (c) mmzedo contributors. All rights reserved.
"""Slow (~16 min on 2 CPU cores): the shipped prior's training run, config
unchanged but for paths, through mmengine's Runner. Its held-out denoising
must clearly beat the noise level and its samples must meet the shipped
prior's symmetry bar."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from .test_pose_prior_runner import OPEN_PRIOR


@pytest.mark.slow
def test_open_prior_config_learns(open_benchmark, tmp_path):
    root, _ = open_benchmark
    cfg = Config.fromfile(OPEN_PRIOR)
    cfg.work_dir = str(tmp_path)
    cfg.launcher = 'none'
    data_root = osp.join(root, 'h36m-like') + '/'
    cfg.train_dataloader.dataset.data_root = data_root
    cfg.val_dataloader.dataset.data_root = data_root
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg.val_interval = cfg.train_cfg.max_iters
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    denoised = hub.get_scalar('val/prior/denoise_mpjpe').current()
    noised = hub.get_scalar('val/prior/noised_mpjpe').current()
    asym = hub.get_scalar('val/prior/sample_bone_asym').current()
    assert denoised < 0.8 * noised, (denoised, noised)
    assert asym < 0.3, asym
