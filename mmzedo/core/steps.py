# Copyright (c) mmzedo contributors. All rights reserved.
"""Reverse-time step rules (plain torch), as small pure functions apart
from the SDE maths and the schedule (k-diffusion style).

Every rule has one signature,
``rule(sde, x, t, t_next, dt, noise_fn, state=None, generator=None)``,
and returns ``x`` one step later in reverse time:

- ``sde``: the :class:`~mmzedo.core.sde_lib.SDE`, whose
  :meth:`~mmzedo.core.sde_lib.SDE.reverse_drift` is the one place the
  reverse drift is derived;
- ``x`` [B, ...] at times ``t`` [B]; ``t_next`` [B]: the schedule's next
  time (:class:`~mmzedo.core.schedule.TimeSchedule`); ``dt``: the step's
  size (``t - t_next`` in the textbook process; ZeDO's loop integrates a
  pseudo-time per step instead);
- ``noise_fn(x, t)``: the network's predicted noise, so that the score is
  ``s = -noise / sigma`` and the denoised pose (times the mean coefficient)
  is ``x - sigma * noise``;
- ``state``: a dict that lives for one loop (empty at its start), for
  rules that keep history (multistep rules).

Rules (:data:`STEP_RULES`; add one with :func:`register_step_rule`):

- ``'sde'``: Euler-Maruyama on the reverse SDE,
  ``x - (f - g^2 s) dt + g sqrt(dt) z``.
- ``'ode'``: Euler on the probability-flow ODE, ``x - (f - g^2 s / 2) dt``.
- ``'ode-heun'``: Heun's method (second order) on the probability-flow
  ODE: the Euler step's drift averaged with the drift at its end point and
  ``t_next`` (2 prior evaluations per step).
- ``'zedo-official'``: the official ZeDO release's step, the reverse SDE's
  drift without noise, ``x - (f - g^2 s) dt``; its loop uses ``dt = 1/N``
  (1000 steps integrate a pseudo-time of 1).
- ``'zedo-heun'``: Heun's method on the official step's drift (2 prior
  evaluations per step).
- ``'zedo-relax'``: the official step read as a relaxation towards the
  denoised pose, ``x - f dt + lambda (x - sigma noise - x)`` with
  ``lambda = g^2 dt / sigma^2`` (4% at t = 0.1, 30% at t = 0.01 for
  ``dt = 1e-3``), integrated exactly: ``lambda -> 1 - exp(-lambda)``, so
  that no step overshoots the denoised pose whatever ``dt`` (the official
  step diverges once ``lambda > 2``, i.e. with few large steps).
"""
import math
from typing import Callable, Dict, Optional

import torch
from torch import Tensor

from .named_rules import NamedRules
from .sde_lib import SDE, _bcast

NoiseFn = Callable[[Tensor, Tensor], Tensor]
StepRule = Callable[..., Tensor]

#: Name -> step rule.
STEP_RULES = NamedRules('reverse step')
#: Name -> prior evaluations per step of that rule (1 unless registered).
STEP_EVALUATIONS: Dict[str, int] = {}


def register_step_rule(name: str, evaluations: int = 1):
    """Decorator that adds a step rule to :data:`STEP_RULES`, with the
    number of prior evaluations each of its steps costs."""
    STEP_EVALUATIONS[name] = int(evaluations)
    return STEP_RULES.register(name)


def get_step_rule(name: str) -> StepRule:
    """The step rule called ``name``, or a ``ValueError`` naming the known
    ones."""
    return STEP_RULES.lookup(name)


def _drift(sde: SDE, x: Tensor, t: Tensor, noise_fn: NoiseFn,
           probability_flow: bool):
    """The reverse drift and diffusion at ``(x, t)`` from the predicted
    noise (:meth:`SDE.reverse_drift`)."""
    score = -noise_fn(x, t) / _bcast(sde.marginal_std(t), x)
    return sde.reverse_drift(x, t, score, probability_flow)


@register_step_rule('sde')
def euler_maruyama_step(sde: SDE, x: Tensor, t: Tensor, t_next: Tensor,
                        dt: float, noise_fn: NoiseFn,
                        state: Optional[dict] = None,
                        generator: Optional[torch.Generator] = None
                        ) -> Tensor:
    drift, diffusion = _drift(sde, x, t, noise_fn, False)
    z = torch.randn(x.shape, generator=generator, device=x.device,
                    dtype=x.dtype)
    return x - drift * dt + diffusion * math.sqrt(dt) * z


@register_step_rule('ode')
def probability_flow_step(sde: SDE, x: Tensor, t: Tensor, t_next: Tensor,
                          dt: float, noise_fn: NoiseFn,
                          state: Optional[dict] = None,
                          generator: Optional[torch.Generator] = None
                          ) -> Tensor:
    return x - _drift(sde, x, t, noise_fn, True)[0] * dt


@register_step_rule('zedo-official')
def zedo_official_step(sde: SDE, x: Tensor, t: Tensor, t_next: Tensor,
                       dt: float, noise_fn: NoiseFn,
                       state: Optional[dict] = None,
                       generator: Optional[torch.Generator] = None
                       ) -> Tensor:
    """The Euler-Maruyama step without its noise."""
    return x - _drift(sde, x, t, noise_fn, False)[0] * dt


def _heun(sde, x, t, t_next, dt, noise_fn, probability_flow):
    """Heun's method: Euler to ``t_next``, then the mean of the drifts at
    both ends."""
    d1 = _drift(sde, x, t, noise_fn, probability_flow)[0]
    d2 = _drift(sde, x - d1 * dt, t_next, noise_fn, probability_flow)[0]
    return x - 0.5 * (d1 + d2) * dt


@register_step_rule('ode-heun', evaluations=2)
def probability_flow_heun_step(sde: SDE, x: Tensor, t: Tensor,
                               t_next: Tensor, dt: float, noise_fn: NoiseFn,
                               state: Optional[dict] = None,
                               generator: Optional[torch.Generator] = None
                               ) -> Tensor:
    return _heun(sde, x, t, t_next, dt, noise_fn, True)


@register_step_rule('zedo-heun', evaluations=2)
def zedo_heun_step(sde: SDE, x: Tensor, t: Tensor, t_next: Tensor,
                   dt: float, noise_fn: NoiseFn,
                   state: Optional[dict] = None,
                   generator: Optional[torch.Generator] = None) -> Tensor:
    return _heun(sde, x, t, t_next, dt, noise_fn, False)


@register_step_rule('zedo-relax')
def zedo_relax_step(sde: SDE, x: Tensor, t: Tensor, t_next: Tensor,
                    dt: float, noise_fn: NoiseFn,
                    state: Optional[dict] = None,
                    generator: Optional[torch.Generator] = None) -> Tensor:
    drift, diffusion = sde.sde(x, t)
    sigma = sde.marginal_std(t)
    lam = -torch.expm1(-diffusion**2 * dt / sigma**2)  # 1 - exp(-lambda)
    to_denoised = -_bcast(sigma, x) * noise_fn(x, t)
    return x - drift * dt + _bcast(lam, x) * to_denoised
