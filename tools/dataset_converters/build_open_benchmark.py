# Copyright (c) mmzedo contributors. All rights reserved.
"""Build the open benchmark (bundled CMU-derived mocap, mmpose Human3.6M
format) under ``data/open_h36m/<rig>/`` for the h36m-like, phone-wide and
telephoto rigs, in Human3.6M's joint definitions (``--joint-definitions
rig``: the capture rigs' own pelvis and joint 9). Deterministic; rigs
already built with the same settings are kept, others rebuilt."""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..'))

from mmzedo.datasets.mocap.open_benchmark import (  # noqa: E402
    OPEN_RIGS, build_open_benchmark)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--out-root', default='data/open_h36m')
    p.add_argument('--rigs', nargs='+', default=list(OPEN_RIGS))
    p.add_argument('--force', action='store_true')
    p.add_argument('--joint-definitions', choices=('h36m', 'rig'),
                   default='h36m',
                   help="where the pelvis and joint 9 are: Human3.6M's "
                   "(hips' midpoint, nose) or the capture rigs' own")
    args = p.parse_args()
    defs = None if args.joint_definitions == 'rig' else 'h36m'
    for rig, s in build_open_benchmark(
            args.out_root, args.rigs, force=args.force,
            joint_definitions=defs).items():
        print(f'{rig}: train {s["files"]["train"]["num"]}, test '
              f'{s["files"]["test"]["num"]} samples -> '
              f'{osp.join(args.out_root, rig)}')
