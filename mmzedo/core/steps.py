# Copyright (c) mmzedo contributors. All rights reserved.
"""Reverse-time step rules (plain torch), as small pure functions apart
from the SDE maths (k-diffusion style).

Every rule has the signature ``rule(sde, x, t, dt, noise_fn, generator)``
and returns ``x`` one step of size ``dt`` later in reverse time:

- ``sde``: the :class:`~mmzedo.core.sde_lib.SDE` (drift ``f``, diffusion
  ``g``, marginal std ``sigma``);
- ``x`` [B, ...] at times ``t`` [B];
- ``noise_fn(x, t)``: the network's predicted noise, so that the score is
  ``s = -noise / sigma`` and the denoised pose (times the mean coefficient)
  is ``x - sigma * noise``.

Rules (:data:`STEP_RULES`; add one with :func:`register_step_rule`):

- ``'sde'``: Euler-Maruyama on the reverse SDE,
  ``x - (f - g^2 s) dt + g sqrt(dt) z``.
- ``'ode'``: Euler on the probability-flow ODE, ``x - (f - g^2 s / 2) dt``.
- ``'zedo-official'``: the official ZeDO release's step, the reverse SDE's
  drift without noise, ``x - (f - g^2 s) dt``; its loop uses ``dt = 1/N``
  (1000 steps integrate a pseudo-time of 1).
- ``'zedo-relax'``: the same step read as a relaxation towards the denoised
  pose, ``x - f dt + lambda (x - sigma noise - x)`` with
  ``lambda = g^2 dt / sigma^2`` (4% at t = 0.1, 30% at t = 0.01 for
  ``dt = 1e-3``), integrated exactly: ``lambda -> 1 - exp(-lambda)``, so
  that no step overshoots the denoised pose whatever ``dt`` (the official
  step diverges once ``lambda > 2``, i.e. with few large steps).
"""
import math
from typing import Callable, Dict, Optional

import torch
from torch import Tensor

from .sde_lib import SDE, _bcast

NoiseFn = Callable[[Tensor, Tensor], Tensor]
StepRule = Callable[..., Tensor]

#: Name -> step rule.
STEP_RULES: Dict[str, StepRule] = {}


def register_step_rule(name: str):
    """Decorator that adds a step rule to :data:`STEP_RULES`."""

    def add(fn: StepRule) -> StepRule:
        STEP_RULES[name] = fn
        return fn

    return add


def get_step_rule(name: str) -> StepRule:
    """The step rule called ``name``, or a ``ValueError`` naming the known
    ones."""
    if name not in STEP_RULES:
        raise ValueError(f'Unknown reverse step "{name}"; choose from '
                         f'{sorted(STEP_RULES)}.')
    return STEP_RULES[name]


def _reverse_drift(sde: SDE, x: Tensor, t: Tensor, noise_fn: NoiseFn,
                   score_weight: float):
    """``f - w g^2 s`` (the reverse-time drift for ``w = 1``, the
    probability-flow drift for ``w = 1/2``) and ``g^2`` (broadcast)."""
    drift, diffusion = sde.sde(x, t)
    score = -noise_fn(x, t) / _bcast(sde.marginal_std(t), x)
    g2 = _bcast(diffusion**2, x)
    return drift - score_weight * g2 * score, g2


@register_step_rule('sde')
def euler_maruyama_step(sde: SDE, x: Tensor, t: Tensor, dt: float,
                        noise_fn: NoiseFn,
                        generator: Optional[torch.Generator] = None
                        ) -> Tensor:
    drift, g2 = _reverse_drift(sde, x, t, noise_fn, 1.0)
    z = torch.randn(x.shape, generator=generator, device=x.device,
                    dtype=x.dtype)
    return x - drift * dt + g2.sqrt() * math.sqrt(dt) * z


@register_step_rule('ode')
def probability_flow_step(sde: SDE, x: Tensor, t: Tensor, dt: float,
                          noise_fn: NoiseFn,
                          generator: Optional[torch.Generator] = None
                          ) -> Tensor:
    return x - _reverse_drift(sde, x, t, noise_fn, 0.5)[0] * dt


@register_step_rule('zedo-official')
def zedo_official_step(sde: SDE, x: Tensor, t: Tensor, dt: float,
                       noise_fn: NoiseFn,
                       generator: Optional[torch.Generator] = None
                       ) -> Tensor:
    """The Euler-Maruyama step without its noise."""
    return x - _reverse_drift(sde, x, t, noise_fn, 1.0)[0] * dt


@register_step_rule('zedo-relax')
def zedo_relax_step(sde: SDE, x: Tensor, t: Tensor, dt: float,
                    noise_fn: NoiseFn,
                    generator: Optional[torch.Generator] = None) -> Tensor:
    drift, diffusion = sde.sde(x, t)
    sigma = sde.marginal_std(t)
    lam = -torch.expm1(-diffusion**2 * dt / sigma**2)  # 1 - exp(-lambda)
    to_denoised = -_bcast(sigma, x) * noise_fn(x, t)
    return x - drift * dt + _bcast(lam, x) * to_denoised
