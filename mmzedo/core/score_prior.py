# Copyright (c) mmzedo contributors. All rights reserved.
"""The score-based 3D pose prior (plain torch): a noise-predicting network
plus an SDE, with denoising score matching, the score, one reverse step and
unconditional sampling."""
from typing import Optional

import torch
from torch import Tensor, nn

from .sde_lib import SDE, STEP_MODES, _bcast, build_sde


class ScorePrior(nn.Module):
    """Score-matching prior over root-relative poses ``[B, J, 3]`` (metres).

    Args:
        score_net (nn.Module): ``net(x [B,J,3], t [B]) -> noise [B,J,3]``.
        sde (SDE | dict): The forward SDE (default sub-VP, beta 0.1..20).
        eps (float): Smallest training/sampling time. Defaults to 1e-5.
        step_mode (str): Default reverse step, one of
            :data:`~mmzedo.core.sde_lib.STEP_MODES`. Defaults to ``'sde'``.
    """

    def __init__(self,
                 score_net: nn.Module,
                 sde=dict(type='subVP', beta_min=0.1, beta_max=20., N=1000),
                 eps: float = 1e-5,
                 step_mode: str = 'sde'):
        super().__init__()
        if step_mode not in STEP_MODES:
            raise ValueError(f'Unknown step_mode "{step_mode}"; choose from '
                             f'{STEP_MODES}.')
        self.score_net = score_net
        self.sde: SDE = build_sde(sde)
        self.eps = eps
        self.step_mode = step_mode

    @staticmethod
    def _times(x: Tensor, t) -> Tensor:
        t = torch.as_tensor(t, dtype=x.dtype, device=x.device)
        return t.expand(x.shape[0]) if t.dim() == 0 else t

    def predicted_noise(self, x: Tensor, t) -> Tensor:
        """The network's noise prediction for poses ``x`` [B, J, 3] at times
        ``t`` (scalar or [B]): ``-score * std``, unitless."""
        return self.score_net(x, self._times(x, t))

    def score(self, x: Tensor, t) -> Tensor:
        """``grad_x log p_t(x)`` for poses ``x`` [B, J, 3] at times ``t``
        (scalar or [B])."""
        t = self._times(x, t)
        return -self.score_net(x, t) / _bcast(self.sde.marginal_std(t), x)

    def dsm_loss(self, x0: Tensor,
                 generator: Optional[torch.Generator] = None) -> Tensor:
        """Denoising score-matching loss at continuous ``t ~ U(eps, 1)``:
        the mean squared error of the predicted noise (score_sde's
        ``reduce_mean`` loss)."""
        t = torch.rand(x0.shape[0], generator=generator, device=x0.device,
                       dtype=x0.dtype) * (self.sde.T - self.eps) + self.eps
        noise = torch.randn(x0.shape, generator=generator, device=x0.device,
                            dtype=x0.dtype)
        x_t, _, _ = self.sde.perturb(x0, t, noise)
        return ((self.score_net(x_t, t) - noise)**2).mean()

    def denoise_step(self,
                     x: Tensor,
                     t,
                     dt: float,
                     mode: Optional[str] = None,
                     generator: Optional[torch.Generator] = None) -> Tensor:
        """One reverse step from ``t`` to ``t - dt`` (see
        :meth:`SDE.reverse_step`)."""
        return self.sde.reverse_step(x, t, dt, self.score,
                                     mode or self.step_mode, generator)

    @torch.no_grad()
    def denoise(self,
                x: Tensor,
                t_start: float,
                steps: int,
                t_end: Optional[float] = None,
                mode: Optional[str] = None,
                generator: Optional[torch.Generator] = None) -> Tensor:
        """Run the reverse process from ``t_start`` down to ``t_end``
        (default ``eps``) in ``steps`` equal steps."""
        t_end = self.eps if t_end is None else t_end
        ts = torch.linspace(t_start, t_end, steps + 1, device=x.device)
        for i in range(steps):
            x = self.denoise_step(x, ts[i], float(ts[i] - ts[i + 1]), mode,
                                  generator)
        return x

    @torch.no_grad()
    def sample(self,
               n: int,
               steps: Optional[int] = None,
               num_joints: int = 17,
               mode: Optional[str] = None,
               generator: Optional[torch.Generator] = None) -> Tensor:
        """``n`` poses [n, J, 3] drawn from the prior by integrating the
        reverse process from ``T`` to ``eps`` (``steps`` defaults to
        ``sde.N``)."""
        device = next(self.parameters()).device
        x = self.sde.prior_sampling((n, num_joints, 3), generator, device)
        return self.denoise(x, self.sde.T, steps or self.sde.N, mode=mode,
                            generator=generator)

    @classmethod
    def from_checkpoint(cls, path: str, map_location='cpu') -> 'ScorePrior':
        """Load a prior published by ``tools/publish_prior.py`` (plain torch,
        ``weights_only`` safe; no mmengine needed)."""
        from .score_net import ScoreMLP
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
        if 'prior_cfg' not in ckpt:
            raise KeyError(f'{path} is not a published mmzedo prior (no '
                           '"prior_cfg"); publish it with '
                           'tools/publish_prior.py.')
        cfg = dict(ckpt['prior_cfg'])
        net_cfg = dict(cfg.pop('score_net'))
        net_cfg.pop('type', None)
        prior = cls(ScoreMLP(**net_cfg), **cfg)
        # Published keys are PosePrior's ('prior.score_net...').
        state = {
            k[len('prior.'):] if k.startswith('prior.') else k: v
            for k, v in ckpt['state_dict'].items()
        }
        prior.load_state_dict(state)
        return prior.eval()
