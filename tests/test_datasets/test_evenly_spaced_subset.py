# Copyright (c) mmzedo contributors. All rights reserved.
"""EvenlySpacedSubset: the Human3.6M prior configs validate on poses spread
over whatever their test file holds, so an annotation file smaller than the
full release (here the open benchmark's, in mmpose's layout) works."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest

from ..conftest import REPO_ROOT

CONFIG = osp.join(REPO_ROOT, 'configs', 'prior',
                  'prior_mlp-512x2_subvp-t01_1xb512-30k_h36m.py')


@pytest.fixture(scope='module')
def small_h36m(open_benchmark, tmp_path_factory):
    """A data root in the Human3.6M config's layout whose test file is the
    open benchmark's (14,895 samples, not the release's ~549k)."""
    root, _ = open_benchmark
    src = osp.join(root, 'h36m-like', 'annotation_body3d')
    dst = tmp_path_factory.mktemp('h36m')
    os.makedirs(dst / 'annotation_body3d' / 'fps50')
    shutil.copy(osp.join(src, 'cameras.pkl'), dst / 'annotation_body3d')
    shutil.copy(osp.join(src, 'fps10', 'cmu_test.npz'),
                dst / 'annotation_body3d' / 'fps50' / 'h36m_test.npz')
    return str(dst) + '/'


def test_h36m_prior_config_validates_on_a_smaller_file(small_h36m):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS

    import mmzedo  # noqa: F401
    init_default_scope('mmpose')
    cfg = Config.fromfile(CONFIG).val_dataloader.dataset
    assert cfg.type == 'EvenlySpacedSubset' and cfg.num == 2000
    cfg.dataset.data_root = small_h36m
    subset = DATASETS.build(cfg)
    full = subset.dataset
    n = len(full)
    assert n == 14895 and len(subset) == 2000
    assert subset.indices[0] == 0 and subset.indices[-1] == n - 1
    gaps = np.diff(subset.indices)
    assert gaps.min() >= 7 and gaps.max() <= 8  # evenly spread
    assert subset.metainfo['dataset_name'] == full.metainfo['dataset_name']
    a, b = subset[5], full[int(subset.indices[5])]
    np.testing.assert_array_equal(
        a['data_samples'].gt_instances.lifting_target,
        b['data_samples'].gt_instances.lifting_target)
    # More asked for than the file holds: all of it, once each.
    cfg.num = 10**6
    assert len(DATASETS.build(cfg)) == n


def test_bad_subsets_are_named(small_h36m):
    from mmzedo.datasets import EvenlySpacedSubset
    with pytest.raises(ValueError, match='num must be an integer >= 1'):
        EvenlySpacedSubset(list(range(5)), 0)
    with pytest.raises(ValueError, match='is empty'):
        EvenlySpacedSubset([], 10)
