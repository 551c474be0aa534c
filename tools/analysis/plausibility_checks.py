# Copyright (c) mmzedo contributors. All rights reserved.
"""What the lifter's 2D plausibility flags see on real 2D: the narrower
over wider principal axis of each 2D pose (``valid_min_2d_aspect``) and the
angle of its centre off the optical axis (``valid_max_off_axis``), with the
true intrinsics and with f and c given swapped.

Test splits of the open benchmark (three rigs) and of the Bandai benchmark
(GT and detector-like 2D), and the 4 real Human3.6M frames with their real
cameras. Prints a Markdown table (minimum and 1st percentile of the aspect;
99th percentile and maximum of the angle; the angle's minimum with f and c
swapped).

    python tools/analysis/plausibility_checks.py
"""
import os.path as osp
import pickle
import sys

import numpy as np
import torch

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, REPO)

from mmzedo.analysis import load_test_split  # noqa: E402
from mmzedo.core.inputs import off_axis_angle, weighted_2d_aspect  # noqa

FIXTURES = osp.join(REPO, 'tests', 'data', 'mmpose-fixtures', 'h36m')


def fixture_frames():
    """The 4 real Human3.6M frames: 2D, confidences, f, c."""
    d = np.load(osp.join(FIXTURES, 'test_h36m_body3d.npz'))
    with open(osp.join(FIXTURES, 'cameras.pkl'), 'rb') as fh:
        cams = pickle.load(fh)
    f, c = [], []
    for name in d['imgname']:
        stem = osp.basename(name)  # S1_Directions_1.54138969_000001.jpg
        cam = cams[(stem.split('_')[0], stem.split('.')[1].split('_')[0])]
        f.append(np.ravel(cam['f']))
        c.append(np.ravel(cam['c']))
    part = d['part']
    return (part[..., :2], np.ones(part.shape[:2]), np.array(f),
            np.array(c))


def main():
    sets = {}
    for rig in ('h36m-like', 'phone-wide', 'telephoto'):
        for det in (False, True) if rig == 'h36m-like' else (False, ):
            sets[f'open benchmark, {rig}, {"det." if det else "GT"} 2D'] = \
                load_test_split(rig, det, 10**6, osp.join(
                    REPO, 'data', 'open_h36m'))[:4]
    for det in (False, True):
        sets[f'Bandai, h36m-like, {"det." if det else "GT"} 2D'] = \
            load_test_split('h36m-like', det, 10**6, osp.join(
                REPO, 'data', 'bandai_h36m'), name='bandai', fps=5)[:4]
    sets['Human3.6M, 4 real frames, annotated 2D'] = fixture_frames()
    print('| 2D | poses | aspect: min, 1st pct | off-axis angle: 99th pct, '
          'max | off-axis angle with f and c swapped: min |')
    print('|---|---:|---:|---:|---:|')
    for name, (kp, conf, f, c) in sets.items():
        kp, conf, f, c = (torch.as_tensor(np.asarray(v, np.float32))
                          for v in (kp, conf, f, c))
        aspect = weighted_2d_aspect(kp, conf).numpy()
        angle = off_axis_angle(kp, conf, f, c).numpy()
        swapped = off_axis_angle(kp, conf, c, f).numpy()
        print(f'| {name} | {len(kp)} | {aspect.min():.3f}, '
              f'{np.percentile(aspect, 1):.3f} | '
              f'{np.percentile(angle, 99):.1f}, {angle.max():.1f} | '
              f'{swapped.min():.1f} |')


if __name__ == '__main__':
    main()
