# Copyright (c) mmzedo contributors. All rights reserved.
import os.path as osp

import numpy as np
import pytest
import torch

from mmzedo.core import ScoreMLP, ScorePrior
from ..conftest import MOCAP_DIR


def _root_relative_poses(n=4096, seed=0):
    d = np.load(osp.join(MOCAP_DIR, 'cmu_c2s.npz'))
    j = d['joints'][np.random.default_rng(seed).choice(len(d['joints']), n)]
    return torch.from_numpy(j - j[:, :1]).float()


def test_score_mlp_shapes_and_config_errors():
    net = ScoreMLP(hidden_dim=64, temb_dim=32, num_blocks=3)
    out = net(torch.zeros(5, 17, 3), torch.rand(5))
    assert out.shape == (5, 17, 3)
    assert len(net.blocks) == 3
    default = ScoreMLP()
    assert default.inp.out_features == 1024 and default.temb_dim == 512
    assert len(default.blocks) == 2
    assert default.blocks[0].norm1.num_groups == 32
    assert default.blocks[0].drop.p == 0.25
    with pytest.raises(ValueError, match='divisible'):
        ScoreMLP(hidden_dim=100)


def test_dsm_loss_decreases_on_bundled_poses():
    torch.manual_seed(0)
    poses = _root_relative_poses()
    prior = ScorePrior(ScoreMLP(hidden_dim=128, temb_dim=64, dropout=0.))
    opt = torch.optim.Adam(prior.parameters(), lr=1e-3)
    losses = []
    for it in range(300):
        batch = poses[torch.randint(0, len(poses), (256, ))]
        loss = prior.dsm_loss(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    first, last = np.mean(losses[:30]), np.mean(losses[-30:])
    assert last < 0.6 * first, (first, last)


def test_sample_shape_and_finite():
    prior = ScorePrior(ScoreMLP(hidden_dim=64, temb_dim=32))
    g = torch.Generator().manual_seed(0)
    x = prior.sample(7, steps=20, generator=g)
    assert x.shape == (7, 17, 3) and torch.isfinite(x).all()
