# Copyright (c) mmzedo contributors. All rights reserved.
"""Slow: a real (shortened) training run of the shipped prior's config
through mmengine's Runner; the held-out denoising error must fall below the
noise level and the samples' bone lengths must become symmetric."""
import pytest
from mmengine.runner import Runner

from .test_pose_prior_runner import tiny_cfg


@pytest.mark.slow
def test_open_prior_config_learns(open_benchmark, tmp_path):
    root, _ = open_benchmark
    cfg = tiny_cfg(root, tmp_path, max_iters=1500)
    cfg.model.score_net.update(hidden_dim=256, temb_dim=64)
    cfg.model.val_cfg.update(steps=50, num_samples=128, sample_steps=200)
    cfg.train_cfg.val_interval = 1500
    cfg.default_hooks.checkpoint.interval = 1500
    cfg.train_dataloader.batch_size = 256
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    denoised = hub.get_scalar('val/prior/denoise_mpjpe').current()
    noised = hub.get_scalar('val/prior/noised_mpjpe').current()
    asym = hub.get_scalar('val/prior/sample_bone_asym').current()
    assert denoised < 0.8 * noised, (denoised, noised)
    assert asym < 0.15, asym
