# Copyright (c) mmzedo contributors. All rights reserved.
"""Log-likelihood of poses under the prior (plain torch), after score_sde's
``likelihood.py``: integrate the probability-flow ODE
``dx/dt = f(x, t) - g(t)^2 s(x, t) / 2`` from ``t0`` to ``T`` and add the
integral of its divergence to the log density of ``p_T``:

    log p_t0(x) = log p_T(x_T) + int_t0^T div(dx/dt) dt.

The divergence is exact (the Jacobian's trace, one probe per coordinate:
51 for a pose) or Hutchinson's estimate with Rademacher probes; the ODE
is integrated with Heun's method on the SDE's own
:meth:`~mmzedo.core.sde_lib.SDE.time_grid` (geometric in ``t`` for the VP
SDEs, whose drift changes fastest at small ``t``). The drift is the SDE's own
:meth:`~mmzedo.core.sde_lib.SDE.reverse_drift`, so any SDE of
:mod:`mmzedo.core.sde_lib` works.
"""
from typing import Optional

import torch
from torch import Tensor

from .sde_lib import _bcast


def _ode_drift_and_divergence(prior, x: Tensor, t: float, probes: Tensor,
                              exact: bool):
    """The probability-flow drift [B, ...] at ``x`` and time ``t`` and its
    divergence [B]: ``sum_p z_p^T J z_p`` over the ``probes`` [P, B, ...]
    (the trace itself for the coordinate basis, ``exact``), else its mean
    (Hutchinson). One batched pass over the P copies of ``x``."""
    sde = prior.sde
    P, B = probes.shape[:2]
    tt = torch.full((P * B, ), t, dtype=x.dtype, device=x.device)
    with torch.enable_grad():
        xs = x.expand(P, *x.shape).reshape(P * B, *x.shape[1:])
        xs = xs.detach().requires_grad_(True)
        score = -prior.predicted_noise(xs, tt) / _bcast(
            sde.marginal_std(tt), xs)
        drift, _ = sde.reverse_drift(xs, tt, score, probability_flow=True)
        z = probes.reshape(P * B, *x.shape[1:])
        grad, = torch.autograd.grad((drift * z).sum(), xs)
    div = (grad * z).flatten(1).sum(1).reshape(P, B)
    div = div.sum(0) if exact else div.mean(0)
    return drift[:B].detach(), div.detach()


@torch.no_grad()
def prior_log_likelihood(prior,
                         x: Tensor,
                         t0: float = 0.01,
                         steps: int = 48,
                         num_probes: Optional[int] = None,
                         generator: Optional[torch.Generator] = None,
                         chunk: int = 256) -> Tensor:
    """``log p_t0(x)`` [B] of poses ``x`` [B, J, 3] under the prior's
    marginal at time ``t0`` (nats).

    Args:
        prior: A :class:`~mmzedo.core.ScorePrior` (``sde`` and
            ``predicted_noise``).
        x: Poses [B, J, 3] (root-relative metres).
        t0: Time of the marginal, in ``(0, T)``.
        steps: Heun steps from ``t0`` to ``T`` (2 prior evaluations each).
        num_probes: Rademacher probes of Hutchinson's divergence estimate;
            ``None``: the exact divergence (one probe per coordinate, J*3).
        generator: Random generator of the probes.
        chunk: Poses per batched pass (memory: ``chunk`` times the number
            of probes rows).
    """
    T = prior.sde.T
    if not 0 < t0 < T:
        raise ValueError(f't0 must be in (0, {T}), got {t0}.')
    if steps < 1 or chunk < 1 or (num_probes is not None
                                  and num_probes < 1):
        raise ValueError(f'steps, chunk and num_probes must be >= 1, got '
                         f'{steps}, {chunk}, {num_probes}.')
    if len(x) > chunk:
        return torch.cat([
            prior_log_likelihood(prior, part, t0, steps, num_probes,
                                 generator, chunk)
            for part in x.split(chunk)
        ])
    exact = num_probes is None
    if exact:
        d = x[0].numel()
        probes = torch.eye(d, dtype=x.dtype, device=x.device).reshape(
            d, 1, *x.shape[1:]).expand(d, *x.shape)
    else:
        probes = torch.randint(0, 2, (num_probes, ) + tuple(x.shape),
                               generator=generator).to(x) * 2 - 1
    ts = prior.sde.time_grid(t0, T, steps)
    delta = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
    for t, t_next in zip(ts[:-1], ts[1:]):
        h = t_next - t
        d1, div1 = _ode_drift_and_divergence(prior, x, t, probes, exact)
        d2, div2 = _ode_drift_and_divergence(prior, x + h * d1, t_next,
                                             probes, exact)
        x = x + 0.5 * h * (d1 + d2)
        delta = delta + 0.5 * h * (div1 + div2)
    return prior.sde.prior_logp(x) + delta
