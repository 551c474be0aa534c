# Copyright (c) mmzedo contributors. All rights reserved.
"""The prior trains, validates and resumes through mmengine's Runner with
the open config (shrunk), on the open benchmark."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from ..conftest import REPO_ROOT

OPEN_PRIOR = osp.join(REPO_ROOT, 'configs', 'prior',
                      'prior_mlp-512x2_subvp-t01_1xb512-30k_open-cmu.py')


def tiny_cfg(root, work_dir, max_iters=20):
    cfg = Config.fromfile(OPEN_PRIOR)
    cfg.work_dir = str(work_dir)
    cfg.launcher = 'none'
    cfg.randomness = dict(seed=0)
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = 10
    cfg.default_hooks.checkpoint.interval = 10
    cfg.default_hooks.logger.interval = 5
    cfg.model.score_net.update(hidden_dim=64, temb_dim=32)
    cfg.model.val_cfg.update(steps=5, num_samples=16, sample_steps=10)
    cfg.param_scheduler[0].end = 5
    cfg.param_scheduler[1].begin = 5
    cfg.param_scheduler[1].end = max_iters
    data_root = osp.join(root, 'h36m-like') + '/'
    cfg.train_dataloader.batch_size = 64
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    cfg.train_dataloader.dataset.dataset.data_root = data_root
    cfg.val_dataloader.num_workers = 0
    cfg.val_dataloader.persistent_workers = False
    cfg.val_dataloader.batch_size = 64
    cfg.val_dataloader.dataset.dataset.data_root = data_root
    cfg.val_dataloader.dataset.num = 100
    cfg.test_dataloader = cfg.val_dataloader
    return cfg


class CaptureState(Hook):
    priority = 'LOWEST'

    def before_train(self, runner):
        ema = [h for h in runner.hooks if type(h).__name__ == 'EMAHook'][0]
        self.iter = runner.iter
        self.lr = runner.optim_wrapper.get_lr()['lr'][0]
        self.model = copy.deepcopy(runner.model.state_dict())
        self.ema = copy.deepcopy(ema.ema_model.module.state_dict())
        self.adam_steps = [
            float(s['step'])
            for s in runner.optim_wrapper.optimizer.state_dict()
            ['state'].values()
        ]


@pytest.fixture(scope='module')
def trained(open_benchmark, tmp_path_factory):
    root, _ = open_benchmark
    work = tmp_path_factory.mktemp('prior')
    runner = Runner.from_cfg(tiny_cfg(root, work))
    runner.train()
    return root, work, runner


def test_trains_validates_and_checkpoints(trained):
    _, work, runner = trained
    assert runner.iter == 20
    assert (work / 'iter_10.pth').is_file()
    assert (work / 'iter_20.pth').is_file()
    metrics = runner.message_hub.get_scalar('val/prior/denoise_mpjpe')
    assert metrics is not None
    scalars = runner.message_hub.log_scalars
    for key in ('noised_mpjpe', 'sample_bone_asym', 'sample_bone_spread',
                'data_bone_asym', 'data_bone_spread'):
        assert f'val/prior/{key}' in scalars, key
    loss = scalars['train/loss_dsm'].data[0]
    assert len(loss) > 0 and all(torch.isfinite(torch.tensor(loss)))


def test_resume_continues_with_same_state(trained, tmp_path):
    root, work, _ = trained
    ckpt = torch.load(str(work / 'iter_10.pth'), weights_only=True)
    cfg = tiny_cfg(root, tmp_path)
    cfg.resume = True
    cfg.load_from = str(work / 'iter_10.pth')
    runner = Runner.from_cfg(cfg)
    capture = CaptureState()
    runner.register_hook(capture)
    runner.train()
    assert capture.iter == 10
    # The raw weights come back into the model, the averaged ones into EMA
    # (mmengine's EMAHook stores EMA weights under 'state_dict').
    raw = {k[len('module.'):]: v for k, v in ckpt['ema_state_dict'].items()
           if k.startswith('module.')}
    assert raw.keys() == capture.model.keys()
    for k, v in raw.items():
        torch.testing.assert_close(capture.model[k], v)
    assert ckpt['state_dict'].keys() == capture.ema.keys()
    for k, v in ckpt['state_dict'].items():
        torch.testing.assert_close(capture.ema[k], v)
    # EMA and raw weights differ after 10 steps (the EMA is real).
    assert any(not torch.equal(raw[k], ckpt['state_dict'][k]) for k in raw)
    assert capture.lr == pytest.approx(
        ckpt['optimizer']['param_groups'][0]['lr'])
    assert capture.adam_steps and set(capture.adam_steps) == {10.0}
    assert runner.iter == 20 and (tmp_path / 'iter_20.pth').is_file()


def test_combined_datasets_config_trains(open_benchmark, tmp_path):
    """The Human3.6M + open config combines mmpose datasets; here both
    entries point at open data roots (Human3.6M is not available)."""
    root, summary = open_benchmark
    cfg = tiny_cfg(root, tmp_path, max_iters=6)
    both = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'prior',
                 'prior_mlp-1024x2_subvp_8xb1024-200k_h36m+open-cmu.py'))
    combined = both.train_dataloader.dataset.dataset
    datasets = combined.datasets
    assert combined.type == 'CombinedDataset'
    for ds, rig in zip(datasets, ('h36m-like', 'telephoto')):
        ds.data_root = osp.join(root, rig) + '/'
        ds.ann_file = 'annotation_body3d/fps10/cmu_train.npz'
    cfg.train_dataloader.dataset = both.train_dataloader.dataset
    cfg.train_cfg.val_interval = 100
    runner = Runner.from_cfg(cfg)
    assert len(runner.train_dataloader.dataset) == sum(
        summary[r]['files']['train']['num']
        for r in ('h36m-like', 'telephoto'))
    runner.train()
    assert runner.iter == 6
