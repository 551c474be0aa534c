# Copyright (c) mmzedo contributors. All rights reserved.
"""ZeDO's accuracy against its prior-evaluation budget: the loop run with
several budgets, step rules and ray projections, S=1, on evenly spaced test
samples of the open benchmark (GT 2D on the three rigs, detector-like 2D on
h36m-like), with the bundled prior and the S=1 anchor file. Calls
:func:`mmzedo.core.zedo_lift` directly (the lifter's code path without the
Runner). Each run is a set of overrides of ``ZEDO_DEFAULTS`` (``RUNS``);
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
import pickle
import sys

import numpy as np

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, REPO)

PRIOR = osp.join(REPO, 'checkpoints',
                 'prior_mlp-512x2_subvp-t01_open-cmu.pth')
#: The shipped anchor file of S hypotheses: ``ANCHOR_FILES.format(S)``.
ANCHOR_FILES = osp.join(REPO, 'checkpoints', 'anchors_open-cmu_S{}.npz')
ANCHORS = ANCHOR_FILES.format(1)
SETTINGS = {
    'gt2d': ('h36m-like', False),
    'det2d': ('h36m-like', True),
    'gt2d, phone-wide rig': ('phone-wide', False),
    'gt2d, telephoto rig': ('telephoto', False),
}
#: The plain projection onto the rays (the paper's), for the budgets below.
PLAIN = dict(ray_relaxation=1.0, polish_steps=0)
#: (label, overrides of ZEDO_DEFAULTS, the name of a preset of mmzedo.core,
#: or (preset name, overrides of it)): loop + initial-pose steps.
RUNS = [
    ('zedo-official, plain, 1000 + 500 (the paper\'s budget)',
     'ZEDO_PAPER_BUDGET'),
    ('zedo-official, plain, 100 + 50 (the previous default)',
     dict(PLAIN, steps=100, warmup=20, loop_time=1.0)),
    ('zedo-official, plain, 49 + 50', dict(PLAIN, steps=49)),
    ('zedo-official, over-relaxed 1.7, 49 + 50, no polish',
     dict(steps=49, polish_steps=0)),
    ('**zedo-official, over-relaxed 1.7, 39 + 10 polish + 50 (default)**',
     dict()),
    ('zedo-official, over-relaxed 1.7, 24 + 50',
     dict(steps=24, warmup=2, loop_time=0.5, polish_steps=0)),
    ('zedo-official, over-relaxed 1.45, 9 + 50 (ZEDO_10_EVALUATIONS)',
     'ZEDO_10_EVALUATIONS'),
    ('zedo-official, plain, 9 + 50',
     dict(PLAIN, steps=9, warmup=2, loop_time=0.3)),
    ('zedo-relax, over-relaxed 1.7, 49 + 50',
     dict(step_mode='zedo-relax', steps=49, polish_steps=0)),
    # Heun's method on the official step's drift (2 prior evaluations per
    # step) at the budgets of the three official rows above: 10, 25, 50.
    ('zedo-heun, over-relaxed 1.45, 4 + 50',
     ('ZEDO_10_EVALUATIONS', dict(step_mode='zedo-heun', steps=4,
                                  warmup=1))),
    ('zedo-heun, over-relaxed 1.7, 12 + 50',
     dict(step_mode='zedo-heun', steps=12, warmup=1, loop_time=0.5,
          polish_steps=0)),
    ('zedo-heun, over-relaxed 1.7, 20 + 4 polish + 50',
     dict(step_mode='zedo-heun', steps=20, warmup=2, polish_steps=4)),
]


def add_sample_args(parser, out_name: str) -> None:
    """The analysis tools' test-sample options: ``--num-samples``,
    ``--offset``, ``--data-root`` and ``--out`` (default
    ``work_dirs/OUT_NAME``)."""
    parser.add_argument('--num-samples', type=int, default=256)
    parser.add_argument('--offset', type=int, default=0)
    parser.add_argument('--data-root',
                        default=osp.join(REPO, 'data', 'open_h36m'))
    parser.add_argument('--out', default=osp.join(REPO, 'work_dirs',
                                                  out_name))


def test_split_indices(n, num, offset=0):
    """``num`` evenly spaced indices into ``n`` test samples, shifted by
    ``offset``."""
    return np.linspace(0, n - 1 - offset, num).astype(int) + offset


def load_test_split(rig, det, num, data_root, offset=0, name='cmu', fps=10,
                    actions=False, low_poses=False):
    """2D, confidences, intrinsics and root-relative 3D of ``num`` evenly
    spaced samples of a benchmark's test split (``<name>_test`` at
    ``fps``: the open benchmark by default; shifted by ``offset``); with
    ``actions``, also each sample's action category (from ``imgname``).
    With ``low_poses``, the samples are drawn from the split's sitting,
    crouching and squatting poses only (both hips and knees flexed past 60
    degrees, :func:`mmzedo.core.low_pose_mask`), at most ``num``."""
    root = osp.join(data_root, rig)
    ann = np.load(osp.join(root, 'annotation_body3d', f'fps{fps}',
                           f'{name}_test.npz'))
    with open(osp.join(root, 'annotation_body3d', 'cameras.pkl'), 'rb') as f:
        cams = pickle.load(f)
    if low_poses:
        import torch

        from mmzedo.core import low_pose_mask
        pool = np.flatnonzero(low_pose_mask(torch.from_numpy(
            ann['S'][..., :3].astype(np.float32))).numpy())
        idx = pool[test_split_indices(len(pool), min(num, len(pool)),
                                      offset)]
    else:
        idx = test_split_indices(len(ann['imgname']), num, offset)
    part = (np.load(osp.join(root, 'joint_2d_det_files', f'{name}_test.npy'))
            if det else ann['part'])[idx]
    f, c, acts = [], [], []
    for img in ann['imgname'][idx]:
        # Human3.6M naming: S1/S1_Action_k.<camera>/S1_Action_k.<camera>_i.jpg
        subject, folder = img.split('/')[:2]
        cam = cams[(subject, folder.split('.')[-1])]
        f.append(np.ravel(cam['f']))
        c.append(np.ravel(cam['c']))
        acts.append(folder.split('.')[0].split('_')[1])
    S = ann['S'][idx, :, :3]
    out = (part[..., :2], part[..., 2], np.array(f), np.array(c),
           S - S[:, :1])
    return out + (np.array(acts), ) if actions else out


def load_prior_and_anchor(prior=PRIOR, anchors=ANCHORS):
    """The prior and its S=1 anchor [1, 17, 3] that the analysis tools
    use (the bundled ones by default)."""
    from mmzedo.core import ScorePrior
    from mmzedo.core.anchors import load_anchors
    return (ScorePrior.from_checkpoint(prior),
            load_anchors(anchors)['anchors'][:1])


def errors(pred, gt):
    """MPJPE and P-MPJPE (mm, one decimal) of root-relative poses
    [..., 17, 3] against the ground truth, by mmpose's metric."""
    from mmpose.evaluation.functional import keypoint_mpjpe
    pred, gt = pred.reshape(-1, 17, 3), gt.reshape(-1, 17, 3)
    mask = np.ones(gt.shape[:2], dtype=bool)
    return (round(1000 * keypoint_mpjpe(pred, gt, mask), 1),
            round(1000 * keypoint_mpjpe(pred, gt, mask,
                                        alignment='procrustes'), 1))


def per_hypothesis_errors(hyps, gt):
    """MPJPE and P-MPJPE (mm, one decimal) [N, S, 2] of every hypothesis
    [N, S, 17, 3] against the ground truth [N, 17, 3]."""
    return np.array([[errors(h[None], g[None]) for h in sample]
                     for sample, g in zip(hyps, gt)])


def lift_poses(prior, anchors, data, overrides=None):
    """Root-relative poses [N, 17, 3] lifted from ``data`` (as
    :func:`load_test_split` returns it) by :func:`mmzedo.core.zedo_lift`
    with ``overrides`` of ``ZEDO_DEFAULTS`` (or the name of a preset of
    ``mmzedo.core``, or ``(preset name, overrides of it)``), and the
    seconds it took."""
    import time

    import torch

    from mmzedo import core
    if isinstance(overrides, str):  # a preset of mmzedo.core
        overrides = getattr(core, overrides)
    elif isinstance(overrides, tuple):  # (preset, overrides of it)
        overrides = dict(getattr(core, overrides[0]), **overrides[1])
    kp, conf, f, c = data[:4]
    t0 = time.perf_counter()
    with torch.no_grad():
        out = core.zedo_lift(prior, kp, conf, f, c, anchors,
                             **(overrides or {}))
    return out['pose'].cpu().numpy(), time.perf_counter() - t0


def scale_ratio(pred, gt):
    """Mean bone length of ``pred`` over the ground truth's, averaged over
    the samples (three decimals)."""
    from mmzedo.utils import bone_lengths
    return round(float((bone_lengths(pred).mean(1) /
                        bone_lengths(gt).mean(1)).mean()), 3)


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
    p.add_argument('--anchors', default=ANCHORS)
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
