# Copyright (c) mmzedo contributors. All rights reserved.
"""Publish a trained pose prior: keep the (EMA) weights and the prior's
config, drop optimizer/message-hub state.

The result is small, loads with ``torch.load(weights_only=True)`` and no
mmengine (:meth:`mmzedo.core.ScorePrior.from_checkpoint`), and also loads
into mmzedo's ``PosePrior`` (``load_from`` / ``init_cfg=Pretrained``).

    python tools/publish_prior.py CONFIG CHECKPOINT OUT.pth
"""
import argparse
import hashlib
import os
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.join(osp.dirname(__file__), '..'))


def publish(config: str, checkpoint: str, out: str) -> str:
    from mmengine.config import Config

    import mmzedo  # noqa: F401 - weights_only-safe mmengine checkpoints
    cfg = Config.fromfile(config)
    m = cfg.model
    if m.get('type') != 'PosePrior':
        raise ValueError(f'{config} is not a PosePrior config.')
    ckpt = torch.load(checkpoint, map_location='cpu', weights_only=True)
    # mmengine's EMAHook stores the averaged weights under 'state_dict'.
    state = {
        k: v.float() if v.is_floating_point() else v
        for k, v in ckpt['state_dict'].items() if k.startswith('prior.')
    }
    if not state:
        raise KeyError(f'{checkpoint} has no "prior.*" weights.')
    prior_cfg = dict(
        score_net=dict(m.score_net.to_dict()),
        sde=dict(m.get('sde', dict(type='subVP')).to_dict()),
        eps=float(m.get('eps', 1e-5)),
        step_mode=m.get('step_mode', 'sde'))
    meta = dict(
        config=osp.basename(config),
        iter=int(ckpt.get('meta', {}).get('iter', -1)),
        torch=str(torch.__version__))
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    torch.save(dict(state_dict=state, prior_cfg=prior_cfg, meta=meta), out)
    with open(out, 'rb') as f:
        sha = hashlib.sha256(f.read()).hexdigest()[:8]
    print(f'published {out} ({osp.getsize(out) / 1e6:.1f} MB, sha256 '
          f'{sha}, iter {meta["iter"]})')
    return out


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('out')
    args = p.parse_args()
    publish(args.config, args.checkpoint, args.out)
