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
