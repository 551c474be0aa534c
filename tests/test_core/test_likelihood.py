# Copyright (c) mmzedo contributors. All rights reserved.
import math

import pytest
import torch

from mmzedo.core import SubVPSDE, VESDE, VPSDE, prior_log_likelihood

from .test_score_prior import _root_relative_poses


class GaussianPrior(torch.nn.Module):
    """The exact noise prediction of data ``x0 ~ N(0, diag(var))`` under
    ``sde``: ``p_t = N(0, m(t)^2 var + std(t)^2)``, so that the log density
    at any ``t`` is known in closed form."""

    def __init__(self, sde, var):
        super().__init__()
        self.sde, self.var = sde, var

    def marginal_var(self, t):
        mean, std = self.sde.marginal_prob(torch.ones_like(self.var), t)
        return mean**2 * self.var + std**2

    def predicted_noise(self, x, t):
        t = t[:1].double()
        # noise = -std * score = std * x / var_t
        return (self.sde.marginal_std(t) * x /
                self.marginal_var(t)).to(x.dtype)

    def log_density(self, x, t):
        var = self.marginal_var(torch.tensor([t], dtype=torch.float64))
        return (-0.5 * (x**2 / var).flatten(1).sum(1) -
                0.5 * torch.log(2 * math.pi * var).sum())


@pytest.mark.parametrize('sde,steps', [(SubVPSDE(), 48), (VPSDE(), 48),
                                       (VESDE(sigma_max=5.), 96)],
                         ids=['subVP', 'VP', 'VE'])
def test_log_likelihood_matches_a_gaussian_in_closed_form(sde, steps):
    """A pose-shaped Gaussian with a different variance per coordinate: the
    ODE's log density equals the closed form (Hutchinson is exact for its
    diagonal Jacobian), and the points' order by density is kept."""
    g = torch.Generator().manual_seed(0)
    var = (0.05 + 0.3 * torch.rand(17, 3, generator=g,
                                   dtype=torch.float64))**2
    prior = GaussianPrior(sde, var)
    x = torch.randn(64, 17, 3, generator=g, dtype=torch.float64) * \
        var.sqrt() * torch.linspace(0.5, 2, 64, dtype=torch.float64)[
            :, None, None]
    for t0 in (0.01, 0.1):
        want = prior.log_density(x, t0)
        assert want.max() - want.min() > 30  # densities spanning 10s
        # exact divergence; Heun's error falls with more steps (2nd order)
        # (the VE SDE's density spans more: twice the steps; its p_T is
        # N(0, var + sigma_max^2), not quite prior_logp's N(0, sigma_max^2),
        # which leaves a floor of about 0.1 nats)
        err1, err2 = ((prior_log_likelihood(prior, x, t0=t0, steps=s) -
                       want).abs().max() for s in (steps, 2 * steps))
        assert err1 < 0.3 and err2 < 0.3, (err1, err2)
        if not isinstance(sde, VESDE):
            assert err2 < 0.5 * err1, (err1, err2)
        got = prior_log_likelihood(prior, x, t0=t0, steps=steps,
                                   num_probes=2)
        assert (got - want).abs().max() < 0.3  # Hutchinson: exact here
        # pairs more than 0.5 nats apart keep their order
        apart = (want[:, None] - want[None]).abs() > 0.5
        assert ((got[:, None] > got[None]) == (want[:, None] > want[None])
                )[apart].all()


def test_log_likelihood_of_real_poses_under_the_shipped_prior(shipped_prior):
    """Held-out real poses (in the prior's Human3.6M joint definitions and
    bone lengths) are more likely under the shipped prior than the same
    poses with 3 cm of noise per joint; bad arguments are named."""
    from mmzedo.datasets.mocap import h36m_joint_definitions
    raw = _root_relative_poses(n=32, seed=3).double().numpy()
    poses = torch.from_numpy(h36m_joint_definitions(raw)).float()
    poses = poses - poses[:, :1]
    g = torch.Generator().manual_seed(0)
    noisy = poses + 0.03 * torch.randn(poses.shape, generator=g)
    real, bad = prior_log_likelihood(shipped_prior, torch.cat([poses, noisy]),
                                     steps=24, chunk=16).split(32)
    assert torch.isfinite(real).all()
    assert (real > bad).float().mean() > 0.9, (real - bad)
    for kwargs, name in ((dict(t0=0.), 't0'), (dict(steps=0), 'steps'),
                         (dict(num_probes=0), 'num_probes')):
        with pytest.raises(ValueError, match=name):
            prior_log_likelihood(shipped_prior, poses, **kwargs)


@pytest.mark.parametrize('sde,std', [(SubVPSDE(), 1.), (VPSDE(), 1.),
                                     (VESDE(sigma_max=5.), 5.)],
                         ids=['subVP', 'VP', 'VE'])
def test_prior_logp_is_the_density_of_prior_sampling(sde, std):
    z = sde.prior_sampling((6, 17, 3), torch.Generator().manual_seed(0))
    want = torch.distributions.Normal(0., std).log_prob(z).flatten(1).sum(1)
    torch.testing.assert_close(sde.prior_logp(z), want)
