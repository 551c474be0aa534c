# Copyright (c) mmzedo contributors. All rights reserved.
"""From pixels to 3D on real media: the offline 2D detector (BlazePose) and
ZeDO (bundled prior, S=1) on

1. the 4 real Human3.6M frames of the test fixtures (real cameras and 3D
   ground truth): BlazePose's 2D error against the annotated 2D (pixels per
   joint, the 12 limb joints both measure), and MPJPE / P-MPJPE lifted from
   BlazePose's 2D with the real cameras and with them withheld (focal
   length estimated), next to the annotated 2D with the real cameras;
2. the 3 annotated PoseTrack18 frames (``--posetrack``; 14 people, real
   head markers): PCKh@0.5 of the person BlazePose finds against the
   annotated person it overlaps most, on the 15 joints both have, and the
   lifted people's validity flags and left/right bone-length symmetry;
3. the bundled clips (``data/media/*.mp4``): frames/s from pixels to 3D for
   one person (BlazePose finds one), the detector's and ZeDO's share of the
   time, and jitter (mean joint acceleration, mm/frame^2) per-frame against
   the warm start.

Prints Markdown tables and writes
``work_dirs/pixels_benchmark.json``. Nothing else may run while it times.

    python tools/analysis/pixels_benchmark.py [--posetrack DIR]
"""
import argparse
import copy
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

from mmzedo.analysis import PRIOR, errors  # noqa: E402
from mmzedo.utils.shipped import anchor_file_for  # noqa: E402

FIXTURES = osp.join(REPO, 'tests', 'data', 'mmpose-fixtures', 'h36m')
POSETRACK = osp.join(REPO, '..', 'shared', 'data', 'media', 'posetrack18')
CLIPS = [osp.join(REPO, 'data', 'media', n)
         for n in ('street_demo.mp4', 'soccer_posetrack18.mp4')]
#: Human3.6M joints BlazePose measures directly (hips, knees, ankles,
#: shoulders, elbows, wrists).
LIMB_JOINTS = [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]
#: PoseTrack18 keypoints also in COCO-17 (PoseTrack index, COCO index).
POSETRACK_COCO = [(0, 0), (3, 3), (4, 4)] + [(k, k) for k in range(5, 17)]


def h36m_frames(prior, anchors):
    """Section 1's rows and the per-joint 2D error."""
    import torch

    from mmzedo.apis.pose2d_detectors import detect_pose2d
    from mmzedo.apis.pose2d_inputs import image_stem, to_h36m
    from mmzedo.core import estimate_focal, zedo_lift
    d = np.load(osp.join(FIXTURES, 'test_h36m_body3d.npz'))
    with open(osp.join(FIXTURES, 'cameras.pkl'), 'rb') as fh:
        cams = pickle.load(fh)
    det = detect_pose2d(osp.join(FIXTURES, 'images'))
    by_name = {image_stem(fr.img_path): fr for fr in det.samples}
    kp, sc, f, c, size = [], [], [], [], []
    for name in d['imgname']:
        stem = image_stem(osp.basename(name))
        inst = by_name[stem].pred_instances
        k, s = to_h36m(inst.keypoints[:1], inst.keypoint_scores[:1], 'coco')
        kp.append(k[0])
        sc.append(s[0])
        subj, rest = stem.split('_', 1)
        cam = cams[(subj, rest.split('.')[1].split('_')[0])]
        f.append(np.asarray(cam['f']).reshape(2))
        c.append(np.asarray(cam['c']).reshape(2))
        size.append([cam['w'], cam['h']])
    kp, sc = np.stack(kp), np.stack(sc)
    gt2d, gt3d = d['part'][..., :2], d['S'][..., :3]
    gt3d = gt3d - gt3d[:, :1]
    px = np.linalg.norm(kp - gt2d, axis=-1)[:, LIMB_JOINTS]
    t = (lambda v: torch.as_tensor(np.asarray(v), dtype=torch.float32))  # noqa
    f, c = np.stack(f), np.stack(c)
    rows = {}
    out = zedo_lift(prior, t(gt2d), torch.ones(4, 17), t(f), t(c), anchors)
    rows['annotated 2D, real cameras'] = errors(out['pose'].numpy(), gt3d)
    out = zedo_lift(prior, t(kp), t(sc), t(f), t(c), anchors)
    rows['BlazePose 2D, real cameras'] = errors(out['pose'].numpy(), gt3d)
    out = estimate_focal(prior, t(kp), t(sc), t(size), anchors)
    rows['BlazePose 2D, cameras withheld (focal estimated)'] = errors(
        out['pose'].numpy(), gt3d)
    focal_err = np.abs(out['f'].numpy()[:, 0] / f[:, 0] - 1)
    return dict(rows=rows, px_per_joint=round(float(px.mean()), 1),
                px_median=round(float(np.median(px)), 1),
                focal_error=round(float(np.median(focal_err)), 3))


def posetrack(prior, anchors, root):
    """Section 2: PCKh@0.5 of BlazePose's person and the lifted people."""
    from mmzedo.apis.pose2d_detectors import detect_pose2d
    from mmzedo.apis.wild_lifting import lift_pose2d
    with open(osp.join(root, 'test_posetrack18_val.json')) as fh:
        ann = json.load(fh)
    det = detect_pose2d(osp.join(root, 'images'))
    hits, total, matched = 0, 0, 0
    for frame in det.samples:
        seq = frame.img_path.split('_')[0]
        img = [i for i in ann['images'] if f'/{seq}_' in i['file_name'] or
               f'/{seq}/' in i['file_name']][0]
        people = [a for a in ann['annotations'] if a['image_id'] == img['id']]
        for kp in frame.pred_instances.keypoints:
            best, best_n = None, 0
            for a in people:
                g = np.asarray(a['keypoints'], float).reshape(17, 3)
                head = np.linalg.norm(g[2, :2] - g[1, :2])
                if g[1, 2] == 0 or g[2, 2] == 0 or head <= 0:
                    continue
                ok = [np.linalg.norm(kp[k] - g[p, :2]) <=
                      0.5 * head for p, k in POSETRACK_COCO if g[p, 2] > 0]
                if sum(ok) > best_n:
                    best, best_n = ok, sum(ok)
            if best is not None:
                matched += 1
                hits += sum(best)
                total += len(best)
    found = sum(len(fr.pred_instances) for fr in det.samples)
    lifted = lifted_people(lift_pose2d(det, prior, anchors, progress=False))
    sym = []
    for p in lifted:
        k = np.asarray(p['keypoints_3d'])
        for (a, b), (c, d) in (((1, 2), (4, 5)), ((2, 3), (5, 6)),
                               ((14, 15), (11, 12)), ((15, 16), (12, 13))):
            sym.append(np.linalg.norm(k[a] - k[b]) /
                       np.linalg.norm(k[c] - k[d]))
    return dict(people_found=found,
                annotated_people=len(ann['annotations']), matched=matched,
                pckh=round(hits / max(total, 1), 3),
                lifted=len(lifted), valid=sum(bool(p['valid'])
                                              for p in lifted),
                symmetry=round(float(np.mean(np.abs(np.log(sym)))), 3))


def lifted_people(frames):
    """The lifted people's records (``people_records``), frame by
    frame."""
    from mmzedo.apis.wild_lifting import people_records
    return [p for fr in frames.samples for p in people_records(fr)
            if 'keypoints_3d' in p]


def jitter(frames):
    """Mean root-relative joint acceleration (mm/frame^2) of the lifted
    person over consecutive frames."""
    poses = np.stack([p['keypoints_3d'] - p['translation']
                      for p in lifted_people(frames)])
    acc = poses[2:] - 2 * poses[1:-1] + poses[:-2]
    return round(float(np.linalg.norm(acc, axis=-1).mean() * 1000), 1)


def clip(prior, anchors, path):
    """Section 3 for one clip: per-frame and warm-started rows. Each is
    timed end to end (read, 2D, focal search, lifting) and again with the
    focal length it found given, which leaves the per-frame cost (the
    focal search runs once per video)."""
    from mmzedo.apis.pose2d_detectors import detect_pose2d
    from mmzedo.apis.wild_lifting import lift_pose2d
    rows = {}
    for name, seq in (('per frame', False), ('warm start', True)):
        t0 = time.perf_counter()
        det = detect_pose2d(path)
        again = copy.deepcopy(det)  # the lift converts the frames in place
        t1 = time.perf_counter()
        res = lift_pose2d(det, prior, anchors, sequence=seq, progress=False)
        t2 = time.perf_counter()
        shake = jitter(res)
        first = res.samples[0]
        cam = {None: (np.asarray(first.focal), None)}
        t3 = time.perf_counter()
        lift_pose2d(again, prior, anchors, cameras=cam, sequence=seq,
                    progress=False)
        t4 = time.perf_counter()
        n = len(res.samples)
        rows[name] = dict(
            frames=n, size=[first.ori_shape[1], first.ori_shape[0]],
            fps=round(n / (t2 - t0), 2),
            fps_per_frame_cost=round(n / (t1 - t0 + t4 - t3), 2),
            detector_share=round((t1 - t0) / (t1 - t0 + t4 - t3), 2),
            jitter_mm=shake)
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--prior', default=PRIOR)
    p.add_argument('--anchors', default=None,
                   help="S=1 anchor file (default: the prior's)")
    p.add_argument('--posetrack', default=POSETRACK,
                   help='the PoseTrack18 frames (skipped if absent)')
    p.add_argument('--out', default=osp.join(REPO, 'work_dirs',
                                             'pixels_benchmark.json'))
    args = p.parse_args(argv)
    import torch

    from mmzedo.core import ScorePrior
    from mmzedo.core.anchors import load_anchors
    prior = ScorePrior.from_checkpoint(args.prior).eval()
    anchors = torch.as_tensor(load_anchors(
        args.anchors or anchor_file_for(args.prior, 1))['anchors'])
    with torch.no_grad():
        res = dict(h36m=h36m_frames(prior, anchors))
        if osp.isdir(args.posetrack):
            res['posetrack18'] = posetrack(prior, anchors, args.posetrack)
        res['clips'] = {osp.basename(c): clip(prior, anchors, c)
                        for c in CLIPS}
    os.makedirs(osp.dirname(args.out), exist_ok=True)
    with open(args.out, 'w') as fh:
        json.dump(res, fh, indent=1)
    h = res['h36m']
    print('| Human3.6M frames (4), S=1 | MPJPE (mm) | P-MPJPE (mm) |')
    print('|---|---:|---:|')
    for name, (m, pm) in h['rows'].items():
        print(f'| {name} | {m} | {pm} |')
    print(f"\nBlazePose 2D against the annotated 2D: {h['px_per_joint']} px "
          f"per joint (median {h['px_median']}) on the 12 limb joints; "
          f"focal length estimated within {h['focal_error']:.1%} (median)."
          )
    if 'posetrack18' in res:
        pt = res['posetrack18']
        print(f"\nPoseTrack18 (3 frames, {pt['annotated_people']} annotated "
              f"people): BlazePose found {pt['people_found']} (one per "
              f"frame), {pt['matched']} matched; PCKh@0.5 {pt['pckh']} on "
              f"15 joints; lifted {pt['lifted']}, {pt['valid']} flagged "
              f"valid; left/right bone-length asymmetry "
              f"{pt['symmetry']:.1%} (mean |log ratio|).")
    print('\n| clip | frames | lifting | frames/s end to end | frames/s '
          'without the focal search | detector share of that | jitter '
          '(mm/frame^2) |')
    print('|---|---:|---|---:|---:|---:|---:|')
    for name, rows in res['clips'].items():
        for kind, r in rows.items():
            print(f"| {name} ({r['size'][0]:.0f}x{r['size'][1]:.0f}) | "
                  f"{r['frames']} | {kind} | {r['fps']} | "
                  f"{r['fps_per_frame_cost']} | {r['detector_share']} | "
                  f"{r['jitter_mm']} |")


if __name__ == '__main__':
    main()
