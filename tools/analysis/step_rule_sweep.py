# Copyright (c) mmzedo contributors. All rights reserved.
"""ZeDO's accuracy against its prior-evaluation budget: the loop run with
several budgets, step rules and ray projections, S=1, on evenly spaced test
samples of the open benchmark (GT 2D on the three rigs, detector-like 2D on
h36m-like), with the bundled prior and the S=1 anchor file. Runs the
ZeDO solver directly (the lifter's code path without the Runner). Each run
is a solver: a preset or nested overrides of ``ZEDO_DEFAULTS`` (``RUNS``);
the first is the paper's budget with the plain projection onto the rays.

Prints a Markdown table (MPJPE / P-MPJPE in mm; mean bone length of the
result over the ground truth's; poses/s of the plain-torch call, first
setting) and writes
``work_dirs/step_rule_sweep.json``. ``--offset`` shifts the samples (the
defaults were chosen at ``--offset 11 --num-samples 384``, apart from the
reported samples).

    python tools/analysis/step_rule_sweep.py [--num-samples 256]
"""
import argparse
import json
import os
import os.path as osp
import sys

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, REPO)

from mmzedo.analysis import (PRIOR, add_sample_args,  # noqa: E402
                             errors, lift_poses, load_prior_and_anchor,
                             load_test_split, scale_ratio)

SETTINGS = {
    'gt2d': ('h36m-like', False),
    'det2d': ('h36m-like', True),
    'gt2d, phone-wide rig': ('phone-wide', False),
    'gt2d, telephoto rig': ('telephoto', False),
}


def loops(polish=0, polish_rule=None, **main):
    """Solver settings: ``main`` overrides of the main loop stage, a polish
    of ``polish`` steps (0: none) with the step rule ``polish_rule`` (as the
    main loop's default)."""
    pol = dict(steps=polish)
    if polish_rule:
        pol['step_rule'] = polish_rule
    return dict(loops=dict(main=main, polish=pol))


#: (label, the solver as ``ZeDOSolver.build`` takes it: nested overrides of
#: ZEDO_DEFAULTS, a preset's name, or a dict with ``preset``): loop +
#: initial-pose steps. ``ray_relaxation=1.0`` is the plain projection onto
#: the rays (the paper's).
RUNS = [
    ('zedo-official, plain, 1000 + 500 (the paper\'s budget)',
     'paper-budget'),
    ('zedo-official, plain, 100 + 50',
     loops(ray_relaxation=1.0, steps=100, warmup=20, loop_time=1.0)),
    ('zedo-official, plain, 49 + 50', loops(ray_relaxation=1.0, steps=49)),
    ('zedo-official, over-relaxed 1.7, 49 + 50, no polish',
     loops(steps=49)),
    ('**zedo-official, over-relaxed 1.7, 39 + 10 polish + 50 (default)**',
     None),
    ('zedo-official, over-relaxed 1.7, 24 + 50',
     loops(steps=24, warmup=2, loop_time=0.5)),
    ('zedo-official, over-relaxed 1.45, 9 + 50 (preset 10-evaluations)',
     '10-evaluations'),
    ('zedo-official, plain, 9 + 50',
     loops(ray_relaxation=1.0, steps=9, warmup=2, loop_time=0.3)),
    ('zedo-relax, over-relaxed 1.7, 49 + 50',
     loops(step_rule='zedo-relax', steps=49)),
    # Heun's method on the official step's drift (2 prior evaluations per
    # step) at the budgets of the three official rows above: 10, 25, 50.
    ('zedo-heun, over-relaxed 1.45, 4 + 50',
     dict(preset='10-evaluations', loops=dict(main=dict(
         step_rule='zedo-heun', steps=4, warmup=1)))),
    ('zedo-heun, over-relaxed 1.7, 12 + 50',
     loops(step_rule='zedo-heun', steps=12, warmup=1, loop_time=0.5)),
    ('zedo-heun, over-relaxed 1.7, 20 + 4 polish + 50',
     loops(polish=4, polish_rule='zedo-heun', step_rule='zedo-heun',
           steps=20, warmup=2)),
]


def run(prior, anchors, data, overrides):
    calls = []
    hook = prior.score_net.register_forward_hook(
        lambda *_: calls.append(1))
    try:
        pred, seconds = lift_poses(prior, anchors, data, overrides)
    finally:
        hook.remove()
    gt = data[4]
    mpjpe, p_mpjpe = errors(pred, gt)
    return dict(
        MPJPE=mpjpe,
        P_MPJPE=p_mpjpe,
        scale=scale_ratio(pred, gt),
        poses_per_second=round(len(gt) / seconds, 1),
        # the network's passes over the batch (S=1: per hypothesis)
        prior_evaluations=len(calls))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_sample_args(p, 'step_rule_sweep.json')
    p.add_argument('--prior', default=PRIOR)
    p.add_argument('--anchors', default=None,
                   help="S=1 anchor file (default: the prior's)")
    p.add_argument('--match', nargs='+', metavar='TEXT',
                   help='only the runs whose label contains one of these')
    args = p.parse_args(argv)
    runs = [(label, o) for label, o in RUNS
            if not args.match or any(m in label for m in args.match)]
    if not runs:
        p.error(f'--match {args.match}: no run label contains these.')
    prior, anchors = load_prior_and_anchor(args.prior, args.anchors)
    results = {}
    for setting, (rig, det) in SETTINGS.items():
        data = load_test_split(rig, det, args.num_samples, args.data_root,
                               args.offset)
        for label, overrides in runs:
            key = f'{label} | {setting}'
            results[key] = run(prior, anchors, data, overrides)
            print(json.dumps({key: results[key]}), flush=True)
    os.makedirs(osp.dirname(args.out), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(results, f, indent=2)
    print('| step rule, ray projection, loop + initial-pose steps | ' +
          ' | '.join(SETTINGS) + ' | prior evaluations | poses/s (GT 2D) |')
    print('|---|' + '---:|' * (len(SETTINGS) + 2))
    for label, _ in runs:
        cells = []
        for setting in SETTINGS:
            r = results[f'{label} | {setting}']
            cells.append(f'{r["MPJPE"]} / {r["P_MPJPE"]} ({r["scale"]})')
        first = results[f'{label} | {list(SETTINGS)[0]}']
        print(f'| {label} | ' + ' | '.join(cells) +
              f' | {first["prior_evaluations"]} | '
              f'{first["poses_per_second"]} |')


if __name__ == '__main__':
    main()
