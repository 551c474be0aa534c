# Copyright (c) mmzedo contributors. All rights reserved.
"""Train a pose prior config where only torch is installed (a GPU machine
without OpenMMLab), and publish it.

``tools/train.py CONFIG`` is the way to train a prior wherever mmpose is
installed. This tool runs the same training in a plain-torch loop for
machines that have torch but no OpenMMLab, in two steps:

1. ``export`` (here, with mmpose): resolves CONFIG (``_base_`` included) and
   writes WORK_DIR/settings.json (the prior's ``prior_cfg`` as
   ``PosePrior`` builds it, the data preprocessor's augmentation, optimiser,
   gradient clipping, ``param_scheduler``, EMA rate, iterations, batch size)
   and WORK_DIR/poses.npy (the root-relative training targets, read by
   ``PoseTargetDataset`` from the config's mmpose dataset).
2. ``train`` (there, torch only): the prior (:class:`mmzedo.core.ScorePrior`)
   trained by DSM on shuffled batches of those poses, augmented per batch
   with :func:`mmzedo.core.augment_poses`, Adam with the config's schedule
   (``LinearLR`` / ``CosineAnnealingLR`` with mmengine's begin/end
   semantics, through torch's ``LambdaLR``), gradient clipping and an EMA
   of the weights (torch's ``AveragedModel``; mmengine's
   ``ExponentialMovingAverage`` rule); writes published priors (EMA
   weights, :func:`mmzedo.core.published_prior`) to WORK_DIR/OUT.

No validation runs in the loop (``PriorQualityMetric`` needs mmpose's
pipeline): score the published prior with ``tools/test.py`` or the
analysis tools where mmpose is installed.

    python tools/train_prior_plain.py export CONFIG WORK_DIR
        [--cfg-options KEY=VALUE ...]
    python tools/train_prior_plain.py train WORK_DIR [--device cuda]
        [--out DIR] [--max-iters N] [--save-every N]
"""
import argparse
import json
import math
import os
import os.path as osp
import sys
import time

import numpy as np
import torch

sys.path.insert(0, osp.join(osp.dirname(__file__), '..'))

#: What ``export`` writes to settings.json and ``train`` reads.
SETTINGS = {
    'config', 'prior_cfg', 'augment', 'optimizer', 'clip_grad_max_norm',
    'param_scheduler', 'ema_momentum', 'max_iters', 'batch_size',
    'prior_data', 'dataset_meta'
}
#: The mmengine schedulers that ``train`` reproduces.
SCHEDULERS = ('LinearLR', 'CosineAnnealingLR')


def export(config: str, work_dir: str, cfg_options=None) -> None:
    """Write ``settings.json`` and ``poses.npy`` of ``config`` (with
    ``cfg_options`` merged in, as ``--cfg-options``) to ``work_dir`` (needs
    mmpose)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS, MODELS

    import mmzedo  # noqa: F401
    from mmzedo.core.score_prior import check_prior_data
    from mmzedo.utils.openmmlab import (dataset_meta_to_json,
                                        lifter_dataset_meta)
    from mmzedo.utils.safe_io import atomic_path, refuse_overwriting_inputs
    refuse_overwriting_inputs([osp.join(work_dir, 'settings.json'),
                               osp.join(work_dir, 'poses.npy')], [config])
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if cfg.model.get('type') != 'PosePrior':
        raise ValueError(f'{config} is not a PosePrior config.')
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    model = MODELS.build(cfg.model)
    optimizer = dict(cfg.optim_wrapper.optimizer)
    if optimizer.pop('type') != 'Adam':
        raise ValueError(f'{config}: only Adam is reproduced here.')
    schedulers = [dict(s) for s in cfg.get('param_scheduler', [])]
    check_schedulers(schedulers, config)
    ema = [h for h in cfg.get('custom_hooks', []) if h['type'] == 'EMAHook']
    if len(ema) != 1 or ema[0].get('ema_type') != 'ExponentialMovingAverage':
        raise ValueError(f'{config}: expected one EMAHook with '
                         'ExponentialMovingAverage.')
    clip = cfg.optim_wrapper.get('clip_grad') or {}
    settings = dict(
        config=osp.basename(config),
        prior_cfg=model.prior_cfg,
        augment=dict(model.data_preprocessor.augment),
        optimizer=optimizer,
        clip_grad_max_norm=clip.get('max_norm'),
        param_scheduler=schedulers,
        ema_momentum=float(ema[0].get('momentum', 2e-4)),
        max_iters=int(cfg.train_cfg.max_iters),
        batch_size=int(cfg.train_dataloader.batch_size),
        prior_data=check_prior_data(cfg.get('prior_data'), config),
        # what mmpose's inferencers give the lifter of the published prior
        dataset_meta=dataset_meta_to_json(lifter_dataset_meta()))
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    os.makedirs(work_dir, exist_ok=True)
    with atomic_path(osp.join(work_dir, 'poses.npy')) as tmp:
        with open(tmp, 'wb') as f:
            np.save(f, dataset.poses.numpy().astype(np.float32))
    with atomic_path(osp.join(work_dir, 'settings.json')) as tmp:
        with open(tmp, 'w') as f:
            json.dump(settings, f, indent=2)
    print(f'exported {len(dataset.poses)} poses and the settings of '
          f'{config} to {work_dir}')


def check_schedulers(schedulers, where: str) -> None:
    """Raise a ValueError naming ``where`` unless every scheduler is one
    that :func:`lr_factor` reproduces (``SCHEDULERS``, by iteration, with
    an integer ``end``)."""
    if not isinstance(schedulers, list):
        raise ValueError(f'{where}: param_scheduler must be a list of '
                         f'schedulers, got {type(schedulers).__name__}.')
    for s in schedulers:
        s = s if isinstance(s, dict) else dict(type=s)
        by_epoch, end = s.get('by_epoch', True), s.get('end')
        if (s.get('type') not in SCHEDULERS or by_epoch
                or not isinstance(end, int)):
            raise ValueError(f'{where}: param_scheduler {s.get("type")} '
                             f'(by_epoch={by_epoch}, end={end}) is not '
                             f'reproduced here; {SCHEDULERS} by iteration '
                             'with an integer end are.')


def check_settings(s, path: str) -> None:
    """Raise an error naming ``path`` and the setting where an exported
    settings.json cannot be trained (checked before any work starts)."""
    missing = sorted(SETTINGS - set(s))
    if missing:
        raise KeyError(f'{path} lacks {missing}: re-export it with this '
                       'version of the tool.')
    bs = s['batch_size']
    if not isinstance(bs, int) or isinstance(bs, bool) or bs < 1:
        raise ValueError(f'{path}: batch_size must be an integer >= 1, got '
                         f'{bs!r}.')
    m = s['ema_momentum']
    if not isinstance(m, (int, float)) or not 0 < m < 1:
        raise ValueError(f'{path}: ema_momentum must lie in (0, 1) (the '
                         f'weight of each new step), got {m!r}.')
    opt = s['optimizer']
    if (not isinstance(opt, dict) or not isinstance(opt.get('lr'),
                                                    (int, float))
            or not opt['lr'] > 0):
        raise ValueError(f'{path}: optimizer needs a learning rate lr > 0, '
                         f'got {opt!r}.')
    clip = s['clip_grad_max_norm']
    if clip is not None and (not isinstance(clip, (int, float))
                             or clip <= 0):
        raise ValueError(f'{path}: clip_grad_max_norm must be a number > 0 '
                         f'or null, got {clip!r}.')
    iters = s['max_iters']
    if not isinstance(iters, int) or isinstance(iters, bool) or iters < 1:
        raise ValueError(f'{path}: max_iters must be an integer >= 1, got '
                         f'{iters!r}.')
    check_schedulers(s['param_scheduler'], path)
    if not isinstance(s['augment'], dict):
        raise ValueError(f'{path}: augment must be a dict of settings.')
    from mmzedo.core import resolve_augment_cfg
    try:
        resolve_augment_cfg(s['augment'])
    except TypeError as e:
        raise ValueError(f'{path}: {e}') from None


def load_poses(path: str, batch_size: int) -> torch.Tensor:
    """The exported training poses: float32 ``[N, 17, 3]``, finite, in
    metres and not all alike, at least one batch; every problem is an
    error that names the file."""
    from mmzedo.utils.skeleton import check_metres
    try:
        poses = np.load(path)
    except FileNotFoundError:
        raise FileNotFoundError(f'{path} does not exist: run "export" '
                                'first and copy WORK_DIR here.') from None
    except Exception as e:
        raise ValueError(f'{path} is not a readable .npy file '
                         f'({type(e).__name__}: {e}).') from None
    if not isinstance(poses, np.ndarray) or not (
            np.issubdtype(poses.dtype, np.floating)
            or np.issubdtype(poses.dtype, np.integer)):
        raise ValueError(f'{path}: poses must be a numeric array, got '
                         f'{getattr(poses, "dtype", type(poses).__name__)}.')
    if poses.ndim != 3 or poses.shape[1:] != (17, 3):
        raise ValueError(f'{path}: expected [N, 17, 3] poses, got '
                         f'{tuple(poses.shape)}.')
    if not np.isfinite(poses).all():
        raise ValueError(f'{path} holds NaN or inf.')
    if len(poses) < batch_size:
        raise ValueError(f'{path}: {len(poses)} poses, fewer than one batch '
                         f'({batch_size}).')
    check_metres(poses, path)
    if np.ptp(poses - poses[:, :1], axis=0).max() < 1e-3:
        raise ValueError(f'{path}: every pose is the same; the prior would '
                         'learn nothing.')
    return torch.from_numpy(poses.astype(np.float32))


def lr_factor(schedulers, it: int, base_lr: float) -> float:
    """The learning rate of iteration ``it`` over ``base_lr`` under
    mmengine's ``LinearLR`` / ``CosineAnnealingLR`` (each active on
    ``[begin, end)``, constant outside; schedulers multiply)."""
    factor = 1.0
    for s in schedulers:
        begin, end = s.get('begin', 0), s['end']
        if s['type'] == 'LinearLR':
            start, stop = s.get('start_factor', 1 / 3), s.get(
                'end_factor', 1.0)
            # mmengine's LinearLR reaches end_factor at step end - 1.
            span = max(end - begin - 1, 1)
            k = min(max(it - begin, 0), span) / span
            factor *= start + (stop - start) * k
        elif it >= begin:  # CosineAnnealingLR
            eta_min = s.get('eta_min', 0.0) / base_lr
            # Constant after end - 1, the last step mmengine takes.
            k = min(it - begin, end - begin - 1) / s.get('T_max',
                                                         end - begin)
            factor *= eta_min + (1 - eta_min) * (1 + math.cos(math.pi * k)) / 2
    return factor


def ema_of(model: torch.nn.Module, momentum: float):
    """An EMA of ``model``'s weights and buffers by mmengine's
    ``ExponentialMovingAverage`` rule, ``avg <- (1 - m) avg + m param``
    (torch's ``AveragedModel``; the first update copies)."""
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
    return AveragedModel(model,
                         multi_avg_fn=get_ema_multi_avg_fn(1 - momentum),
                         use_buffers=True)


def train(work_dir: str, out: str, device: str, max_iters=None,
          save_every=None, seed: int = 0, log_every: int = 1000,
          overwrite: bool = False) -> str:
    """Train the exported config (plain torch) and publish it to ``out``;
    returns the last published file."""
    from mmzedo.core import ScorePrior, augment_poses, published_prior
    from mmzedo.utils.openmmlab import dataset_meta_from_json
    from mmzedo.core.score_prior import check_prior_data
    from mmzedo.utils.safe_io import atomic_path, refuse_replacing_outputs
    for name, value in (('--max-iters', max_iters),
                        ('--save-every', save_every),
                        ('--log-every', log_every)):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ValueError(f'{name} must be an integer >= 1, got '
                             f'{value!r}.')
    path = osp.join(work_dir, 'settings.json')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist: run "export" '
                                'first and copy WORK_DIR here.')
    with open(path) as f:
        try:
            s = json.load(f)
        except ValueError as e:
            raise ValueError(f'{path} is not valid JSON ({e}); re-export '
                             'it.') from None
    if not isinstance(s, dict):
        raise ValueError(f'{path} must hold a JSON object of settings.')
    check_settings(s, path)
    check_prior_data(s['prior_data'], path)
    poses = load_poses(osp.join(work_dir, 'poses.npy'), s['batch_size'])
    torch.manual_seed(seed)
    poses = poses.to(device)
    try:
        prior = ScorePrior.from_cfg(s['prior_cfg']).to(device)
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f'{path}: prior_cfg does not build a prior '
                         f'({type(e).__name__}: {e}).') from None
    base_lr = s['optimizer']['lr']
    opt = torch.optim.Adam(prior.parameters(), **s['optimizer'])
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda it: lr_factor(s['param_scheduler'], it, base_lr))
    ema = ema_of(prior, s['ema_momentum'])
    max_iters = s['max_iters'] if max_iters is None else max_iters
    save_every = save_every or max_iters
    refuse_replacing_outputs(
        [osp.join(out, f'prior_iter_{it}.pth')
         for it in {*range(save_every, max_iters + 1, save_every),
                    max_iters}], overwrite, 'pass another --out')
    bs, n = s['batch_size'], len(poses)
    os.makedirs(out, exist_ok=True)
    perm, pos, t0, last = torch.randperm(n, device=device), 0, time.time(), ''
    loss_sum = torch.zeros((), device=device)
    prior.train()
    for it in range(1, max_iters + 1):
        if pos + bs > n:  # a new shuffled pass, as InfiniteSampler
            perm, pos = torch.randperm(n, device=device), 0
        x = augment_poses(poses[perm[pos:pos + bs]], **s['augment'])
        pos += bs
        loss = prior.dsm_loss(x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if s['clip_grad_max_norm']:
            torch.nn.utils.clip_grad_norm_(prior.parameters(),
                                           s['clip_grad_max_norm'])
        opt.step()
        sched.step()
        ema.update_parameters(prior)
        loss_sum += loss.detach()
        if it % log_every == 0:
            mean_loss = loss_sum.item() / log_every
            print(f'iter {it}/{max_iters} loss {mean_loss:.4f} lr '
                  f'{sched.get_last_lr()[0]:.2e} '
                  f'{it / (time.time() - t0):.1f} it/s', flush=True)
            loss_sum.zero_()
        if it % save_every == 0 or it == max_iters:
            state = {f'prior.{k}': v
                     for k, v in ema.module.state_dict().items()}
            last = osp.join(out, f'prior_iter_{it}.pth')
            with atomic_path(last) as tmp:
                torch.save(
                    published_prior(state, s['prior_cfg'], s['config'], it,
                                    s['prior_data'],
                                    dataset_meta_from_json(
                                        s['dataset_meta'])),
                    tmp)
            print(f'published {last} ({time.time() - t0:.0f} s)',
                  flush=True)
    return last


def _dict_action():
    """mmengine's ``DictAction`` where mmengine is installed (``export``
    needs it; ``train`` runs without it)."""
    try:
        from mmengine.config import DictAction
    except ImportError:
        return None
    return DictAction


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    e = sub.add_parser('export', help='resolve a config (needs mmpose)')
    e.add_argument('config')
    e.add_argument('work_dir')
    e.add_argument('--cfg-options', nargs='+', action=_dict_action(),
                   help='override config settings, as tools/train.py')
    t = sub.add_parser('train', help='train an exported config (torch)')
    t.add_argument('work_dir')
    t.add_argument('--out', help='where priors go (default WORK_DIR)')
    t.add_argument('--device',
                   default='cuda' if torch.cuda.is_available() else 'cpu')
    t.add_argument('--max-iters', type=int,
                   help='stop early (the schedule stays the config\'s)')
    t.add_argument('--save-every', type=int)
    t.add_argument('--log-every', type=int, default=1000)
    t.add_argument('--seed', type=int, default=0)
    t.add_argument('--overwrite', action='store_true',
                   help='replace priors published earlier in --out')
    args = p.parse_args(argv)
    if args.cmd == 'export':
        export(args.config, args.work_dir, args.cfg_options)
    else:
        try:
            train(args.work_dir, args.out or args.work_dir, args.device,
                  args.max_iters, args.save_every, args.seed, args.log_every,
                  args.overwrite)
        except (FileExistsError, FileNotFoundError, KeyError,
                ValueError) as e:
            raise SystemExit(f'train_prior_plain: error: {e}')


if __name__ == '__main__':
    from mmzedo.utils.cli import run_cli
    run_cli(main)
