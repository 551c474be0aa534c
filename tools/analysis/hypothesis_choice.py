# Copyright (c) mmzedo contributors. All rights reserved.
"""Non-oracle rules that choose one of ZeDO's S=10 hypotheses, against S=1
(the K=1 anchor) and the oracle (each sample's best hypothesis), on evenly
spaced test samples of the open benchmark's h36m-like rig with GT and
detector-like 2D, by direct :func:`mmzedo.core.zedo_lift` calls (default
loop, shipped anchors) as ``prior_comparison.py``.

It scores every rule registered in :data:`mmzedo.core.CHOICE_RULES` (the
lifter's ``choice.rule`` setting; register one with
:func:`mmzedo.core.register_choice_rule`). ``--likelihood`` adds the costly
ones, the prior's
exact log-likelihood (:func:`mmzedo.core.prior_log_likelihood`: 2 x
``--likelihood-steps`` x 51 network passes per hypothesis, minutes on a
CPU). Prints a Markdown table (MPJPE / P-MPJPE in mm, and each rule's gain
over S=1) and writes ``work_dirs/hypothesis_choice.json``.

    python tools/analysis/hypothesis_choice.py [--prior PRIOR] \
        [--num-samples 256] [--offset 0] [--likelihood]
"""
import argparse
import json
import os
import os.path as osp
import sys

import numpy as np

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, REPO)
sys.path.insert(0, osp.dirname(__file__))

from mmzedo.analysis import (PRIOR, add_sample_args, errors,  # noqa: E402
                             load_test_split, per_hypothesis_errors)
from mmzedo.utils.shipped import ANCHOR_FILES, anchor_files_for  # noqa: E402

#: The 2D the target is about: (rig, detector-like 2D).
CHOICE_SETTINGS = {'gt2d': ('h36m-like', False), 'det2d': ('h36m-like', True)}


#: Table label of each registered rule (mmzedo.core.CHOICE_RULES; a rule
#: registered elsewhere is scored under its own name).
LABELS = {
    'energy': 'ZeDO energy (`energy`, the lifter\'s default)',
    'reprojection': 'reprojection error alone (`reprojection`)',
    'implausibility': 'prior implausibility alone, noise RMS at energy_t '
                      '(`implausibility`)',
    'consensus': 'nearest the hypotheses\' mean (`consensus`)',
    'likelihood': 'prior log-likelihood, exact PF-ODE at t0 (`likelihood`)',
}


def choose(prior, data, likelihood=None, anchors=ANCHOR_FILES):
    """Rows {label: (MPJPE, P-MPJPE)} for one setting's data ``(kp, conf,
    f, c, gt)``; ``likelihood``: ``dict(t0=, steps=)`` or ``None``;
    ``anchors``: the prior's anchor files (``.format(S)``)."""
    import torch

    from mmzedo.core import CHOICE_RULES, COSTLY_CHOICE_RULES, zedo_lift
    from mmzedo.core.anchors import load_anchors
    kp, conf, f, c, gt = data
    one = zedo_lift(prior, kp, conf, f, c,
                    load_anchors(anchors.format(1))['anchors'])
    out = zedo_lift(prior, kp, conf, f, c,
                    load_anchors(anchors.format(10))['anchors'])
    err = per_hypothesis_errors(out['hypotheses'].numpy(), gt)
    rows = {'S=1': errors(one['pose'].numpy(), gt)}
    idx = np.arange(len(gt))
    for name, rule in CHOICE_RULES.items():
        if name in COSTLY_CHOICE_RULES and not likelihood:
            continue
        options = likelihood if name in COSTLY_CHOICE_RULES else {}
        pick = torch.as_tensor(rule(out, prior, **options)).argmin(1).numpy()
        rows[LABELS.get(name, name)] = tuple(
            np.round(err[idx, pick].mean(0), 1).tolist())
    rows['mean of the hypotheses (a fusion, not a choice)'] = errors(
        out['hypotheses'].mean(1).numpy(), gt)
    rows['best hypothesis per sample and metric (oracle)'] = tuple(
        np.round(err.min(1).mean(0), 1).tolist())
    return rows


def table(results):
    """Markdown lines: each rule's MPJPE / P-MPJPE (gain over S=1)."""
    names = list(results)
    lines = ['| S=10 rule | ' + ' | '.join(names) + ' |',
             '|---|' + '---:|' * len(names)]
    for label in results[names[0]]:
        cells = []
        for name in names:
            (m, p), (m1, p1) = results[name][label], results[name]['S=1']
            cells.append(f'{m} / {p}' if label == 'S=1' else
                         f'{m} / {p} ({m1 - m:+.1f} / {p1 - p:+.1f})')
        lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
    return lines


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--prior', default=PRIOR)
    add_sample_args(p, 'hypothesis_choice.json')
    p.add_argument('--likelihood', action='store_true',
                   help='add the log-likelihood rules (slow on a CPU)')
    p.add_argument('--likelihood-t0', type=float, default=0.005)
    p.add_argument('--likelihood-steps', type=int, default=24)
    args = p.parse_args(argv)
    from mmzedo.core import ScorePrior
    from mmzedo.utils.safe_io import atomic_path, refuse_overwriting_inputs
    refuse_overwriting_inputs([args.out], [args.prior])
    prior = ScorePrior.from_checkpoint(args.prior)
    likelihood = (dict(t0=args.likelihood_t0, steps=args.likelihood_steps)
                  if args.likelihood else None)
    results = {}
    for name, (rig, det) in CHOICE_SETTINGS.items():
        data = load_test_split(rig, det, args.num_samples, args.data_root,
                               args.offset)
        results[name] = choose(prior, data, likelihood,
                               anchor_files_for(args.prior))
        print(json.dumps({name: results[name]}), flush=True)
    os.makedirs(osp.dirname(args.out), exist_ok=True)
    with atomic_path(args.out) as tmp, open(tmp, 'w') as f:
        json.dump(results, f, indent=2)
    print('\n'.join(table(results)))


if __name__ == '__main__':
    main()
