# Copyright (c) mmzedo contributors. All rights reserved.
"""The prior that ships in checkpoints/: it loads with plain torch
(weights_only), its samples have plausible, symmetric bone lengths (a bar an
untrained network of the same shape fails), and it denoises held-out poses."""
import os.path as osp

import numpy as np
import pytest
import torch

from mmzedo.core import ScoreMLP, ScorePrior
from mmzedo.evaluation.metrics import bone_statistics
from mmzedo.utils import bone_lengths
from ..conftest import SHIPPED_PRIOR


def _plausibility(prior, data_poses):
    g = torch.Generator().manual_seed(0)
    samples = prior.sample(256, steps=1000, generator=g).numpy()
    assert np.isfinite(samples).all()
    stats = bone_statistics(samples)
    ref = bone_lengths(data_poses).mean(0)
    rel = np.abs(np.median(bone_lengths(samples), 0) / ref - 1)
    return stats, rel


@pytest.fixture(scope='module')
def test_poses(open_benchmark):
    root, _ = open_benchmark
    S = np.load(osp.join(root, 'h36m-like', 'annotation_body3d', 'fps10',
                         'cmu_test.npz'))['S'][::20, :, :3]
    return S - S[:, :1]


def test_shipped_checkpoint_is_small_and_safe():
    assert osp.getsize(SHIPPED_PRIOR) < 10e6
    ckpt = torch.load(SHIPPED_PRIOR, weights_only=True)
    assert ckpt['prior_cfg']['sde']['type'] == 'subVP'
    assert set(ckpt) == {'state_dict', 'prior_cfg', 'meta'}


def test_samples_plausible_and_symmetric(shipped_prior, test_poses):
    stats, rel = _plausibility(shipped_prior, test_poses)
    assert stats['asym'] < 0.3, stats
    assert stats['spread'] < 0.35, stats
    assert rel.max() < 0.25, rel
    # The same bar fails for an untrained network of the same shape.
    torch.manual_seed(0)
    cfg = torch.load(SHIPPED_PRIOR, weights_only=True)['prior_cfg']
    net = {k: v for k, v in cfg['score_net'].items() if k != 'type'}
    untrained = ScorePrior(ScoreMLP(**net), cfg['sde']).eval()
    stats_u, rel_u = _plausibility(untrained, test_poses)
    assert stats_u['asym'] > 0.3 or rel_u.max() > 0.25


def test_denoises_held_out_poses(shipped_prior, test_poses):
    x0 = torch.tensor(test_poses, dtype=torch.float32)
    g = torch.Generator().manual_seed(1)
    t = torch.full((len(x0), ), 0.05)
    x_t, _, _ = shipped_prior.sde.perturb(
        x0, t, torch.randn(x0.shape, generator=g))
    x = shipped_prior.denoise(x_t, 0.05, 50, mode='ode')
    before = (x_t - x0).norm(dim=-1).mean()
    after = (x - x0).norm(dim=-1).mean()
    assert after < 0.85 * before, (before, after)
