# Copyright (c) mmzedo contributors. All rights reserved.
"""The in-the-wild demo on the 4 real Human3.6M frames of
``tests/data/mmpose-fixtures/h36m`` (mmpose's test data): lifted with
their real cameras and with the cameras withheld (focal length estimated
by the fit). Prints per frame the root-relative MPJPE (mm) against the
Human3.6M ground truth and the focal-length error, then the means.

    python tools/analysis/h36m_fixture_check.py [--out-dir DIR]
        [--prior PRIOR] [--anchors ANCHORS] [--zedo-cfg JSON]
"""
import argparse
import importlib.util
import json
import os.path as osp
import pickle
import sys

import numpy as np

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, REPO)
FIXTURE = osp.join(REPO, 'tests', 'data', 'mmpose-fixtures', 'h36m')

from mmzedo.utils.shipped import SHIPPED_PRIOR  # noqa: E402


def demo_main():
    path = osp.join(REPO, 'demo', 'zedo_lift_demo.py')
    spec = importlib.util.spec_from_file_location('zedo_lift_demo', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out-dir',
                   default=osp.join(REPO, 'work_dirs', 'h36m_fixture'))
    p.add_argument('--prior', default=SHIPPED_PRIOR,
                   help='the prior to lift with (default: the shipped one)')
    p.add_argument('--anchors', help="the prior's S=1 anchor file "
                   '(default: the demo\'s)')
    p.add_argument('--zedo-cfg', metavar='JSON',
                   help="the solver's settings, passed to the demo's "
                   '--zedo-cfg (default: the default solver)')
    args = p.parse_args(argv)
    with open(osp.join(FIXTURE, 'cameras.pkl'), 'rb') as f:
        cams = pickle.load(f)
    with open(osp.join(FIXTURE, 'h36m_coco.json')) as f:
        images = json.load(f)['images']
    known = {}
    for im in images:  # S1_Directions_1.54138969_000001.jpg
        name = im['file_name']
        cam = cams[(name.split('_')[0], name.split('.')[1].split('_')[0])]
        known[name] = dict(f=np.ravel(cam['f']).tolist(),
                           c=np.ravel(cam['c']).tolist())
    cam_json = osp.join(args.out_dir, 'cameras.json')
    from mmzedo.apis.wild_lifting import write_json_atomic
    write_json_atomic(known, cam_json)
    gt = np.load(osp.join(FIXTURE, 'test_h36m_body3d.npz'))
    names = [n.split('/')[-1] for n in gt['imgname']]
    run = demo_main()
    common = [osp.join(FIXTURE, 'h36m_coco.json'), '--img-dir',
              osp.join(FIXTURE, 'images'), '--no-progress', '--prior',
              args.prior]
    for flag, value in (('--anchors', args.anchors),
                        ('--zedo-cfg', args.zedo_cfg)):
        if value:
            common += [flag, value]
    summary = {}
    for mode, extra in (('known K', ['--camera-json', cam_json]),
                        ('K withheld', [])):
        out_dir = osp.join(args.out_dir, mode.replace(' ', '_'))
        result = run(common + extra + ['--out-dir', out_dir])
        errs, ferrs = [], []
        for fr in result.samples:
            S = gt['S'][names.index(fr.img_path)][:, :3]
            k = fr.pred_instances.keypoints_3d[0]
            e = 1000 * np.linalg.norm(
                (k - k[:1]) - (S - S[:1]), axis=-1).mean()
            fe = fr.focal[0] / known[fr.img_path]['f'][0] - 1
            errs.append(e)
            ferrs.append(abs(fe))
            print(f'{mode} | {fr.img_path} | MPJPE {e:.1f} mm | focal '
                  f'{fr.focal[0]:.0f} px ({100 * fe:+.0f}%) | valid '
                  f'{bool(fr.pred_instances.valid[0])}')
        summary[mode] = (np.mean(errs), np.mean(ferrs))
    for mode, (e, fe) in summary.items():
        print(f'{mode}: mean MPJPE {e:.1f} mm, mean |focal error| '
              f'{100 * fe:.0f}%')


if __name__ == '__main__':
    main()
