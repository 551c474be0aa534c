# Copyright (c) mmzedo contributors. All rights reserved.
import os.path as osp

import pytest

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


SHIPPED_PRIOR = osp.join(REPO_ROOT, 'checkpoints',
                         'prior_mlp-512x2_subvp_open-cmu.pth')


def anchor_file(num):
    return osp.join(REPO_ROOT, 'checkpoints', f'anchors_open-cmu_S{num}.npz')


@pytest.fixture(scope='session')
def shipped_prior():
    """The prior that ships in checkpoints/ (trained on the open data)."""
    from mmzedo.core import ScorePrior
    return ScorePrior.from_checkpoint(SHIPPED_PRIOR)
