# Copyright (c) mmzedo contributors. All rights reserved.
"""Publish a trained pose prior: keep the (EMA) weights and the prior's
config, drop optimizer/message-hub state.

The result is small, loads with ``torch.load(weights_only=True)`` and no
mmengine (:meth:`mmzedo.core.ScorePrior.from_checkpoint`), and also loads
into mmzedo's ``PosePrior`` (``load_from`` / ``init_cfg=Pretrained``). It
describes itself: ``prior_cfg`` rebuilds the network (by its ``type``), the
SDE and the training-time range; ``meta`` records the units (metres), the
joint layout (Human3.6M-17 names, root joint), the training-time range, the
training iteration and a SHA-256 of the weights that loading verifies.
Its weights are keyed as mmpose's ``PoseLifter`` with a ``ZeDOHead`` holds
them (``head.prior.*``) and ``meta['dataset_meta']`` is what mmpose's
inferencers give that lifter, so ``tools/test.py ZEDO_CONFIG PRIOR`` and
``MMPoseInferencer(pose3d=ZEDO_CONFIG, pose3d_weights=PRIOR)`` load it as
it is. CHECKPOINT may also be a published prior: it is written again in
this layout (a prior published before this layout, with ``prior.*`` keys).

    python tools/publish_prior.py CONFIG CHECKPOINT OUT.pth
"""
import argparse
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.join(osp.dirname(__file__), '..'))


def publish(config: str, checkpoint: str, out: str,
            overwrite: bool = False) -> str:
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS

    import mmzedo  # noqa: F401 - weights_only-safe mmengine checkpoints
    from mmzedo.core import published_prior
    from mmzedo.core.score_prior import (check_prior_data, read_torch_file,
                                         strip_prior_prefix)
    from mmzedo.utils.openmmlab import lifter_dataset_meta
    from mmzedo.utils.safe_io import (atomic_path, refuse_overwriting_inputs,
                                      refuse_replacing_outputs)
    refuse_overwriting_inputs([out], [config, checkpoint])
    refuse_replacing_outputs([out], overwrite, 'pass another OUT')
    cfg = Config.fromfile(config)
    m = cfg.model
    if m.get('type') != 'PosePrior':
        raise ValueError(f'{config} is not a PosePrior config.')
    check_prior_data(cfg.get('prior_data'), config)
    ckpt = read_torch_file(checkpoint)
    if not isinstance(ckpt, dict):
        raise ValueError(f'{checkpoint} holds a {type(ckpt).__name__}, not '
                         'a checkpoint (a dict of weights).')
    # mmengine's EMAHook stores the averaged weights under 'state_dict'; a
    # bare state dict (PosePrior's own keys) is taken as it is.
    weights = ckpt.get('state_dict', ckpt)
    if not isinstance(weights, dict):
        weights = {}
    # PosePrior's keys ('prior.*'), or a published prior's, whose file this
    # writes again in today's layout with today's meta.
    state = {k: v for k, v in weights.items()
             if isinstance(k, str) and strip_prior_prefix(k) is not None
             and isinstance(v, torch.Tensor)}
    if not state:
        keys = sorted(map(str, weights))[:5]
        raise KeyError(f'{checkpoint} has no "prior.*" weights (keys: '
                       f'{keys}); pass a checkpoint that tools/train.py '
                       'wrote for a PosePrior config.')
    # The prior's own record of its settings, defaults and checks included.
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    prior_cfg = MODELS.build(m).prior_cfg
    published = published_prior(state, prior_cfg, osp.basename(config),
                                ckpt.get('meta', {}).get('iter', -1),
                                cfg.get('prior_data'), lifter_dataset_meta())
    meta = published['meta']
    # Atomic: a failed or interrupted run leaves no partial file.
    with atomic_path(out) as tmp:
        torch.save(published, tmp)
    print(f'published {out} ({osp.getsize(out) / 1e6:.1f} MB, weights '
          f'sha256 {meta["sha256"][:8]}, iter {meta["iter"]}, train_t '
          f'{meta["train_t"]}, licence: {meta["licence"]})')
    return out


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('out')
    p.add_argument('--overwrite', action='store_true',
                   help='replace OUT if it exists')
    from mmzedo.utils.cli import run_cli
    args = p.parse_args()
    run_cli(lambda _: publish(args.config, args.checkpoint, args.out,
                              args.overwrite))
