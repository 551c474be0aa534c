# Copyright (c) mmzedo contributors. All rights reserved.
"""Build the cross-dataset benchmark: the Bandai Namco Research Motion
Dataset (``bandai.npz`` in shared/data/mocap, CC BY-NC 4.0: for benchmarks,
never shipped) in mmpose's Human3.6M format, its own skeleton, at 5 fps,
under ``data/bandai_h36m/<rig>/`` (test split: dataset 1; train split,
h36m-like rig only: dataset 2). Deterministic; rigs already built are
kept."""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..'))

from mmzedo.datasets.mocap.open_benchmark import (  # noqa: E402
    OPEN_RIGS, SHARED_MOCAP, build_bandai_benchmark)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--out-root', default='data/bandai_h36m')
    p.add_argument('--mocap-dir', default=SHARED_MOCAP,
                   help='folder holding bandai.npz')
    p.add_argument('--rigs', nargs='+', default=list(OPEN_RIGS))
    p.add_argument('--force', action='store_true')
    args = p.parse_args()
    for rig, s in build_bandai_benchmark(args.out_root, args.rigs,
                                         args.mocap_dir,
                                         force=args.force).items():
        counts = ', '.join(f'{k} {v["num"]}' for k, v in s['files'].items())
        print(f'{rig}: {counts} samples -> {osp.join(args.out_root, rig)}')
