# Copyright (c) mmzedo contributors. All rights reserved.
"""Distributed runs through tools/dist_test.sh and tools/dist_train.sh
(torchrun, mmengine's pytorch launcher) with 2 processes on this CPU-only
machine (gloo): the same metrics as one process for the ZeDO lifter and
for the refine hook on a 27-frame VideoPose3D, and prior training that
runs and resumes."""
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import numpy as np
import pytest

from ..conftest import REPO_ROOT, run_tool

ZEDO = osp.join(REPO_ROOT, 'configs', 'zedo',
                'zedo_S1_gt2d_open-cmu-h36m-like.py')
PRIOR_CKPT = osp.join(REPO_ROOT, 'checkpoints',
                      'prior_mlp-512x2_subvp-t01_open-cmu.pth')
PRIOR_CFG = osp.join(REPO_ROOT, 'configs', 'prior',
                     'prior_mlp-512x2_subvp-t01_1xb512-30k_open-cmu.py')
VP27 = osp.join(REPO_ROOT, 'configs', 'zedo_refine',
                'videopose3d_tcn-27frm_open-cmu_zedo-refine.py')


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


def _dist(script, *args):
    env = dict(os.environ, PYTHON=sys.executable, PORT=_free_port())
    proc = subprocess.run(['bash', osp.join(REPO_ROOT, 'tools', script),
                           *map(str, args)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def _metrics(path):
    with open(path) as f:
        return json.load(f)


def _same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert a[k] == pytest.approx(b[k], rel=1e-5, abs=1e-7), k


def test_scripts_use_torchrun():
    for script in ('dist_test.sh', 'dist_train.sh'):
        with open(osp.join(REPO_ROOT, 'tools', script)) as f:
            text = f.read()
        assert 'torch.distributed.run' in text
        assert '-m torch.distributed.launch' not in text


def test_zedo_two_processes_equal_one(open_benchmark, tmp_path):
    root, _ = open_benchmark
    opts = ['--cfg-options', 'test_dataloader.dataset.indices=48',
            f'test_dataloader.dataset.data_root={root}/h36m-like/',
            'test_dataloader.batch_size=16', 'model.head.show_progress=False']
    run_tool([osp.join(REPO_ROOT, 'tools', 'test.py'), ZEDO, PRIOR_CKPT,
              '--work-dir', tmp_path / 'one', '--out', tmp_path / 'one.json',
              *opts], cwd=REPO_ROOT)
    proc = _dist('dist_test.sh', ZEDO, PRIOR_CKPT, 2, '--work-dir',
                 tmp_path / 'two', '--out', tmp_path / 'two.json', *opts)
    log = proc.stdout + proc.stderr
    assert 'Distributed launcher: pytorch' in log
    assert 'Distributed training: True' in log
    one, two = _metrics(tmp_path / 'one.json'), _metrics(tmp_path / 'two.json')
    _same(one, two)
    assert one['invalid'] == 0 and 0.03 < one['MPJPE'] < 0.12


def test_refine_hook_multi_frame_target_and_two_processes(
        open_benchmark, tmp_path):
    """27-frame, non-causal VideoPose3D: the hook refines with the 2D of
    mmpose's target (centre) frame, and 2 processes give 1's metrics."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS

    from mmzedo.models.pose_estimators.zedo_lifter import zedo_inputs
    root, _ = open_benchmark
    data_root = f'{root}/h36m-like/'
    init_default_scope('mmpose')
    cfg = Config.fromfile(VP27).test_dataloader.dataset
    cfg.data_root = data_root
    ds = DATASETS.build(cfg)
    info = ds.get_data_info(300)
    kp, _, _, _ = zedo_inputs([info], causal=ds.causal)
    assert np.asarray(info['keypoints']).shape[-3] == 27
    centre = info['img_paths'].index(info['target_img_path'][0])
    assert centre == 13
    np.testing.assert_allclose(kp[0].numpy(),
                               np.asarray(info['keypoints'])[..., 13, :, :]
                               .reshape(17, 2))
    # a short training run, then tools/test.py with the hook, 1 and 2 procs
    work = tmp_path / 'train'
    run_tool([
        osp.join(REPO_ROOT, 'tools', 'train.py'), VP27, '--work-dir', work,
        '--cfg-options', 'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
        'train_dataloader.dataset.indices=512',
        'val_dataloader.dataset.indices=32',
        f'train_dataloader.dataset.data_root={data_root}',
        f'val_dataloader.dataset.data_root={data_root}',
        'randomness.seed=0'  # the same short-trained lifter every run
    ], cwd=REPO_ROOT)
    ckpt = work / 'epoch_1.pth'
    opts = ['--cfg-options',
            'test_dataloader.dataset.indices=[0,700,1400,2100,2800,3500]',
            f'test_dataloader.dataset.data_root={data_root}']
    run_tool([osp.join(REPO_ROOT, 'tools', 'test.py'), VP27, ckpt,
              '--work-dir', tmp_path / 'one', '--out', tmp_path / 'one.json',
              *opts], cwd=REPO_ROOT)
    _dist('dist_test.sh', VP27, ckpt, 2, '--work-dir', tmp_path / 'two',
          '--out', tmp_path / 'two.json', *opts)
    one, two = _metrics(tmp_path / 'one.json'), _metrics(tmp_path / 'two.json')
    _same(one, two)
    assert one['P-MPJPE'] < one['unrefined/P-MPJPE']  # refinement acted


def test_prior_training_two_processes_runs_and_resumes(open_benchmark,
                                                       tmp_path):
    root, _ = open_benchmark
    opts = [
        '--cfg-options', 'train_cfg.max_iters=20', 'train_cfg.val_interval=10',
        'default_hooks.checkpoint.interval=10', 'param_scheduler.0.end=5',
        'param_scheduler.1.begin=5', 'param_scheduler.1.end=40',
        'train_dataloader.batch_size=64', 'val_dataloader.dataset.num=64',
        f'train_dataloader.dataset.dataset.data_root={root}/h36m-like/',
        f'val_dataloader.dataset.dataset.data_root={root}/h36m-like/',
        'randomness.seed=0'
    ]
    work = tmp_path / 'work'
    _dist('dist_train.sh', PRIOR_CFG, 2, '--work-dir', work, *opts)
    assert (work / 'iter_20.pth').is_file()
    proc = _dist('dist_train.sh', PRIOR_CFG, 2, '--work-dir', work,
                 '--resume', *opts, 'train_cfg.max_iters=30')
    assert 'resumed epoch: 0, iter: 20' in proc.stdout + proc.stderr
    assert (work / 'iter_30.pth').is_file()
