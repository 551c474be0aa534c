# Copyright (c) mmzedo contributors. All rights reserved.
"""Compare published pose priors by what ZeDO makes of them: the default
loop (``ZEDO_DEFAULTS``) with each prior, S=1 (the K=1 anchor) and S=10
(the K=10 anchors, lowest-energy choice), on evenly spaced test samples of
the open benchmark (GT 2D on the three rigs, detector-like 2D on
h36m-like), by direct :func:`mmzedo.core.zedo_lift` calls as
``step_rule_sweep.py``.

Prints a Markdown table per prior (MPJPE / P-MPJPE in mm; for S=10 also
MinMPJPE / P-MinMPJPE, each sample's best hypothesis by that metric, an
oracle) with the S=1 poses/s of the plain-torch call on GT 2D (after an
untimed warm-up call), and writes
``work_dirs/prior_comparison.json``.

    python tools/analysis/prior_comparison.py [PRIOR ...] \
        [--num-samples 256] [--offset 0]
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, REPO)
sys.path.insert(0, osp.dirname(__file__))

from mmzedo.analysis import (PRIOR, add_sample_args, errors,  # noqa: E402
                             load_test_split, per_hypothesis_errors)
from mmzedo.utils.shipped import anchor_file_for  # noqa: E402
from step_rule_sweep import SETTINGS  # noqa: E402

#: The accurate prior that ships beside the default one.
ACCURATE_PRIOR = osp.join(REPO, 'checkpoints',
                          'prior_mlp-1024x2_subvp-t01-cos_open-cmu.pth')


def best_hypothesis_errors(hyps, gt):
    """MinMPJPE and P-MinMPJPE (mm, one decimal) of hypotheses
    [N, S, 17, 3]: per sample, the best hypothesis by each metric."""
    best = per_hypothesis_errors(hyps, gt).min(1).mean(0)
    return tuple(round(float(v), 1) for v in best)


def compare(prior_path, data, num_hypotheses=(1, 10)):
    """One prior's rows: {setting: {S: dict}} for the ``SETTINGS`` data
    ``{setting: (kp, conf, f, c, gt)}``."""
    import torch

    from mmzedo.core import ScorePrior, zedo_lift
    from mmzedo.core.anchors import load_anchors
    prior = ScorePrior.from_checkpoint(prior_path)
    rows = {}
    for setting, (kp, conf, f, c, gt) in data.items():
        rows[setting] = {}
        for s in num_hypotheses:
            anchors = load_anchors(anchor_file_for(prior_path, s))['anchors']
            with torch.no_grad():
                zedo_lift(prior, kp[:8], conf[:8], f[:8], c[:8], anchors)
                t0 = time.perf_counter()  # after an untimed warm-up
                out = zedo_lift(prior, kp, conf, f, c, anchors)
            seconds = time.perf_counter() - t0
            row = dict(zip(('MPJPE', 'P_MPJPE'),
                           errors(out['pose'].numpy(), gt)))
            if s > 1:
                row.update(zip(('MinMPJPE', 'P_MinMPJPE'),
                               best_hypothesis_errors(
                                   out['hypotheses'].numpy(), gt)))
            row['poses_per_second'] = round(len(gt) / seconds, 1)
            rows[setting][s] = row
            print(json.dumps({f'{osp.basename(prior_path)} | {setting} | '
                              f'S={s}': row}), flush=True)
    return rows


def table(name, rows):
    """Markdown lines of one prior's rows."""
    lines = [f'{name}:', '', '| 2D | S=1 | S=10, lowest energy | S=10, '
             'best hypothesis (oracle) |', '|---|---:|---:|---:|']
    for setting, r in rows.items():
        one, ten = r[1], r[10]
        lines.append(f'| {setting} | {one["MPJPE"]} / {one["P_MPJPE"]} | '
                     f'{ten["MPJPE"]} / {ten["P_MPJPE"]} | '
                     f'{ten["MinMPJPE"]} / {ten["P_MinMPJPE"]} |')
    pps = rows[list(rows)[0]][1]['poses_per_second']
    return lines + ['', f'S=1 poses/s (GT 2D, plain torch): {pps}', '']


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('priors', nargs='*', default=[PRIOR, ACCURATE_PRIOR])
    add_sample_args(p, 'prior_comparison.json')
    args = p.parse_args(argv)
    from mmzedo.utils.safe_io import atomic_path, refuse_overwriting_inputs
    for path in args.priors:
        if not osp.isfile(path):
            raise FileNotFoundError(f'prior checkpoint not found: {path}')
    refuse_overwriting_inputs([args.out], args.priors)
    data = {
        setting: load_test_split(rig, det, args.num_samples, args.data_root,
                                 args.offset)
        for setting, (rig, det) in SETTINGS.items()
    }
    results = {osp.basename(path): compare(path, data)
               for path in args.priors}
    os.makedirs(osp.dirname(args.out), exist_ok=True)
    with atomic_path(args.out) as tmp, open(tmp, 'w') as f:
        json.dump(results, f, indent=2)
    for name, rows in results.items():
        print('\n'.join(table(name, rows)))


if __name__ == '__main__':
    main()
