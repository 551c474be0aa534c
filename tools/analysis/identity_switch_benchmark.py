# Copyright (c) mmzedo contributors. All rights reserved.
"""Identity switches in tracked sequences: what the warm start's restarts
(the solver setting ``sequence.restart_jump``) catch and
what they cost.

Runs of consecutive frames of the open benchmark's test split (10 fps,
h36m-like rig; ``in_the_wild_benchmark.test_sequences``) are lifted with
the warm start, with and without restarts:

- **clean**: the runs as they are (restarts here are false alarms);
- **switched**: from the middle of each run on, the 2D and the ground
  truth are another run's seen by the same camera (a tracker that swapped
  two people), the errors taken on the frames after the switch.

Prints a Markdown table: MPJPE / P-MPJPE (mm), the share of frames lifted
in full again (each costs a full lift, 50 prior evaluations, on top of
the warm step's 36) and the share flagged valid, with GT and detector-like 2D.
The 2D jump and the relative reprojection error of the warm-started
frames (no restarts) are summarised per setting (median,
99th percentile, max on clean runs; median, min on switched frames), as
the thresholds were chosen from them.

    python tools/analysis/identity_switch_benchmark.py [--num 48]
        [--length 12]
"""
import argparse
import json
import os.path as osp
import sys

import numpy as np

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, REPO)
sys.path.insert(0, osp.dirname(__file__))

from mmzedo.analysis import (errors, load_prior_and_anchor,  # noqa: E402
                             test_sequences)

NO_RESTART = dict(sequence=dict(restart_jump=None))


def switch_tracks(kp, conf, f, gt, at):
    """From frame ``at`` on, each run takes the 2D and ground truth of the
    next run seen by a camera with the same intrinsics (runs without such
    a partner are dropped); returns the switched arrays and the runs
    kept."""
    keep, partner = [], []
    for i in range(len(kp)):
        same = [j for j in range(len(kp))
                if j != i and np.allclose(f[j], f[i])]
        if same:
            keep.append(i)
            partner.append(min(same, key=lambda j: (j - i) % len(kp)))
    keep, partner = np.array(keep), np.array(partner)
    out = []
    for a in (kp, conf, gt):
        b = a[keep].copy()
        b[:, at:] = a[partner][:, at:]
        out.append(b)
    return (*out, keep)


def run(prior, anchors, kp, conf, f, c, solver):
    import torch

    from mmzedo.core.sequence import zedo_lift_sequence
    with torch.no_grad():
        out = zedo_lift_sequence(prior, kp, conf, f, c, anchors,
                                 solver=solver)
    return {k: v.numpy() for k, v in out.items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--num', type=int, default=48, help='runs')
    p.add_argument('--length', type=int, default=12, help='frames per run')
    p.add_argument('--data-root', default=osp.join(REPO, 'data',
                                                   'open_h36m'))
    p.add_argument('--out', default=osp.join(REPO, 'work_dirs',
                                             'identity_switch.json'))
    args = p.parse_args(argv)
    import torch

    from mmzedo.core.sequence import two_d_jump
    from mmzedo.core.inputs import _weighted_spread
    from mmzedo.core.zedo import reprojection_error
    torch.set_grad_enabled(False)
    prior, anchors = load_prior_and_anchor()
    at = args.length // 2
    rows, stats = {}, {}
    for det in (False, True):
        kp, conf, f, c, gt = test_sequences('h36m-like', det, args.length,
                                            args.num, args.data_root)
        skp, sconf, sgt, keep = switch_tracks(kp, conf, f, gt, at)
        sets = dict(clean=(kp, conf, f, c, gt, slice(1, None)),
                    switched=(skp, sconf, f[keep], c[keep], sgt,
                              slice(at, None)))
        for name, (k, s, ff, cc, g, frames) in sets.items():
            label = f'{name}, {"det." if det else "GT"} 2D'
            for restarts, cfg in (('no', NO_RESTART), ('yes', None)):
                out = run(prior, anchors, k, s, ff, cc, cfg)
                pred, truth = out['pose'][:, frames], g[:, frames]
                rows[(label, restarts)] = errors(pred, truth) + (
                    round(float(out['restarted'][:, frames].mean()), 3),
                    round(float(out['valid'][:, frames].mean()), 3))
                print(json.dumps({f'{label}, restarts {restarts}':
                                  rows[(label, restarts)]}), flush=True)
                if restarts == 'no':  # what the tests see without them
                    kt, st = torch.as_tensor(k).float(), torch.as_tensor(
                        s).float()
                    jump = torch.stack([two_d_jump(
                        kt[:, i - 1], kt[:, i], st[:, i - 1], st[:, i])
                        for i in range(1, k.shape[1])], 1).numpy()
                    n, length = k.shape[:2]
                    fr = torch.as_tensor(np.repeat(ff, length, 0)).float()
                    cr = torch.as_tensor(np.repeat(cc, length, 0)).float()
                    kf, sf = kt.flatten(0, 1), st.flatten(0, 1)
                    rel = (reprojection_error(
                        torch.as_tensor(out['pose']).flatten(0, 1),
                        torch.as_tensor(out['translation']).flatten(0, 1),
                        kf, sf, fr, cr) / _weighted_spread(kf, sf)).reshape(
                            n, length).numpy()
                    if name == 'switched':  # the switch frame itself
                        jump, rel = jump[:, at - 1], rel[:, at]
                        stats[label] = dict(
                            jump_median=float(np.median(jump)),
                            jump_min=float(jump.min()),
                            rel_median=float(np.median(rel)),
                            rel_min=float(rel.min()))
                    else:
                        jump, rel = jump.ravel(), rel[:, 1:].ravel()
                        stats[label] = dict(
                            jump_median=float(np.median(jump)),
                            jump_p99=float(np.percentile(jump, 99)),
                            jump_max=float(jump.max()),
                            rel_median=float(np.median(rel)),
                            rel_p99=float(np.percentile(rel, 99)),
                            rel_max=float(rel.max()))
    print('\n| sequences | restarts | MPJPE / P-MPJPE (mm) | frames lifted '
          'again | valid |')
    print('|---|---|---:|---:|---:|')
    for (label, restarts), r in rows.items():
        print(f'| {label} | {restarts} | {r[0]} / {r[1]} | {r[2]:.1%} | '
              f'{r[3]:.1%} |')
    print('\n2D jump (mean joint displacement / 2D spread) and relative '
          'reprojection error of warm-started frames without restarts:\n')
    print('| sequences | jump | reprojection |')
    print('|---|---:|---:|')
    for label, s in stats.items():
        if 'jump_p99' in s:
            cells = [f'median {s[k]:.3f}, 99th pct {s[k2]:.3f}, max '
                     f'{s[k3]:.3f}' for k, k2, k3 in (
                         ('jump_median', 'jump_p99', 'jump_max'),
                         ('rel_median', 'rel_p99', 'rel_max'))]
        else:
            cells = [f'median {s[k]:.3f}, min {s[k2]:.3f}' for k, k2 in (
                ('jump_median', 'jump_min'), ('rel_median', 'rel_min'))]
        print(f'| {label} | ' + ' | '.join(cells) + ' |')
    from mmzedo.utils.safe_io import atomic_path
    with atomic_path(args.out) as tmp:
        with open(tmp, 'w') as fh:
            json.dump(dict(rows={f'{k[0]}, restarts {k[1]}': v
                                 for k, v in rows.items()}, stats=stats),
                      fh, indent=2)


if __name__ == '__main__':
    main()
