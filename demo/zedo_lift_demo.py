# Copyright (c) mmzedo contributors. All rights reserved.
"""Lift people in images or video to 3D with ZeDO, from pixels or from 2D
poses: known or estimated intrinsics, single images or tracked video
frames (warm start).

    python demo/zedo_lift_demo.py INPUT [--pose2d blazepose | MODEL]
        [--img-dir DIR] [--focal F [F] [--center CX CY] | --camera-json FILE]
        --out-dir DIR

INPUT: an image, a folder of images or a video (the 2D poses come from
``--pose2d``: by default MediaPipe's BlazePose, offline, which finds ONE
person per image or frame; or an mmpose 2D model, several people), or 2D
poses made elsewhere: a COCO keypoint file, an mmpose inferencer
prediction file (``--pred-out-dir``: per image a list of people; per video
a list of ``{frame_id, instances}``) or a directory of prediction files.
Without ``--focal``/``--camera-json`` the focal length is estimated by the
fit (principal point at the image centre) and reported.

Writes ``OUT_DIR/predictions.json`` (per image and person: ``keypoints_3d``
in Human3.6M-17 order, metres, camera frame including ``translation``; the
2D used, confidences, focal length, validity flag, or why the person was
skipped), pictures in ``OUT_DIR/vis/`` (2D over the image next to the 3D
poses, mmpose's ``Pose3dLocalVisualizer``; for a video also
``lifted.gif`` and a contact sheet) and, for a video, one BVH file per
tracked person (``OUT_DIR/track_<id>.bvh``, :mod:`mmzedo.apis.bvh_export`).
"""
import argparse
import os
import os.path as osp
import sys

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..'))
sys.path.insert(0, REPO)

from mmzedo.apis.wild_lifting import MIN_JOINTS  # noqa: E402
from mmzedo.utils.shipped import anchor_file_for  # noqa: E402
from mmzedo.utils.shipped import SHIPPED_PRIOR as DEFAULT_PRIOR  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('input', help='an image, a folder of images or a video '
                   '(2D from --pose2d); or 2D poses: a COCO keypoint file, an '
                   'mmpose inferencer prediction file, or a directory of '
                   'prediction files')
    p.add_argument('--pose2d', default='blazepose',
                   help='2D pose detector for images and video: blazepose '
                   '(default; offline, ONE person per image or frame) or an '
                   'mmpose 2D alias or config (several people; its weights '
                   'download unless --pose2d-weights gives them)')
    p.add_argument('--pose2d-weights', help='checkpoint of an mmpose --pose2d')
    p.add_argument('--det-weights', help="checkpoint of the person detector "
                   "(RTMDet-m) of an mmpose --pose2d")
    p.add_argument('--img-dir', help='images of 2D-pose input (optional: '
                   'size, pictures)')
    cam = p.add_mutually_exclusive_group()
    cam.add_argument('--focal', type=float, nargs='+', metavar='F',
                     help='focal length in pixels (one, or fx fy)')
    cam.add_argument('--camera-json', help='{"f": .., "c": ..} or '
                     '{image name: {"f": .., "c": ..}}')
    p.add_argument('--center', type=float, nargs=2, metavar=('CX', 'CY'),
                   help='principal point with --focal (default: the image '
                   'centre)')
    p.add_argument('--image-size', type=float, nargs=2, metavar=('W', 'H'),
                   help='image size when neither the input nor --img-dir '
                   'gives it')
    p.add_argument('--layout', choices=('coco', 'h36m'),
                   help='keypoint order of inferencer predictions '
                   '(default coco; COCO files name theirs)')
    p.add_argument('--out-dir', required=True)
    p.add_argument('--prior', default=DEFAULT_PRIOR)
    p.add_argument('--num-hypotheses', type=int, default=1, choices=(1, 10,
                                                                     50))
    p.add_argument('--anchors', help='anchor file (default: the bundled '
                   "one of --prior's training poses for --num-hypotheses)")
    p.add_argument('--min-joints', type=int, default=MIN_JOINTS,
                   help='fewest confident Human3.6M joints to lift a person')
    p.add_argument('--height', type=float, metavar='METRES',
                   help="the person's standing height: the lifted skeletons "
                   'are scaled to it (the 2D cannot tell size from depth; '
                   "default: the prior's own scale)")
    p.add_argument('--zedo-cfg', metavar='JSON',
                   help='the ZeDO solver\'s settings as JSON: nested '
                   'overrides of mmzedo.core.ZEDO_DEFAULTS, optionally of a '
                   'preset, e.g. \'{"preset": "10-evaluations"}\' or '
                   '\'{"loops": {"main": {"steps": 60}}}\'')
    seq = p.add_mutually_exclusive_group()
    seq.add_argument('--sequence', dest='sequence', action='store_true',
                     default=None, help='track people over frames and '
                     'warm-start each frame from the previous one')
    seq.add_argument('--no-sequence', dest='sequence', action='store_false')
    p.add_argument('--max-pictures', type=int, default=20)
    p.add_argument('--no-bvh', action='store_true',
                   help='write no BVH files for a sequence')
    p.add_argument('--fps', type=float,
                   help="frame rate of the BVH files and the GIF (default: "
                   "the video's, else 10)")
    p.add_argument('--strict', action='store_true',
                   help='exit with an error if any lifted pose is flagged '
                   'invalid')
    p.add_argument('--device', default='cpu')
    p.add_argument('--no-progress', action='store_true')
    args = p.parse_args(argv)
    if args.center is not None and args.focal is None:
        p.error('--center needs --focal')
    if args.focal is not None and len(args.focal) > 2:
        p.error('--focal takes one or two values')
    if args.min_joints < 1 or args.min_joints > 17:
        p.error('--min-joints must be in 1..17')
    if args.max_pictures < 0:
        p.error('--max-pictures must be >= 0')
    if args.fps is not None and not args.fps > 0:
        p.error('--fps must be > 0')
    if args.img_dir is not None and not osp.isdir(args.img_dir):
        p.error(f'--img-dir {args.img_dir} is not a directory')
    args.solver = solver_settings(p, args.zedo_cfg, args.height)
    return args


def solver_settings(parser, zedo_cfg, height):
    """The solver of ``--zedo-cfg`` (JSON) and ``--height``, checked
    before any work (a bad one ends as argparse errors do)."""
    import json

    from mmzedo.core import ZeDOInputError, ZeDOSolver
    from mmzedo.core.inputs import check_joint_indices
    from mmzedo.utils import NUM_JOINTS, height_to_bone_length
    cfg = {}
    if zedo_cfg is not None:
        try:
            cfg = json.loads(zedo_cfg)
        except json.JSONDecodeError as e:
            parser.error(f'--zedo-cfg is not JSON ({e}): {zedo_cfg!r}')
        if not isinstance(cfg, dict):
            parser.error(f'--zedo-cfg must be a JSON object, got {zedo_cfg!r}')
    try:
        solver = ZeDOSolver.build(cfg)
        check_joint_indices(solver.cfg, NUM_JOINTS)  # Human3.6M-17 here
        if height is not None:
            solver = solver.replace(scale=dict(
                bone_length=height_to_bone_length(height)))
    except (ZeDOInputError, ValueError) as e:
        parser.error(f'{"--height" if "height" in str(e) else "--zedo-cfg"}:'
                     f' {e}')
    return solver


def main(argv=None):
    args = parse_args(argv)
    import torch

    from mmzedo.apis.bvh_export import write_bvh
    from mmzedo.apis.pose2d_detectors import Detect2D, is_media, read_frames
    from mmzedo.apis.pose2d_inputs import (Pose2dInputError, TrackPeople,
                                           find_image, load_pose2d)
    from mmzedo.apis.pose3d_pictures import (build_visualizer,
                                             contact_sheet, draw_frame,
                                             image_rgb, write_gif)
    from mmzedo.apis.wild_lifting import (Lift, SetIntrinsics, ToH36M,
                                          load_camera_json,
                                          mmpose_predictions, parse_camera,
                                          people_records, predictions_dict,
                                          summary, tracks_3d,
                                          write_json_atomic)
    from mmzedo.core import ScorePrior
    from mmzedo.core.anchors import load_anchors
    from mmzedo.utils.safe_io import refuse_overwriting_inputs

    out_json = osp.join(args.out_dir, 'predictions.json')
    mmpose_json = osp.join(args.out_dir, 'predictions_mmpose.json')
    try:
        refuse_overwriting_inputs([out_json, mmpose_json], [args.input])
    except ValueError:
        raise SystemExit(f'{out_json} is the input; choose another '
                         '--out-dir')
    media = is_media(args.input)
    inside = osp.commonpath([osp.abspath(args.out_dir),
                             osp.abspath(args.input)])
    if osp.isdir(args.input) and inside == osp.abspath(args.input):
        raise SystemExit(f'--out-dir {args.out_dir} is inside the input '
                         f'folder {args.input}; choose one outside it')
    cameras = None
    if args.camera_json:
        cameras = load_camera_json(args.camera_json)
    elif args.focal:
        cameras = {None: parse_camera(
            dict(f=args.focal, c=args.center), '--focal/--center')}
    prior = ScorePrior.from_checkpoint(args.prior).to(args.device).eval()
    anchor_file = args.anchors or anchor_file_for(args.prior,
                                                  args.num_hypotheses)
    anchors = load_anchors(anchor_file)['anchors']
    if len(anchors) < args.num_hypotheses:
        raise SystemExit(f'{anchor_file} holds {len(anchors)} anchors, '
                         f'fewer than --num-hypotheses {args.num_hypotheses}')
    anchors = anchors[:args.num_hypotheses]
    progress = not args.no_progress
    # read -> 2D -> Human3.6M layout -> intrinsics -> tracks -> lift
    # (mmzedo.apis.wild_frames); each stage takes the frames and returns
    # them. Writing follows.
    try:
        if media:
            frames = Detect2D(args.pose2d, args.pose2d_weights, args.device,
                              progress, args.det_weights)(
                                  read_frames(args.input))
            missing = [s.img_path for s in frames.samples
                       if not len(s.pred_instances)]
            if missing:
                print(f'{len(missing)} of {len(frames.samples)} frames: no '
                      f'person found ({", ".join(missing[:5])}'
                      f'{", ..." if len(missing) > 5 else ""})')
        else:
            frames = load_pose2d(args.input, args.layout)
    except Pose2dInputError as e:
        raise SystemExit(str(e))
    layout_in = frames.layout
    if args.sequence is not None:
        frames.sequence = args.sequence
    with torch.no_grad():
        for stage in (ToH36M(args.min_joints, args.solver),
                      SetIntrinsics(prior, anchors, cameras, args.img_dir,
                                    args.image_size, args.solver,
                                    progress=progress),
                      TrackPeople(),
                      Lift(prior, anchors, args.solver, progress)):
            frames = stage(frames)
    meta = dict(input=osp.abspath(args.input), prior=args.prior,
                anchors=anchor_file, layout_in=layout_in,
                pose2d=frames.detector, height=args.height,
                zedo_cfg=args.solver.cfg)
    write_json_atomic(predictions_dict(frames, meta), out_json)
    write_json_atomic(mmpose_predictions(frames), mmpose_json)
    s = summary(frames)
    print(f'{s["people"]} people: {s["lifted"]} lifted ({s["valid"]} valid, '
          f'{s["invalid"]} flagged invalid), {s["skipped"]} skipped '
          '(too few joints).')
    for i, fr in enumerate(frames.samples):
        if fr.focal is not None and fr.intrinsics == 'estimated' and (
                not frames.sequence or i == 0):
            print(f'{fr.img_path}: estimated focal length '
                  f'{fr.focal[0]:.0f} px')
            if fr.focal_at_edge:
                print('  warning: at the edge of the focal search range '
                      '(the fit kept improving there, so the focal length '
                      'is uncertain); give --focal if you know it')
        for p in people_records(fr):
            if p['skipped']:
                print(f'{fr.img_path} person {p["index"]}: skipped: '
                      f'{p["skipped"]}')
    fps = args.fps or frames.fps or 10.
    if frames.sequence and not args.no_bvh:
        for track, poses in tracks_3d(frames).items():
            bvh = osp.join(args.out_dir, f'track_{track}.bvh')
            write_bvh(poses, bvh, fps=fps, overwrite=True)
            print(f'BVH ({len(poses)} frames, Y up, cm): {bvh}')
    if args.max_pictures:
        vis_dir = osp.join(args.out_dir, 'vis')
        os.makedirs(vis_dir, exist_ok=True)
        vis = build_visualizer()
        drawings = []
        drawn = [fr for fr in frames.samples
                 if fr.pred_instances.lifted.any()]
        step = max(1, len(drawn) // args.max_pictures)
        for fr in drawn[::step][:args.max_pictures]:
            name = osp.splitext(osp.basename(str(fr.img_path)))[0]
            img = frames.images.get(fr.img_path)
            if img is None:
                img = image_rgb(find_image(args.img_dir, fr.img_path))
            drawings.append(draw_frame(
                fr, img, osp.join(vis_dir, f'{name}.jpg'), vis))
        if frames.sequence and drawings:
            contact_sheet(drawings[:16],
                          osp.join(args.out_dir, 'contact_sheet.jpg'))
            write_gif(drawings, osp.join(args.out_dir, 'lifted.gif'),
                      fps / step)
        print(f'pictures: {vis_dir}')
    print(f'predictions: {out_json} (mmpose\'s 3D layout: {mmpose_json})')
    if args.strict and s['invalid']:
        raise SystemExit(f'{s["invalid"]} lifted poses are flagged invalid '
                         '(--strict).')
    return frames


if __name__ == '__main__':
    from mmzedo.utils.cli import run_cli
    run_cli(main)
