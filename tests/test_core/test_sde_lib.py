# Copyright (c) mmzedo contributors. All rights reserved.
import math

import pytest
import torch

from mmzedo.core import (STEP_EVALUATIONS, STEP_RULES, SubVPSDE,
                         TimeSchedule, VESDE, VPSDE, build_sde, get_step_rule)

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


def _noise_fn(sde, score_fn):
    """The predicted noise that gives ``score_fn``: ``-score * std``."""

    def noise(x, t):
        return -score_fn(x, t) * sde.marginal_std(t).reshape(
            -1, *[1] * (x.dim() - 1))

    return noise


@pytest.mark.parametrize('mode', sorted(STEP_RULES))
@pytest.mark.parametrize('sde', SDES, ids=lambda s: type(s).__name__)
def test_reverse_step_moves_towards_clean(sde, mode):
    g = torch.Generator().manual_seed(1)
    x_clean = torch.randn(1, 17, 3, generator=g) * 0.3
    t = torch.full((256, ), 0.05)
    x_t, _, _ = sde.perturb(x_clean.expand(256, 17, 3), t,
                            torch.randn(256, 17, 3, generator=g))
    x = x_t
    rule = get_step_rule(mode)
    noise = _noise_fn(sde, _point_mass_score(sde, x_clean))
    for i in range(10):
        t = torch.full((256, ), 0.05 - i * 0.004)
        x = rule(sde, x, t, t - 0.004, 0.004, noise, {}, g)
    before = (x_t - x_clean).norm(dim=-1).mean()
    after = (x - x_clean).norm(dim=-1).mean()
    assert after < 0.9 * before


def test_step_formulas():
    sde = SubVPSDE(N=1000)
    x = torch.randn(8, 17, 3, dtype=torch.float64)
    t = torch.full((8, ), 0.05, dtype=torch.float64)
    score = lambda x, t: -x  # noqa: E731
    noise = _noise_fn(sde, score)
    f, g = sde.sde(x, t)
    g2 = g[:, None, None]**2
    torch.testing.assert_close(
        get_step_rule('zedo-official')(sde, x, t, t - 1e-3, 1e-3, noise),
        x - (f - g2 * score(x, t)) * 1e-3)
    torch.testing.assert_close(
        get_step_rule('ode')(sde, x, t, t - 1e-3, 1e-3, noise),
        x - (f - 0.5 * g2 * score(x, t)) * 1e-3)
    # The relaxation step equals the official one for small steps ...
    small = get_step_rule('zedo-relax')(sde, x, t, t - 1e-5, 1e-5, noise)
    official = get_step_rule('zedo-official')(sde, x, t, t - 1e-5, 1e-5, noise)
    torch.testing.assert_close(small - x, official - x, rtol=1e-3,
                               atol=1e-12)


def test_relax_step_never_overshoots_the_denoised_pose():
    """With few, large steps (lambda >> 1) the official step jumps past the
    denoised pose and diverges; the relaxation step stops at it."""
    sde = SubVPSDE()
    g = torch.Generator().manual_seed(0)
    x_clean = torch.randn(1, 17, 3, generator=g) * 0.3
    noise = _noise_fn(sde, _point_mass_score(sde, x_clean))
    t = torch.full((64, ), 0.01)
    mean, std = sde.marginal_prob(x_clean.expand(64, 17, 3), t)
    x0 = mean + 0.05 * torch.randn(64, 17, 3, generator=g)
    dist = {}
    for mode in ('zedo-official', 'zedo-relax'):
        x = x0
        for _ in range(10):
            x = get_step_rule(mode)(sde, x, t, t, 0.1, noise)  # lambda ~ 30
        dist[mode] = (x - mean).norm(dim=-1).mean()
    # Lands on the denoised pose up to the drift's expansion (0.15%/step).
    assert dist['zedo-relax'] < 0.01 < 0.05 < (x0 - mean).norm(dim=-1).mean()
    assert not dist['zedo-official'] < 1.0  # diverged (or NaN)


def test_build_sde_and_errors():
    assert isinstance(build_sde(dict(type='subVP')), SubVPSDE)
    assert isinstance(build_sde(dict(type='VPSDE', beta_max=10.)), VPSDE)
    assert isinstance(build_sde(dict(type='ve')), VESDE)
    with pytest.raises(KeyError, match='Unknown SDE'):
        build_sde(dict(type='cosine'))
    with pytest.raises(ValueError, match='Unknown reverse step "heun"'):
        get_step_rule('heun')
    with pytest.raises(ValueError, match='4 steps needs 5 times'):
        TimeSchedule(torch.zeros(4), [0.1] * 4)


@pytest.mark.parametrize('sde', SDES, ids=lambda s: type(s).__name__)
def test_heun_is_second_order_on_the_probability_flow_ode(sde):
    """For data at one point the probability-flow ODE has a closed-form
    path, ``x(t) = m(t) x_c + sigma(t) / sigma(t0) (x(t0) - m(t0) x_c)``.
    Integrated over the schedule from t = 0.6 to 0.2, Euler's error halves
    when the steps double and Heun's (which needs the schedule's t_next)
    falls to a quarter, and is far smaller."""
    g = torch.Generator().manual_seed(0)
    x_c = (torch.randn(1, 17, 3, generator=g) * 0.3).double()
    noise = _noise_fn(sde, _point_mass_score(sde, x_c))
    t0, t1 = 0.6, 0.2

    def path(t):
        mean, std = sde.marginal_prob(x_c, torch.tensor([t], dtype=x_c.dtype))
        return mean, std

    m0, s0 = path(t0)
    x0 = m0 + s0 * torch.randn(16, 17, 3, generator=g, dtype=x_c.dtype)
    m1, s1 = path(t1)
    want = m1 + s1 / s0 * (x0 - m0)
    err = {}
    for mode in ('ode', 'ode-heun'):
        for steps in (16, 32):
            x, state = x0, {}
            for t, t_next, dt in TimeSchedule.uniform(t0, t1, steps,
                                                      dtype=x_c.dtype):
                x = get_step_rule(mode)(sde, x, t.expand(16), t_next.expand(
                    16), dt, noise, state)
            err[mode, steps] = float((x - want).abs().max())
    assert 0.4 < err['ode', 32] / err['ode', 16] < 0.6, err
    assert 0.15 < err['ode-heun', 32] / err['ode-heun', 16] < 0.3, err
    assert err['ode-heun', 16] < 0.2 * err['ode', 16], err
    assert STEP_EVALUATIONS['ode-heun'] == 2 == STEP_EVALUATIONS['zedo-heun']
    assert STEP_EVALUATIONS['zedo-official'] == 1
