# Copyright (c) mmzedo contributors. All rights reserved.
import os.path as osp

import pytest

from mmzedo.utils.shipped import ANCHOR_FILES, SHIPPED_PRIOR  # noqa: F401

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
MOCAP_DIR = osp.join(REPO_ROOT, 'data', 'mocap')


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'slow: long training runs (deselect with -m "not slow")')


@pytest.fixture(scope='session')
def open_benchmark(tmp_path_factory):
    """The open benchmark (all rigs) built from the bundled mocap into a
    temporary data root; returns ``(root, {rig: summary})``."""
    from mmzedo.datasets.mocap import build_open_benchmark
    root = str(tmp_path_factory.mktemp('open_h36m'))
    return root, build_open_benchmark(root, mocap_dir=MOCAP_DIR)


@pytest.fixture(scope='session')
def rig_joints_benchmark(tmp_path_factory):
    """The open benchmark's h36m-like rig built in the capture rigs' own
    joint definitions (root above the hips, joint 9 on the neck), as the
    priors trained in those definitions saw it; returns the data root."""
    from mmzedo.datasets.mocap import build_open_benchmark
    root = str(tmp_path_factory.mktemp('open_h36m_rig_joints'))
    build_open_benchmark(root, ['h36m-like'], mocap_dir=MOCAP_DIR,
                         joint_definitions=None)
    return root


#: The shipped prior trained on the open data in the capture rigs' joint
#: definitions (the default before the one in Human3.6M's).
RIG_JOINTS_PRIOR = osp.join(REPO_ROOT, 'checkpoints',
                            'prior_mlp-512x2_subvp-t01_open-cmu.pth')


def anchor_file(num):
    return ANCHOR_FILES.format(num)


@pytest.fixture(scope='session')
def shipped_prior():
    """The prior that ships in checkpoints/ (trained on the open data)."""
    from mmzedo.core import ScorePrior
    return ScorePrior.from_checkpoint(SHIPPED_PRIOR)


def run_tool(args, cwd):
    """Run a Python script in a subprocess; fail with its output."""
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, *args], cwd=cwd,
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


BASELINE = osp.join(REPO_ROOT, 'configs', 'videopose3d',
                    'videopose3d_tcn-1frm_1xb1024-12e_open-cmu-h36m-like.py')


@pytest.fixture(scope='session')
def trained_baseline(open_benchmark, tmp_path_factory):
    """mmpose's VideoPose3D-1frm trained for one short epoch through
    tools/train.py on the open benchmark; returns (root, work_dir, ckpt)."""
    root, _ = open_benchmark
    work = tmp_path_factory.mktemp('baseline')
    data_root = osp.join(root, 'h36m-like') + '/'
    run_tool([
        osp.join(REPO_ROOT, 'tools', 'train.py'), BASELINE, '--work-dir',
        str(work), '--cfg-options', 'train_cfg.max_epochs=1',
        'train_cfg.val_interval=1', 'train_dataloader.batch_size=128',
        'train_dataloader.dataset.indices=1024',
        'val_dataloader.dataset.indices=256',
        f'train_dataloader.dataset.data_root={data_root}',
        f'val_dataloader.dataset.data_root={data_root}',
        f'test_dataloader.dataset.data_root={data_root}'
    ], cwd=str(work))
    ckpt = work / 'epoch_1.pth'
    assert ckpt.is_file()
    return root, work, ckpt
