# Copyright (c) mmzedo contributors. All rights reserved.
"""Stochastic differential equations of score-based diffusion (plain torch).

The one place where mmzedo's SDE maths lives, after score_sde's ``sde_lib``
(Song et al., ICLR 2021): the variance-preserving (VP), sub-VP and
variance-exploding (VE) SDEs, each with drift, diffusion, marginal
mean/std and prior sampling, and the reverse-time drift derived once for
all of them (:meth:`SDE.reverse_drift`). Reverse-time step rules that use
it are small functions in :mod:`mmzedo.core.steps`; the log-likelihood
(:mod:`mmzedo.core.likelihood`) integrates its probability-flow form.
"""
import math
from typing import Tuple

import torch
from torch import Tensor


def _bcast(v: Tensor, x: Tensor) -> Tensor:
    """Reshape a per-sample tensor [B] (or scalar) to broadcast over x."""
    v = torch.as_tensor(v, dtype=x.dtype, device=x.device)
    if v.dim() == 0:
        return v
    return v.reshape(-1, *([1] * (x.dim() - 1)))


def _normal_logp(z: Tensor, std: float) -> Tensor:
    """Log density [B] of ``N(0, std^2 I)`` at ``z`` [B, ...]."""
    d = z[0].numel()
    return (-0.5 * (z.flatten(1) / std).square().sum(1) -
            d * math.log(std) - 0.5 * d * math.log(2 * math.pi))


class SDE:
    """Base class of forward SDEs ``dx = f(x, t) dt + g(t) dw``, t in [0, 1].

    Args:
        N (int): Number of discretisation steps (the default number of
            sampling steps). Defaults to 1000.
    """

    def __init__(self, N: int = 1000):
        self.N = N

    T = 1.0

    def sde(self, x: Tensor, t: Tensor) -> Tuple[Tensor, Tensor]:
        """Drift ``f(x, t)`` (like x) and diffusion ``g(t)`` ([B])."""
        raise NotImplementedError

    def marginal_std(self, t: Tensor) -> Tensor:
        """Std of ``p_t(x | x0)`` (independent of ``x0``)."""
        raise NotImplementedError

    def time_grid(self, t_start: float, t_end: float, steps: int) -> list:
        """``steps + 1`` times from ``t_start`` to ``t_end`` on which an ODE
        of this SDE is integrated well: geometric in ``t`` (the VP SDEs'
        drift changes fastest at small ``t``)."""
        return torch.exp(torch.linspace(math.log(t_start), math.log(t_end),
                                        steps + 1)).tolist()

    def reverse_drift(self,
                      x: Tensor,
                      t: Tensor,
                      score: Tensor,
                      probability_flow: bool = False
                      ) -> Tuple[Tensor, Tensor]:
        """Drift and diffusion of the reverse-time process, derived once
        for every SDE (score_sde's ``SDE.reverse``):

        - the reverse-time SDE: drift ``f - g^2 s``, diffusion ``g``;
        - the probability-flow ODE (``probability_flow``): drift
          ``f - g^2 s / 2``, diffusion 0.

        Time runs backwards: a step of size ``dt`` from ``t`` is
        ``x - drift dt (+ diffusion sqrt(dt) z)``.

        Args:
            x: Points [B, ...] at times ``t`` [B].
            score: ``grad_x log p_t(x)``, like ``x``.
            probability_flow: The ODE instead of the SDE.

        Returns:
            tuple: the drift (like ``x``) and the diffusion, broadcast over
            ``x``.
        """
        drift, diffusion = self.sde(x, t)
        g2 = _bcast(diffusion**2, x)
        weight = 0.5 if probability_flow else 1.0
        drift = drift - weight * g2 * score
        return drift, (torch.zeros_like(g2) if probability_flow else
                       g2.sqrt())

    def marginal_prob(self, x0: Tensor, t: Tensor) -> Tuple[Tensor, Tensor]:
        """Mean (like x0) and std (like t) of ``p_t(x | x0)``."""
        raise NotImplementedError

    def prior_sampling(self, shape, generator=None, device=None,
                       dtype=torch.float32) -> Tensor:
        """Samples from ``p_T``."""
        raise NotImplementedError

    def prior_logp(self, z: Tensor) -> Tensor:
        """Log density [B] of ``p_T`` at ``z`` [B, ...]."""
        raise NotImplementedError

    def perturb(self, x0: Tensor, t: Tensor,
                noise: Tensor = None) -> Tuple[Tensor, Tensor, Tensor]:
        """Draw ``x_t ~ p_t(x | x0)``; returns ``(x_t, noise, std)``."""
        mean, std = self.marginal_prob(x0, t)
        if noise is None:
            noise = torch.randn_like(x0)
        return mean + _bcast(std, x0) * noise, noise, std

    def __repr__(self) -> str:
        args = ', '.join(f'{k}={v}' for k, v in vars(self).items())
        return f'{type(self).__name__}({args})'


class VPSDE(SDE):
    """Variance-preserving SDE (DDPM in the continuum),
    ``beta(t) = beta_min + t (beta_max - beta_min)``."""

    def __init__(self, beta_min: float = 0.1, beta_max: float = 20.,
                 N: int = 1000):
        super().__init__(N)
        self.beta_0 = beta_min
        self.beta_1 = beta_max

    def _beta(self, t: Tensor) -> Tensor:
        return self.beta_0 + t * (self.beta_1 - self.beta_0)

    def _log_mean_coeff(self, t: Tensor) -> Tensor:
        return (-0.25 * t**2 * (self.beta_1 - self.beta_0) -
                0.5 * t * self.beta_0)

    def sde(self, x, t):
        beta_t = self._beta(t)
        return -0.5 * _bcast(beta_t, x) * x, torch.sqrt(beta_t)

    def marginal_std(self, t):
        return torch.sqrt(1. - torch.exp(2. * self._log_mean_coeff(t)))

    def marginal_prob(self, x0, t):
        mean = _bcast(torch.exp(self._log_mean_coeff(t)), x0) * x0
        return mean, self.marginal_std(t)

    def prior_sampling(self, shape, generator=None, device=None,
                       dtype=torch.float32):
        return torch.randn(shape, generator=generator, device=device,
                           dtype=dtype)

    def prior_logp(self, z: Tensor) -> Tensor:
        """Log density [B] of the prior distribution at ``T`` (standard
        normal) at ``z`` [B, ...]."""
        return _normal_logp(z, 1.0)


class SubVPSDE(VPSDE):
    """Sub-VP SDE (Song et al. 2021), ZeDO's default: the VP drift with a
    diffusion ``beta(t) (1 - exp(-2 int_0^t beta))`` whose marginal std is
    ``1 - exp(2 log_mean_coeff)``."""

    def sde(self, x, t):
        beta_t = self._beta(t)
        discount = 1. - torch.exp(-2 * self.beta_0 * t -
                                  (self.beta_1 - self.beta_0) * t**2)
        return -0.5 * _bcast(beta_t, x) * x, torch.sqrt(beta_t * discount)

    def marginal_std(self, t):
        return 1. - torch.exp(2. * self._log_mean_coeff(t))


class VESDE(SDE):
    """Variance-exploding SDE (NCSN in the continuum),
    ``sigma(t) = sigma_min (sigma_max / sigma_min)^t``."""

    def __init__(self, sigma_min: float = 0.01, sigma_max: float = 5.,
                 N: int = 1000):
        super().__init__(N)
        self.sigma_min = sigma_min
        self.sigma_max = sigma_max

    def _sigma(self, t: Tensor) -> Tensor:
        return self.sigma_min * (self.sigma_max / self.sigma_min)**t

    def sde(self, x, t):
        sigma = self._sigma(t)
        diffusion = sigma * math.sqrt(
            2 * (math.log(self.sigma_max) - math.log(self.sigma_min)))
        return torch.zeros_like(x), diffusion

    def marginal_std(self, t):
        return self._sigma(t)

    def marginal_prob(self, x0, t):
        return x0, self._sigma(t)

    def time_grid(self, t_start: float, t_end: float, steps: int) -> list:
        """Linear in ``t``: geometric in the noise level ``sigma(t)``."""
        return torch.linspace(t_start, t_end, steps + 1).tolist()

    def prior_sampling(self, shape, generator=None, device=None,
                       dtype=torch.float32):
        return self.sigma_max * torch.randn(
            shape, generator=generator, device=device, dtype=dtype)

    def prior_logp(self, z: Tensor) -> Tensor:
        """Log density [B] of ``N(0, sigma_max^2 I)`` at ``z``."""
        return _normal_logp(z, self.sigma_max)


SDES = {'subvp': SubVPSDE, 'vp': VPSDE, 've': VESDE}


def build_sde(cfg) -> SDE:
    """Build an SDE from an instance, or a dict ``type`` in ``'subVP'``,
    ``'VP'``, ``'VE'`` (case-insensitive; ``'SubVPSDE'`` etc. also work)
    plus its arguments."""
    if isinstance(cfg, SDE):
        return cfg
    cfg = dict(cfg)
    name = str(cfg.pop('type', 'subVP')).lower()
    name = name[:-3] if name.endswith('sde') else name
    if name not in SDES:
        raise KeyError(f'Unknown SDE "{name}"; choose from subVP, VP, VE.')
    return SDES[name](**cfg)
