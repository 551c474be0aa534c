# Copyright (c) mmzedo contributors. All rights reserved.
"""In-the-wild lifting on the open benchmark's test split (S=1, bundled
prior and anchor), two parts:

1. **Unknown intrinsics**: per rig, MPJPE / P-MPJPE with the known ``K``
   against the focal length estimated by the fit
   (:func:`mmzedo.core.focal_search.estimate_focal`, principal point at the
   image centre): per image (one person) and per camera (all of a camera's
   samples share the focal length, as the frames of one video do), with
   the median and 90th percentile of the relative focal-length error.
2. **Sequences**: runs of consecutive test frames (10 fps) lifted frame by
   frame against the warm start
   (:func:`mmzedo.core.sequence.zedo_lift_sequence`): MPJPE, P-MPJPE, mean
   joint acceleration (mm / frame^2, root-relative; the ground truth's in
   brackets), poses/s and prior evaluations per pose.

Prints Markdown tables and writes ``work_dirs/in_the_wild_benchmark.json``.

    python tools/analysis/in_the_wild_benchmark.py [--num-samples 256]
        [--num-sequences 120] [--length 16] [--sequence-offset 0 [1 ...]]
        [--zedo-cfg '{"sequence": {"anchor_weight": 0}}']
"""
import argparse
import json
import os
import os.path as osp
import pickle
import sys
import time

import numpy as np

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, REPO)
sys.path.insert(0, osp.dirname(__file__))

from mmzedo.analysis import (acceleration, errors,  # noqa: E402
                             load_prior_and_anchor, load_test_split,
                             test_sequences)

RIGS = ('h36m-like', 'phone-wide', 'telephoto')


def camera_ids(rig, num, data_root):
    """Camera of each of ``num`` evenly spaced test samples, and sizes."""
    root = osp.join(data_root, rig, 'annotation_body3d')
    names = np.load(osp.join(root, 'fps10', 'cmu_test.npz'))['imgname']
    with open(osp.join(root, 'cameras.pkl'), 'rb') as f:
        cams = pickle.load(f)
    idx = np.linspace(0, len(names) - 1, num).astype(int)
    keys = [(n.split('/')[0], n.split('/')[1].split('.')[-1])
            for n in names[idx]]
    ids = {k: i for i, k in enumerate(sorted({k[1] for k in keys}))}
    size = np.array([[cams[k]['w'], cams[k]['h']] for k in keys], float)
    return np.array([ids[k[1]] for k in keys]), size


def intrinsics_part(prior, anchors, args):
    from mmzedo.core import zedo_lift
    from mmzedo.core.focal_search import estimate_focal
    rows = {}
    for rig in RIGS:
        kp, conf, f, c, gt = load_test_split(rig, False, args.num_samples,
                                             args.data_root)
        cam, size = camera_ids(rig, args.num_samples, args.data_root)
        known = zedo_lift(prior, kp, conf, f, c, anchors)
        row = dict(known=errors(known['pose'].numpy(), gt))
        for name, groups in (('per image', None), ('per camera', cam)):
            out = estimate_focal(prior, kp, conf, size, anchors,
                                 groups=groups)
            rel = np.abs(out['f'][:, 0].numpy() / f[:, 0] - 1)
            row[name] = errors(out['pose'].numpy(), gt) + (
                round(float(np.median(rel)), 3),
                round(float(np.percentile(rel, 90)), 3))
        rows[rig] = row
        print(json.dumps({rig: row}), flush=True)
    print('\n| rig | known K | per image: MPJPE / P-MPJPE, focal error '
          'median (90th pct) | per camera: same |')
    print('|---|---:|---:|---:|')
    for rig, r in rows.items():
        cells = [f'{r["known"][0]} / {r["known"][1]}']
        for name in ('per image', 'per camera'):
            m, p, med, p90 = r[name]
            cells.append(f'{m} / {p}, {100 * med:.0f}% ({100 * p90:.0f}%)')
        print(f'| {rig} | ' + ' | '.join(cells) + ' |')
    return rows


def sequence_part(prior, anchors, args):
    from mmzedo.core import zedo_lift
    from mmzedo.core.sequence import zedo_lift_sequence
    rows = {}
    for setting, (rig, det) in {
            'gt2d, h36m-like': ('h36m-like', False),
            'gt2d, phone-wide': ('phone-wide', False),
            'gt2d, telephoto': ('telephoto', False),
            'det2d, h36m-like': ('h36m-like', True)
    }.items():
        kp, conf, f, c, gt = test_sequences(rig, det, args.length,
                                            args.num_sequences,
                                            args.data_root,
                                            args.sequence_offset)
        n, length = kp.shape[:2]
        evaluated = []  # poses the prior evaluated, per call
        hook = prior.score_net.register_forward_hook(
            lambda mod, args, out: evaluated.append(len(args[0])))
        t0 = time.perf_counter()
        per = zedo_lift(prior, kp.reshape(n * length, 17, 2),
                        conf.reshape(n * length, 17),
                        np.repeat(f, length, 0), np.repeat(c, length, 0),
                        anchors)['pose'].numpy().reshape(n, length, 17, 3)
        t1 = time.perf_counter()
        per_evals = sum(evaluated) / (n * length)
        warm = zedo_lift_sequence(prior, kp, conf, f, c, anchors,
                                  solver=args.zedo_cfg)['pose'].numpy()
        t2 = time.perf_counter()
        hook.remove()
        warm_evals = sum(evaluated) / (n * length) - per_evals
        rows[setting] = dict(
            sequences=[n, length],
            gt_acceleration=acceleration(gt),
            per_frame=errors(per, gt) + (acceleration(per),
                                         round(n * length / (t1 - t0)),
                                         round(per_evals, 1)),
            warm_start=errors(warm, gt) + (acceleration(warm),
                                           round(n * length / (t2 - t1)),
                                           round(warm_evals, 1)))
        print(json.dumps({setting: rows[setting]}), flush=True)
    print('\n| setting | per frame: MPJPE / P-MPJPE, accel., poses/s, '
          'prior evaluations per pose | warm start: same | GT accel. |')
    print('|---|---:|---:|---:|')
    for setting, r in rows.items():
        cells = [f'{m} / {p}, {a}, {s}, {e}'
                 for m, p, a, s, e in (r['per_frame'], r['warm_start'])]
        print(f'| {setting} | ' + ' | '.join(cells) +
              f' | {r["gt_acceleration"]} |')
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--num-samples', type=int, default=256)
    p.add_argument('--num-sequences', type=int, default=120)
    p.add_argument('--length', type=int, default=16)
    p.add_argument('--sequence-offset', type=int, nargs='+', default=[0],
                   help='shift the sequences by this many runs; several: '
                   'their runs together (the warm start was tuned on 1 2 3 '
                   '4, apart from 0)')
    p.add_argument('--zedo-cfg', type=json.loads, default=None,
                   help='the solver of the warm-started sequences: nested '
                   'overrides of ZEDO_DEFAULTS as JSON (e.g. \'{"sequence": '
                   '{"anchor_weight": 0}}\')')
    p.add_argument('--data-root',
                   default=osp.join(REPO, 'data', 'open_h36m'))
    p.add_argument('--out', default=osp.join(REPO, 'work_dirs',
                                             'in_the_wild_benchmark.json'))
    args = p.parse_args(argv)
    import torch
    torch.set_grad_enabled(False)
    prior, anchors = load_prior_and_anchor()
    results = dict(intrinsics=intrinsics_part(prior, anchors, args),
                   sequences=sequence_part(prior, anchors, args))
    os.makedirs(osp.dirname(args.out), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(results, f, indent=2)


if __name__ == '__main__':
    main()
