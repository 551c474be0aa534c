# Copyright (c) mmzedo contributors. All rights reserved.
import math

import pytest
import torch

from mmzedo.core import STEP_MODES, SubVPSDE, VESDE, VPSDE, build_sde

SDES = [SubVPSDE(), VPSDE(), VESDE(sigma_min=0.01, sigma_max=5.)]


@pytest.mark.parametrize('sde', SDES, ids=lambda s: type(s).__name__)
def test_marginals_match_simulated_forward_sde(sde):
    """Integrating dx = f dt + g dw from x0 reproduces marginal_prob."""
    g = torch.Generator().manual_seed(0)
    x0 = torch.full((40000, 1), 0.7, dtype=torch.float64)
    x = x0.clone()
    t_end, steps = 0.4, 2000
    dt = t_end / steps
    for i in range(steps):
        t = torch.full((len(x), ), i * dt, dtype=torch.float64)
        f, diff = sde.sde(x, t)
        x = x + f * dt + diff[:, None] * math.sqrt(dt) * torch.randn(
            x.shape, generator=g, dtype=torch.float64)
    mean, std = sde.marginal_prob(
        x0, torch.full((len(x), ), t_end, dtype=torch.float64))
    assert abs(x.mean() - mean.mean()) < 0.02 * max(1., float(std[0]))
    assert abs(x.std() / std[0] - 1) < 0.03


def test_marginals_closed_forms():
    t = torch.tensor([0.01, 0.1, 0.5, 1.0], dtype=torch.float64)
    x0 = torch.ones(4, 3, dtype=torch.float64)
    b0, b1 = 0.1, 20.
    integral = b0 * t + 0.5 * (b1 - b0) * t**2  # int_0^t beta(s) ds
    vp_mean, vp_std = VPSDE(b0, b1).marginal_prob(x0, t)
    torch.testing.assert_close(vp_mean[:, 0], torch.exp(-0.5 * integral))
    torch.testing.assert_close(vp_std, torch.sqrt(1 - torch.exp(-integral)))
    sub_mean, sub_std = SubVPSDE(b0, b1).marginal_prob(x0, t)
    torch.testing.assert_close(sub_mean, vp_mean)
    torch.testing.assert_close(sub_std, 1 - torch.exp(-integral))
    ve_mean, ve_std = VESDE(0.01, 5.).marginal_prob(x0, t)
    torch.testing.assert_close(ve_mean, x0)
    torch.testing.assert_close(ve_std, 0.01 * 500.**t)
    # sub-VP's std never exceeds VP's, and the prior is N(0, 1) / N(0, s^2).
    assert (sub_std <= vp_std).all()
    assert VESDE(0.01, 5.).prior_sampling((20000, )).std() == pytest.approx(
        5., rel=0.03)


def _point_mass_score(sde, x_clean):
    """Exact score of p_t when the data is the single point x_clean."""

    def score(x, t):
        mean, std = sde.marginal_prob(x_clean.expand_as(x), t)
        return -(x - mean) / std.reshape(-1, *[1] * (x.dim() - 1))**2

    return score


@pytest.mark.parametrize('mode', STEP_MODES)
@pytest.mark.parametrize('sde', SDES, ids=lambda s: type(s).__name__)
def test_reverse_step_moves_towards_clean(sde, mode):
    g = torch.Generator().manual_seed(1)
    x_clean = torch.randn(1, 17, 3, generator=g) * 0.3
    t = torch.full((256, ), 0.05)
    x_t, _, _ = sde.perturb(x_clean.expand(256, 17, 3), t,
                            torch.randn(256, 17, 3, generator=g))
    x = x_t
    for i in range(10):
        x = sde.reverse_step(x, 0.05 - i * 0.004, 0.004,
                             _point_mass_score(sde, x_clean), mode, g)
    before = (x_t - x_clean).norm(dim=-1).mean()
    after = (x - x_clean).norm(dim=-1).mean()
    assert after < 0.9 * before


def test_official_step_is_factor_one_with_fixed_dt():
    sde = SubVPSDE(N=1000)
    x = torch.randn(8, 17, 3)
    t = torch.full((8, ), 0.05)
    score = lambda x, t: -x  # noqa: E731
    f, g = sde.sde(x, t)
    expected = x - (f - g[:, None, None]**2 * score(x, t)) / 1000
    got = sde.reverse_step(x, t, dt=0.123, score_fn=score,
                           mode='zedo-official')
    torch.testing.assert_close(got, expected)
    ode = sde.reverse_step(x, t, dt=1e-3, score_fn=score, mode='ode')
    torch.testing.assert_close(
        ode, x - (f - 0.5 * g[:, None, None]**2 * score(x, t)) * 1e-3)


def test_build_sde_and_errors():
    assert isinstance(build_sde(dict(type='subVP')), SubVPSDE)
    assert isinstance(build_sde(dict(type='VPSDE', beta_max=10.)), VPSDE)
    assert isinstance(build_sde(dict(type='ve')), VESDE)
    with pytest.raises(KeyError, match='Unknown SDE'):
        build_sde(dict(type='cosine'))
    with pytest.raises(ValueError, match='Unknown reverse step mode'):
        SubVPSDE().reverse_step(
            torch.zeros(1, 3), 0.1, 0.01, lambda x, t: x, mode='heun')
