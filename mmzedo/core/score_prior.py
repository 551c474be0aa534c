# Copyright (c) mmzedo contributors. All rights reserved.
"""The score-based 3D pose prior (plain torch): a noise-predicting network
plus an SDE, with denoising score matching, the score, one reverse step and
unconditional sampling."""
import hashlib
from typing import Optional

import torch
from torch import Tensor, nn

from .score_net import build_score_net
from .sde_lib import SDE, _bcast, build_sde
from .settings import merge_settings
from .schedule import TimeSchedule
from .steps import get_step_rule

#: Training-time distribution: with probability ``1 - full_range_prob``
#: ``t ~ U(eps, t_max)`` (the noise levels ZeDO's loop uses), otherwise
#: ``t ~ U(eps, T)`` (keeps :meth:`ScorePrior.sample` working).
TRAIN_T_DEFAULTS = dict(t_max=1.0, full_range_prob=0.0)

#: The prior's SDE unless a config names another (the paper's subVP SDE).
DEFAULT_SDE = dict(type='subVP', beta_min=0.1, beta_max=20., N=1000)

#: What a published prior's ``meta['format']`` must say (see
#: :meth:`ScorePrior.from_checkpoint`).
PRIOR_FORMAT = 'mmzedo-prior-v2'
#: Key prefix of a published prior's weights: where mmpose's ``PoseLifter``
#: with a :class:`~mmzedo.models.ZeDOHead` holds them (``head.prior.*``),
#: so that ``tools/test.py CONFIG PRIOR`` and mmpose's inferencers load a
#: published prior straight into the lifter. mmzedo's ``PosePrior``
#: (training) holds them as ``prior.*``; both forms load everywhere.
PUBLISHED_PREFIX = 'head.prior.'
#: The prefixes a prior's weights may carry (longest first).
PRIOR_PREFIXES = (PUBLISHED_PREFIX, 'prior.')


def strip_prior_prefix(key: str) -> Optional[str]:
    """``key`` without its prior prefix (:data:`PRIOR_PREFIXES`), or None
    when it has none."""
    for prefix in PRIOR_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix):]
    return None


def sample_train_times(n: int,
                       eps: float,
                       T: float = 1.0,
                       t_max: float = 1.0,
                       full_range_prob: float = 0.0,
                       generator: Optional[torch.Generator] = None,
                       device=None,
                       dtype=torch.float32) -> Tensor:
    """``n`` training times [n]: ``U(eps, t_max)``, each replaced with
    probability ``full_range_prob`` by a draw from ``U(eps, T)``."""
    u = torch.rand(n, generator=generator, device=device, dtype=dtype)
    t = eps + u * (min(t_max, T) - eps)
    if full_range_prob > 0:
        full = eps + torch.rand(
            n, generator=generator, device=device, dtype=dtype) * (T - eps)
        pick = torch.rand(
            n, generator=generator, device=device,
            dtype=dtype) < full_range_prob
        t = torch.where(pick, full, t)
    return t


def check_train_t(train_t: Optional[dict], eps: float, T: float) -> dict:
    """:data:`TRAIN_T_DEFAULTS` updated with ``train_t``, validated."""
    cfg = merge_settings(TRAIN_T_DEFAULTS, train_t, 'train_t')
    if not eps < cfg['t_max'] <= T:
        raise ValueError(f'train_t.t_max must be in ({eps}, {T}], got '
                         f'{cfg["t_max"]}.')
    if not 0 <= cfg['full_range_prob'] <= 1:
        raise ValueError('train_t.full_range_prob must be in [0, 1], got '
                         f'{cfg["full_range_prob"]}.')
    return cfg


def state_dict_sha256(state: dict) -> str:
    """SHA-256 over a state dict's names, dtypes, shapes and bytes (what a
    published prior records and :meth:`ScorePrior.from_checkpoint`
    verifies)."""
    h = hashlib.sha256()
    for k in sorted(state):
        v = state[k].detach().cpu().contiguous()
        h.update(f'{k}:{v.dtype}:{tuple(v.shape)};'.encode())
        h.update(v.reshape(-1).view(torch.uint8).numpy().tobytes()
                 if v.numel() else b'')
    return h.hexdigest()


def check_prior_data(data: Optional[dict], config: str) -> dict:
    """The training data's ``dict(licence=str, sources=[str, ...])`` (a
    config's ``prior_data``) as a plain dict; ``ValueError`` naming
    ``config`` where it is missing or malformed."""
    data = dict(data or {})
    if (set(data) != {'licence', 'sources'}
            or not isinstance(data['licence'], str) or not data['licence']
            or not isinstance(data['sources'], (list, tuple))
            or not data['sources']
            or not all(isinstance(x, str) for x in data['sources'])):
        raise ValueError(
            f'{config}: the training data\'s licence and sources are '
            'needed to publish a prior: set prior_data = dict(licence=STR, '
            f'sources=[STR, ...]) in the config (got {data or None}).')
    return dict(licence=data['licence'], sources=list(data['sources']))


def read_torch_file(path: str, what: str = 'checkpoint'):
    """``torch.load(path, weights_only=True)`` on the CPU, with an error
    that names the file where it is missing or not a readable torch file
    (truncated, text, an ``.npz``, random bytes, unsafe pickles)."""
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except FileNotFoundError:
        raise FileNotFoundError(f'{what} {path} does not exist.') from None
    except IsADirectoryError:
        raise ValueError(f'{what} {path} is a directory, not a '
                         'file.') from None
    except Exception as e:  # truncated, text, random bytes, pickles
        first = (str(e).strip().splitlines() or ['empty file?'])[0]
        raise ValueError(f'{what} {path} is not a readable torch file '
                         f'({type(e).__name__}: {first[:200]}).') from None


def load_prior_weights(prior: nn.Module, state: dict, where: str) -> None:
    """Load ``state`` (keys with a prefix of :data:`PRIOR_PREFIXES` or
    bare ones) into ``prior``, raising a ValueError naming ``where`` where
    the weights are not finite or do not fit the architecture that the
    prior's config describes (missing, unexpected or differently shaped
    tensors)."""
    state = {(strip_prior_prefix(k) or k): v for k, v in state.items()}
    bad = [k for k, v in state.items()
           if not isinstance(v, Tensor)
           or (v.is_floating_point() and not torch.isfinite(v).all())]
    if bad:
        raise ValueError(f'{where}: weights {bad[:3]} are not finite '
                         'tensors (NaN or inf: a diverged training?).')
    own = prior.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [f'{k} {tuple(state[k].shape)} vs {tuple(v.shape)}'
              for k, v in own.items()
              if k in state and state[k].shape != v.shape]
    if missing or unexpected or shapes:
        net = getattr(prior, 'score_net', None)
        raise ValueError(
            f'{where}: the prior\'s description (prior_cfg, '
            f'{type(net).__name__ if net is not None else "?"}) and its '
            f'weights differ: missing {missing[:3]}, unexpected '
            f'{unexpected[:3]}, shapes (file vs config) {shapes[:3]}. Use '
            'the config the weights were trained with.')
    prior.load_state_dict(state)


def published_prior(state: dict, prior_cfg: dict, config: str,
                    iteration: int, data: Optional[dict] = None,
                    dataset_meta: Optional[dict] = None) -> dict:
    """What a published prior file holds (``torch.save`` it; see
    :meth:`ScorePrior.from_checkpoint`): the weights ``state`` (keys with a
    prefix of :data:`PRIOR_PREFIXES`, stored under
    :data:`PUBLISHED_PREFIX` and cast to float32), ``prior_cfg`` (plain
    dicts that rebuild the prior) and ``meta`` (format, units, joint
    layout, training-time range, config name, training iteration, torch
    version, the weights' SHA-256, the training data's ``licence`` and
    ``sources`` from ``data``: a config's ``prior_data``,
    ``dict(licence=str, sources=[str, ...])``; and ``dataset_meta``, what
    mmpose's inferencers and ``init_model`` give the lifter that loads the
    file: :func:`mmzedo.utils.openmmlab.lifter_dataset_meta`).
    Shared by ``tools/publish_prior.py`` and ``tools/train_prior_plain.py``.
    """
    from mmzedo.utils.skeleton import JOINT_NAMES, ROOT_INDEX
    names = {k: strip_prior_prefix(k) for k in state}
    if not state or None in names.values():
        raise KeyError('A published prior needs "prior.*" weights, got '
                       f'{sorted(state)[:3]}.')
    state = {
        PUBLISHED_PREFIX + names[k]:
        v.detach().cpu().float() if v.is_floating_point() else
        v.detach().cpu()
        for k, v in state.items()
    }
    data = check_prior_data(data, config)
    load_prior_weights(ScorePrior.from_cfg(prior_cfg), state, config)
    meta = dict(
        format=PRIOR_FORMAT,
        units='m',
        joint_layout='h36m',
        joint_names=list(JOINT_NAMES),
        root_index=ROOT_INDEX,
        train_t=dict(prior_cfg['train_t']),
        config=config,
        iter=int(iteration),
        torch=str(torch.__version__),
        sha256=state_dict_sha256(state),
        licence=data['licence'],
        sources=data['sources'])
    if dataset_meta is not None:
        meta['dataset_meta'] = dataset_meta
    return dict(state_dict=state, prior_cfg=prior_cfg, meta=meta)


class ScorePrior(nn.Module):
    """Score-matching prior over root-relative poses ``[B, J, 3]`` (metres).

    Args:
        score_net (nn.Module): ``net(x [B,J,3], t [B]) -> noise [B,J,3]``.
        sde (SDE | dict): The forward SDE (default sub-VP, beta 0.1..20).
        eps (float): Smallest training/sampling time. Defaults to 1e-5.
        step_mode (str): Default reverse step, a name in
            :data:`~mmzedo.core.steps.STEP_RULES`. Defaults to ``'sde'``.
        train_t (dict, optional): Training-time distribution
            (:data:`TRAIN_T_DEFAULTS`: ``t_max``, ``full_range_prob``).
            Defaults to ``U(eps, 1)``.
    """

    def __init__(self,
                 score_net: nn.Module,
                 sde: Optional[dict] = None,
                 eps: float = 1e-5,
                 step_mode: str = 'sde',
                 train_t: Optional[dict] = None):
        super().__init__()
        get_step_rule(step_mode)  # checks the name
        self.score_net = score_net
        self.sde: SDE = build_sde(DEFAULT_SDE if sde is None else sde)
        self.eps = eps
        self.step_mode = step_mode
        self.train_t = check_train_t(train_t, eps, self.sde.T)

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
        """Denoising score-matching loss at continuous times from
        :func:`sample_train_times` (``train_t``): the mean squared error of
        the predicted noise (score_sde's ``reduce_mean`` loss)."""
        t = sample_train_times(x0.shape[0], self.eps, self.sde.T,
                               generator=generator, device=x0.device,
                               dtype=x0.dtype, **self.train_t)
        noise = torch.randn(x0.shape, generator=generator, device=x0.device,
                            dtype=x0.dtype)
        x_t, _, _ = self.sde.perturb(x0, t, noise)
        return ((self.score_net(x_t, t) - noise)**2).mean()

    def denoise_step(self,
                     x: Tensor,
                     t,
                     dt: float,
                     mode: Optional[str] = None,
                     generator: Optional[torch.Generator] = None,
                     t_next=None,
                     state: Optional[dict] = None) -> Tensor:
        """One reverse step of size ``dt`` from ``t`` with the step rule
        ``mode`` (default ``step_mode``; see :mod:`mmzedo.core.steps`).
        ``t_next`` is the schedule's next time (default ``t - dt``) and
        ``state`` the loop's state dict of rules that keep history."""
        rule = get_step_rule(mode or self.step_mode)
        t = self._times(x, t)
        t_next = t - dt if t_next is None else self._times(x, t_next)
        return rule(self.sde, x, t, t_next, dt, self.predicted_noise,
                    {} if state is None else state, generator)

    @torch.no_grad()
    def denoise(self,
                x: Tensor,
                t_start: float,
                steps: int,
                t_end: Optional[float] = None,
                mode: Optional[str] = None,
                generator: Optional[torch.Generator] = None) -> Tensor:
        """Run the reverse process from ``t_start`` down to ``t_end``
        (default ``eps``) in ``steps`` equal steps
        (:meth:`TimeSchedule.uniform`)."""
        t_end = self.eps if t_end is None else t_end
        state = {}
        for t, t_next, dt in TimeSchedule.uniform(t_start, t_end, steps,
                                                  device=x.device):
            x = self.denoise_step(x, t, dt, mode, generator, t_next, state)
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
    def from_cfg(cls, prior_cfg: dict) -> 'ScorePrior':
        """A new prior from a ``prior_cfg`` (what a published file stores
        and ``PosePrior.prior_cfg`` records): the network built by its
        ``score_net.type``, the other keys as this class's arguments."""
        cfg = dict(prior_cfg)
        return cls(build_score_net(dict(cfg.pop('score_net'))), **cfg)

    @classmethod
    def from_checkpoint(cls, path: str, map_location='cpu') -> 'ScorePrior':
        """Load a prior published by ``tools/publish_prior.py`` (plain torch,
        ``weights_only`` safe; no mmengine needed).

        The network is built from the stored ``score_net.type``; the file's
        joint layout and units must be the 17-joint Human3.6M layout in
        metres, and its weights must match the stored checksum. Every
        problem raises an error that names the file."""
        ckpt = read_torch_file(path, 'Prior checkpoint')
        if not isinstance(ckpt, dict) or 'prior_cfg' not in ckpt:
            raise KeyError(f'{path} is not a published mmzedo prior (no '
                           '"prior_cfg"); publish it with '
                           'tools/publish_prior.py.')
        meta = dict(ckpt.get('meta', {}))
        if meta.get('format') == PRIOR_FORMAT:
            from mmzedo.utils.skeleton import JOINT_NAMES
            if meta.get('units') != 'm':
                raise ValueError(f'{path}: the prior was trained in '
                                 f'"{meta.get("units")}", mmzedo uses '
                                 'metres.')
            if tuple(meta.get('joint_names', ())) != JOINT_NAMES:
                raise ValueError(f'{path}: joint layout '
                                 f'{meta.get("joint_names")} is not '
                                 'Human3.6M-17.')
        prior = cls.from_cfg(ckpt['prior_cfg'])
        sha = meta.get('sha256')
        if sha is not None and sha != state_dict_sha256(ckpt['state_dict']):
            raise ValueError(f'{path}: the weights do not match the '
                             'checksum recorded when the prior was '
                             'published (the file is corrupt).')
        load_prior_weights(prior, ckpt['state_dict'], path)
        prior.meta = meta
        return prior.to(map_location).eval()
