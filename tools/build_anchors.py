# Copyright (c) mmzedo contributors. All rights reserved.
"""Build ZeDO anchor poses: K-Means (scikit-learn) centres of the
root-relative 3D poses of an mmpose Human3.6M-format annotation file.

    python tools/build_anchors.py \
        data/open_h36m/h36m-like/annotation_body3d/fps10/cmu_train.npz \
        --nums 1 10 50 --name open-cmu --out-dir checkpoints \
        [--joint-definitions h36m]

Writes ``anchors_<name>_S<k>.npz`` with ``anchors`` [k, 17, 3] (metres,
camera frame, root-relative), ``joint_layout``, ``units``, ``source``.
"""
import argparse
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.join(osp.dirname(__file__), '..'))

from mmzedo.core.anchors import (anchor_file_name,  # noqa: E402
                                 build_anchor_files)
from mmzedo.utils.safe_io import (check_file_name,  # noqa: E402
                                  refuse_overwriting_inputs,
                                  refuse_replacing_outputs)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('ann_file', help="mmpose Human3.6M-format .npz ('S')")
    p.add_argument('--nums', type=int, nargs='+', default=[1, 10, 50])
    p.add_argument('--name', required=True)
    p.add_argument('--out-dir', default='checkpoints')
    p.add_argument('--max-poses', type=int, default=20000,
                   help='sub-sample (evenly) to at most this many poses')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--joint-definitions', choices=('h36m', ), default=None,
                   help="h36m: move the poses to Human3.6M's joint "
                   "definitions first (pelvis at the hips' midpoint, joint 9 "
                   'the nose, Human3.6M bone lengths), as a prior config '
                   "with the dataset's joint_definitions='h36m' trains on")
    p.add_argument('--overwrite', action='store_true',
                   help='replace anchor files of the same --name')
    args = p.parse_args(argv)
    try:
        files = run(args)
    except (ValueError, FileExistsError) as e:  # a clear message
        raise SystemExit(f'build_anchors: error: {e}')
    for num, path in files.items():
        print(f'S={num}: {path}')


def run(args):
    if any(n < 1 for n in args.nums) or args.max_poses < 1:
        raise ValueError(f'--nums ({args.nums}) and --max-poses '
                         f'({args.max_poses}) must be >= 1.')
    check_file_name(args.name, '--name')
    try:
        S = np.load(args.ann_file)['S']
    except FileNotFoundError:
        raise ValueError(f'{args.ann_file}: no such file.')
    except Exception as e:  # noqa: BLE001 - zipfile/pickle/key errors
        raise ValueError(f'{args.ann_file}: not an mmpose Human3.6M-format '
                         f'annotation file with "S" ({type(e).__name__}: '
                         f'{e}).')
    if S.ndim != 3 or S.shape[1] != 17 or S.shape[2] < 3:
        raise ValueError(f'{args.ann_file}: S has shape {list(S.shape)}; '
                         'expected [N, 17, 3+] (Human3.6M layout).')
    S = S[..., :3]
    if not np.isfinite(S).all():
        raise ValueError(f'{args.ann_file}: S contains NaN/inf.')
    idx = np.linspace(0, len(S) - 1, min(len(S), args.max_poses)).astype(int)
    S, source = S[idx], osp.basename(args.ann_file)
    if getattr(args, 'joint_definitions', None) == 'h36m':
        from mmzedo.datasets.mocap import h36m_joint_definitions
        S = h36m_joint_definitions(S)
        S = S - S[:, :1]
        source += " (Human3.6M's joint definitions)"
    outputs = [osp.join(args.out_dir, anchor_file_name(args.name, n))
               for n in args.nums]
    refuse_overwriting_inputs(outputs, [args.ann_file])
    refuse_replacing_outputs(outputs, getattr(args, 'overwrite', False),
                             'pass another --name or --out-dir')
    return build_anchor_files(S, args.nums, args.out_dir, args.name,
                              source=source,
                              seed=args.seed)


if __name__ == '__main__':
    from mmzedo.utils.cli import run_cli
    run_cli(main)
