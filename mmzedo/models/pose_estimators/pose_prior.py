# Copyright (c) mmzedo contributors. All rights reserved.
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel
from mmengine.structures import InstanceData
from mmpose.registry import MODELS
from torch import Tensor

from mmzedo.core.score_prior import (DEFAULT_SDE, PUBLISHED_PREFIX,
                                     ScorePrior)
from mmzedo.core.settings import merge_settings

#: ``PosePrior``'s validation settings (``val_cfg`` overrides them; unknown
#: names are an error).
VAL_DEFAULTS = dict(t=0.05, steps=50, mode='ode', num_samples=64,
                    sample_steps=200, sample_mode='sde', seed=0)


@MODELS.register_module()
class PosePrior(BaseModel):
    """ZeDO's score-based 3D pose prior as an mmengine model.

    It trains with denoising score matching on root-relative 3D poses of
    any mmpose 3D dataset; the 2D inputs are never used. The fast path
    feeds batches ``inputs`` [B, 17, 3] from
    :class:`~mmzedo.datasets.PoseTargetDataset`, augmented on the device by
    :class:`~mmzedo.models.PriorDataPreprocessor`; mmpose's per-sample
    pipeline also works (targets from
    ``gt_instance_labels.lifting_target_label``, as mmpose's
    ``VideoPoseLifting`` codec makes them with ``zero_center=True``).

    In ``predict`` mode (validation/test) it noises each clean pose to time
    ``val_cfg.t``, runs the reverse process back to ``eps`` and stores the
    result in ``pred_instances.keypoints`` (root-relative), with the noised
    pose in ``pred_instances.noised_keypoints``; the first sample of every
    batch also carries ``prior_samples``, unconditional samples from
    :meth:`sample`. :class:`~mmzedo.evaluation.PriorQualityMetric` scores
    both.

    Args:
        score_net (dict): Config of the noise-predicting network.
        sde (dict): Config of the SDE (``subVP`` by default, beta 0.1..20).
        eps (float): Smallest time. Defaults to 1e-5.
        step_mode (str): Reverse step of :meth:`denoise_step`: ``'sde'``,
            ``'ode'`` or ``'zedo-official'``. Defaults to ``'sde'``.
        train_t (dict, optional): Training-time distribution: ``t_max`` and
            ``full_range_prob`` (see :func:`mmzedo.core.sample_train_times`).
            Defaults to ``U(eps, 1)``.
        val_cfg (dict): ``t`` (0.05), ``steps`` (50), ``mode`` (``'ode'``:
            the deterministic step; the stochastic one samples the posterior
            rather than denoising), ``num_samples`` (64, per batch),
            ``sample_steps`` (200), ``sample_mode`` (``'sde'``), ``seed`` (0)
            of the validation protocol.
        data_preprocessor (dict, optional): Defaults to mmengine's
            ``BaseDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 score_net: dict,
                 sde: Optional[dict] = None,
                 eps: float = 1e-5,
                 step_mode: str = 'sde',
                 train_t: Optional[dict] = None,
                 val_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        sde = dict(DEFAULT_SDE if sde is None else sde)
        self.prior = ScorePrior(MODELS.build(score_net), sde, eps, step_mode,
                                train_t)
        # Plain dicts: what tools/publish_prior.py stores (weights_only).
        self.prior_cfg = dict(
            score_net=dict(score_net), sde=dict(sde), eps=float(eps),
            step_mode=step_mode, train_t=dict(self.prior.train_t))
        self.val_cfg = merge_settings(VAL_DEFAULTS, val_cfg, 'val_cfg')
        self._register_load_state_dict_pre_hook(self._published_keys)

    @staticmethod
    def _published_keys(state_dict, prefix, *args) -> None:
        """A published prior (``head.prior.*``, the lifter's layout) loads
        here too (``load_from``, ``init_cfg=Pretrained``): its keys become
        this model's ``prior.*``."""
        head = prefix + PUBLISHED_PREFIX
        for key in [k for k in state_dict if k.startswith(head)]:
            state_dict[prefix + 'prior.' + key[len(head):]] = state_dict.pop(
                key)

    # The interface later stages (ZeDO lifter, refinement) use.
    def score(self, x: Tensor, t) -> Tensor:
        """Score of poses ``x`` [B, 17, 3] (root-relative metres)."""
        return self.prior.score(x, t)

    def predicted_noise(self, x: Tensor, t) -> Tensor:
        """The network's noise prediction (``-score * std``)."""
        return self.prior.predicted_noise(x, t)

    def denoise_step(self, x: Tensor, t, dt: float,
                     mode: Optional[str] = None, generator=None,
                     t_next=None, state: Optional[dict] = None) -> Tensor:
        """One reverse step (:meth:`ScorePrior.denoise_step`)."""
        return self.prior.denoise_step(x, t, dt, mode, generator, t_next,
                                       state)

    def sample(self, n: int, steps: Optional[int] = None,
               mode: Optional[str] = None) -> Tensor:
        """``n`` unconditional samples [n, 17, 3]."""
        return self.prior.sample(n, steps, mode=mode)

    @staticmethod
    def _targets(data_samples) -> Tensor:
        if not data_samples:
            raise ValueError('PosePrior needs data samples carrying '
                             'gt_instance_labels.lifting_target_label.')
        x0 = torch.cat([
            d.gt_instance_labels.lifting_target_label.reshape(-1, 17, 3)
            for d in data_samples
        ])
        if not torch.isfinite(x0).all():
            raise ValueError('PosePrior got NaN/inf 3D targets.')
        return x0.float()

    def forward(self,
                inputs: Union[Tensor, List],
                data_samples: Optional[List] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], List]:
        """``'loss'``: the DSM loss; ``'predict'``: data samples with the
        validation protocol's outputs; ``'tensor'``: the scores of the
        targets at ``val_cfg.t``."""
        if mode == 'loss':
            if isinstance(inputs, Tensor) and data_samples is None:
                x0 = inputs.float()  # PoseTargetDataset batches
                if x0.dim() != 3 or x0.shape[1:] != (17, 3):
                    raise ValueError('PosePrior expects pose batches of shape'
                                     f' [B, 17, 3], got {list(x0.shape)}.')
            else:
                x0 = self._targets(data_samples)
            return dict(loss_dsm=self.prior.dsm_loss(x0))
        if mode == 'predict':
            return self.predict(data_samples)
        if mode == 'tensor':
            return self.score(self._targets(data_samples), self.val_cfg['t'])
        raise ValueError(f'Invalid mode "{mode}".')

    @torch.no_grad()
    def predict(self, data_samples: List) -> List:
        cfg = self.val_cfg
        x0 = self._targets(data_samples)
        gen = torch.Generator(device=x0.device).manual_seed(cfg['seed'])
        t = torch.full((len(x0), ), float(cfg['t']), device=x0.device)
        noise = torch.randn(x0.shape, generator=gen, device=x0.device)
        x_t, _, _ = self.prior.sde.perturb(x0, t, noise)
        den = self.prior.denoise(x_t, cfg['t'], cfg['steps'],
                                 mode=cfg['mode'], generator=gen)
        for i, d in enumerate(data_samples):
            d.pred_instances = InstanceData(
                keypoints=den[i:i + 1].cpu().numpy(),
                noised_keypoints=x_t[i:i + 1].cpu().numpy())
        if cfg['num_samples']:
            samples = self.prior.sample(
                cfg['num_samples'], cfg['sample_steps'],
                mode=cfg['sample_mode'], generator=gen)
            data_samples[0].set_field(samples.cpu().numpy(), 'prior_samples')
        return data_samples
