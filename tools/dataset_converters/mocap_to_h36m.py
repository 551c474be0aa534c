# Copyright (c) mmzedo contributors. All rights reserved.
"""Convert 17-joint world motion capture into mmpose's Human3.6M format.

Example (the open benchmark's default rig)::

    python tools/dataset_converters/mocap_to_h36m.py \
        data/mocap/cmu_c2s.npz data/mocap/cmu_acrnn.npz \
        data/mocap/cmu_iclone.npz --out-dir data/open_h36m/h36m-like \
        --name cmu --rig h36m-like --fps 10 --retarget \
        --joint-definitions h36m \
        --test-groups cmu_c2s:test cmu_acrnn:martial \
                      cmu_iclone:subject006,subject007
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..'))

from mmzedo.datasets.mocap import CAMERA_RIGS, convert_mocap  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('inputs', nargs='+', help='motion-capture .npz files')
    p.add_argument('--out-dir', required=True, help='output data root')
    p.add_argument('--name', default='mocap', help='annotation file stem')
    p.add_argument('--rig', default='h36m-like', choices=sorted(CAMERA_RIGS))
    p.add_argument(
        '--test-groups', nargs='*', default=[],
        help='groups in the test split: GROUP or SOURCE:G1,G2')
    p.add_argument(
        '--test-seqs', default=None,
        help='text file with one test sequence name per line')
    p.add_argument('--fps', type=float, default=None,
                   help='sub-sample to this frame rate')
    p.add_argument('--retarget', action='store_true',
                   help='retarget bone lengths to Human3.6M (keep directions)')
    p.add_argument('--joint-definitions', choices=('h36m', 'rig'),
                   default='rig',
                   help="h36m: the pelvis at the hips' midpoint and joint 9 "
                   "the nose, as Human3.6M's annotation has them; rig: the "
                   "inputs' own")
    p.add_argument('--body-scale-std', type=float, default=0.05)
    p.add_argument('--area', type=float, nargs=2, default=(1.6, 1.2),
                   help='capture area (m) for the path centre')
    p.add_argument('--no-detections', action='store_true',
                   help='do not write detector-like 2D')
    p.add_argument('--det-noise-scale', type=float, default=1.0)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--replace-cameras', action='store_true',
                   help='allow other parameters for camera ids already in '
                   'OUT_DIR/annotation_body3d/cameras.pkl (earlier '
                   'annotation files there would point at the new ones)')
    p.add_argument('--up-axis', choices=('y', 'z'), default='y',
                   help="the inputs' up axis (y: checked; z: turned to Y-up)")
    p.add_argument('--overwrite', action='store_true',
                   help='replace earlier output files of the same --name in '
                   'OUT_DIR')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        run(args)
    except (ValueError, FileNotFoundError,
            FileExistsError) as e:  # clear message, no trace
        raise SystemExit(f'mocap_to_h36m: error: {e}')


def run(args):
    test_seqs = None
    if args.test_seqs:
        with open(args.test_seqs) as f:
            test_seqs = [line.strip() for line in f if line.strip()]
    convert_mocap(
        args.inputs,
        args.out_dir,
        name=args.name,
        rig=args.rig,
        test_groups=args.test_groups,
        test_seqs=test_seqs,
        fps=args.fps,
        retarget=args.retarget,
        joint_definitions=(None if args.joint_definitions == 'rig' else
                           'h36m'),
        body_scale_std=args.body_scale_std,
        area=args.area,
        detections=not args.no_detections,
        det_noise_scale=args.det_noise_scale,
        seed=args.seed,
        replace_cameras=args.replace_cameras,
        overwrite=args.overwrite,
        up_axis=args.up_axis)


if __name__ == '__main__':
    from mmzedo.utils.cli import run_cli
    run_cli(main)
