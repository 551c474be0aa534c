# Copyright (c) mmzedo contributors. All rights reserved.
"""Build ZeDO anchor poses: K-Means (scikit-learn) centres of the
root-relative 3D poses of an mmpose Human3.6M-format annotation file.

    python tools/build_anchors.py \
        data/open_h36m/h36m-like/annotation_body3d/fps10/cmu_train.npz \
        --nums 1 10 50 --name open-cmu --out-dir checkpoints

Writes ``anchors_<name>_S<k>.npz`` with ``anchors`` [k, 17, 3] (metres,
camera frame, root-relative), ``joint_layout``, ``units``, ``source``.
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.join(osp.dirname(__file__), '..'))

from mmzedo.core.anchors import build_anchor_files  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('ann_file', help="mmpose Human3.6M-format .npz ('S')")
    p.add_argument('--nums', type=int, nargs='+', default=[1, 10, 50])
    p.add_argument('--name', required=True)
    p.add_argument('--out-dir', default='checkpoints')
    p.add_argument('--max-poses', type=int, default=20000,
                   help='sub-sample (evenly) to at most this many poses')
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    S = np.load(args.ann_file)['S'][..., :3]
    if S.shape[1:] != (17, 3):
        raise ValueError(f'{args.ann_file}: S has shape {S.shape}; expected '
                         '[N, 17, 3+] (Human3.6M layout).')
    idx = np.linspace(0, len(S) - 1, min(len(S), args.max_poses)).astype(int)
    os.makedirs(args.out_dir, exist_ok=True)
    files = build_anchor_files(S[idx], args.nums, args.out_dir, args.name,
                               source=osp.basename(args.ann_file),
                               seed=args.seed)
    for num, path in files.items():
        print(f'S={num}: {path}')


if __name__ == '__main__':
    main()
