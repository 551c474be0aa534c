# Copyright (c) mmzedo contributors. All rights reserved.
"""ZeDO's throughput in plain torch (``mmzedo.core.zedo_lift``, no mmpose or
mmengine needed), on a CPU or a GPU: S hypotheses per 2D pose over
``--num-samples`` evenly spaced test samples of the open benchmark
(h36m-like rig), in batches of at most ``--max-batch`` hypotheses.

Prints one JSON line per run: poses/s and hypotheses/s (timed after one
untimed warm-up batch, the device synchronised), prior evaluations per
hypothesis, MPJPE of the lowest-energy choice and MinMPJPE (mm, numpy), and
writes the chosen poses to ``--out`` (npz) for scoring elsewhere.

    python tools/analysis/core_throughput.py [--device cuda]
        [--num-samples 10000] [--hypotheses 1 50] [--budget default paper]
"""
import argparse
import json
import os.path as osp
import sys
import time

import numpy as np
import torch

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, REPO)
sys.path.insert(0, osp.dirname(__file__))

from mmzedo.analysis import PRIOR, load_test_split  # noqa: E402
from mmzedo.utils.shipped import anchor_file_for  # noqa: E402

from mmzedo.core import STEP_EVALUATIONS  # noqa: E402

#: Budgets: presets of the solver (mmzedo.core.PRESETS) by name.
BUDGETS = dict(default='default', paper='paper-budget',
               ten='10-evaluations')


class CountingPrior(torch.nn.Module):
    """The prior with a count of its network's calls (prior
    evaluations)."""

    def __init__(self, prior):
        super().__init__()
        self.prior, self.calls = prior, 0

    def denoise_step(self, x, t, dt, mode=None, *args, **kwargs):
        self.calls += STEP_EVALUATIONS[mode or self.prior.step_mode]
        return self.prior.denoise_step(x, t, dt, mode, *args, **kwargs)

    def predicted_noise(self, *args, **kwargs):
        self.calls += 1
        return self.prior.predicted_noise(*args, **kwargs)


def lift(prior, data, anchors, max_batch, cfg, device):
    """All samples of ``data`` in batches; returns chosen poses, all
    hypotheses, seconds and prior calls per batch."""
    from mmzedo.core import zedo_lift
    kp, conf, f, c = data[:4]
    step = max(1, max_batch // len(anchors))
    poses, hyps, calls = [], [], []
    sync = (torch.cuda.synchronize if device.startswith('cuda') else
            (lambda: None))
    sync()
    t0 = time.perf_counter()
    for i in range(0, len(kp), step):
        prior.calls = 0
        out = zedo_lift(prior, kp[i:i + step], conf[i:i + step],
                        f[i:i + step], c[i:i + step], anchors, solver=cfg)
        poses.append(out['pose'])
        hyps.append(out['hypotheses'])
        calls.append(prior.calls)
    sync()
    seconds = time.perf_counter() - t0
    return (torch.cat(poses).cpu().numpy(), torch.cat(hyps).cpu().numpy(),
            seconds, calls)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--device',
                   default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--num-samples', type=int, default=10000)
    p.add_argument('--hypotheses', type=int, nargs='+', default=[1, 50])
    p.add_argument('--budget', nargs='+', default=['default'],
                   choices=sorted(BUDGETS))
    p.add_argument('--max-batch', type=int, default=100000,
                   help='hypotheses per zedo_lift call')
    p.add_argument('--det', action='store_true',
                   help='detector-like 2D instead of GT 2D')
    p.add_argument('--prior', default=PRIOR)
    p.add_argument('--data-root',
                   default=osp.join(REPO, 'data', 'open_h36m'))
    p.add_argument('--out', help='npz of the chosen poses')
    args = p.parse_args(argv)
    from mmzedo.core import ScorePrior
    from mmzedo.utils.safe_io import refuse_overwriting_inputs
    refuse_overwriting_inputs([args.out] if args.out else [], [args.prior])
    from mmzedo.core.anchors import load_anchors
    prior = CountingPrior(ScorePrior.from_checkpoint(args.prior).to(
        args.device))
    data = load_test_split('h36m-like', args.det, args.num_samples,
                           args.data_root)
    gt = data[4]
    saved = {}
    for budget in args.budget:
        cfg = BUDGETS[budget]
        for s in args.hypotheses:
            anchors = load_anchors(anchor_file_for(args.prior, s))['anchors']
            warm = tuple(v[:8] for v in data)
            lift(prior, warm, anchors, args.max_batch, cfg, args.device)
            pose, hyp, seconds, calls = lift(prior, data, anchors,
                                             args.max_batch, cfg, args.device)
            err = np.linalg.norm(hyp - gt[:, None], axis=-1).mean(-1)
            row = dict(
                device=(torch.cuda.get_device_name() if
                        args.device.startswith('cuda') else 'cpu'),
                budget=budget, S=s, num_samples=len(gt),
                two_d='det' if args.det else 'gt',
                poses_per_second=round(len(gt) / seconds, 1),
                hypotheses_per_second=round(len(gt) * s / seconds, 1),
                seconds=round(seconds, 2),
                prior_evaluations_per_hypothesis=calls[0],
                batches=len(calls),
                MPJPE=round(1000 * float(
                    np.linalg.norm(pose - gt, axis=-1).mean()), 1),
                MinMPJPE=round(1000 * float(err.min(1).mean()), 1))
            print(json.dumps(row), flush=True)
            saved[f'{budget}_S{s}'] = pose.astype(np.float32)
    if args.out:
        from mmzedo.utils.safe_io import atomic_path
        with atomic_path(args.out, suffix='.npz') as tmp:
            np.savez_compressed(tmp, gt=gt.astype(np.float32), **saved)


if __name__ == '__main__':
    main()
