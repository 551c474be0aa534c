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


def test_train_time_distribution():
    from mmzedo.core import check_train_t, sample_train_times
    g = torch.Generator().manual_seed(0)
    t = sample_train_times(20000, 1e-5, 1.0, t_max=0.15, generator=g)
    assert t.min() >= 1e-5 and t.max() <= 0.15
    assert abs(t.mean().item() - 0.075) < 0.005
    t = sample_train_times(20000, 1e-5, 1.0, t_max=0.15,
                           full_range_prob=0.1, generator=g)
    # 10% drawn from U(0, 1), 85% of which land above 0.15.
    assert abs((t > 0.15).float().mean().item() - 0.085) < 0.01
    assert t.max() > 0.9
    with pytest.raises(ValueError, match='t_max'):
        check_train_t(dict(t_max=1.5), 1e-5, 1.0)
    with pytest.raises(ValueError, match='full_range_prob'):
        check_train_t(dict(full_range_prob=-0.1), 1e-5, 1.0)
    with pytest.raises(TypeError, match='tmax'):
        check_train_t(dict(tmax=0.1), 1e-5, 1.0)


def test_focused_training_learns_small_noise_better():
    """Same budget: training at t <= 0.15 fits the denoiser at ZeDO's noise
    levels better than training over the whole range."""
    poses = _root_relative_poses(8192)
    held_out = _root_relative_poses(1024, seed=1)
    errors = {}
    for t_max in (1.0, 0.15):
        torch.manual_seed(0)
        prior = ScorePrior(ScoreMLP(hidden_dim=128, temb_dim=64, dropout=0.),
                           train_t=dict(t_max=t_max))
        opt = torch.optim.Adam(prior.parameters(), lr=2e-3)
        for _ in range(400):
            loss = prior.dsm_loss(poses[torch.randint(0, len(poses),
                                                      (256, ))])
            opt.zero_grad()
            loss.backward()
            opt.step()
        g = torch.Generator().manual_seed(2)
        noise = torch.randn(held_out.shape, generator=g)
        with torch.no_grad():
            t = torch.full((len(held_out), ), 0.05)
            x_t, _, _ = prior.sde.perturb(held_out, t, noise)
            errors[t_max] = ((prior.predicted_noise(x_t, t) -
                              noise)**2).mean().item()
    assert errors[0.15] < 0.9 * errors[1.0], errors
