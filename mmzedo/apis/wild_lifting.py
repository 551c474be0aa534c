# Copyright (c) mmzedo contributors. All rights reserved.
"""Lift 2D poses from the wild (:mod:`mmzedo.apis.pose2d_inputs`) to 3D with
ZeDO: given or estimated intrinsics, single images or tracked video with a
warm start, a validity flag on every person, ``predictions.json`` and
pictures drawn with mmpose's ``Pose3dLocalVisualizer``."""
import json
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from mmzedo.core import ZeDOInputError, ZeDOSolver
from mmzedo.core.inputs import check_in_image
from mmzedo.core.focal_search import FOCAL_SEARCH_DEFAULTS, estimate_focal
from mmzedo.core.sequence import zedo_lift_sequence
from mmzedo.utils.safe_io import atomic_path
from .pose2d_inputs import find_image, image_stem, to_h36m, track_people

#: People need this many confident Human3.6M joints, including the joints
#: the initial pose fit aligns (the ZeDO setting ``init_joints``: pelvis
#: and both hips by default), to be lifted. (The validity flag asks for
#: ``valid_min_joints`` of a lifted pose; this asks more before lifting.)
MIN_JOINTS = 8
#: Tracks are warm-started in segments of at most this many frames, all
#: segments at once (tools/analysis/in_the_wild_benchmark.py measures 16).
SEGMENT_FRAMES = 16


def _numbers(value, where: str, what: str) -> np.ndarray:
    """``value`` as a flat float array, or an error naming ``what``."""
    try:
        return np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ZeDOInputError(f'{where}: {what} must be numbers (pixels), got '
                             f'{value!r}.') from None


def parse_camera(cam: dict, where: str):
    """``f`` [2] and ``c`` [2] (pixels) of a camera dict (``f``: one or two
    focal lengths; ``c``: the principal point); errors name ``where``."""
    if not isinstance(cam, dict) or 'f' not in cam:
        raise ZeDOInputError(f'{where}: a camera needs "f" (pixels) and '
                             'optionally "c".')
    f = _numbers(cam['f'], where, 'focal length "f"')
    if f.size == 1:
        f = np.repeat(f, 2)
    if f.size != 2 or not np.isfinite(f).all() or (f <= 0).any():
        raise ZeDOInputError(f'{where}: focal length must be one or two '
                             f'positive numbers (pixels), got {cam["f"]}.')
    c = cam.get('c')
    if c is not None:
        c = _numbers(c, where, 'principal point "c"')
        if c.size != 2 or not np.isfinite(c).all():
            raise ZeDOInputError(f'{where}: principal point "c" must be two '
                                 f'numbers (pixels), got {cam["c"]}.')
    return f, c


def load_camera_json(path: str) -> Dict:
    """Cameras from a JSON file: one camera ``{"f": .., "c": ..}`` for every
    image, or ``{image name: camera}``. Returns ``{name or None: (f, c)}``."""
    try:
        with open(path) as fh:
            data = json.load(fh)
    except (OSError, ValueError) as e:
        raise ZeDOInputError(f'{path}: cannot read the camera JSON ({e}).')
    if isinstance(data, dict) and 'f' in data:
        return {None: parse_camera(data, path)}
    if not isinstance(data, dict) or not data:
        raise ZeDOInputError(f'{path}: expected a camera {{"f", "c"}} or '
                             '{image name: camera}.')
    return {k: parse_camera(v, f'{path}: "{k}"') for k, v in data.items()}


def liftable(scores: np.ndarray, min_joints: int = MIN_JOINTS,
             solver=None) -> List:
    """Why each person [N, 17] cannot be lifted (None if it can): too few
    confident joints, or one of the initial pose fit's joints (``init.joints``
    of the ``solver``, as ``ZeDOSolver.build`` takes it) unseen."""
    from mmzedo.core import ZeDOSolver
    from mmzedo.core.inputs import check_joint_indices
    from mmzedo.utils.skeleton import JOINT_NAMES
    solver = ZeDOSolver.build(solver)
    check_joint_indices(solver.cfg, len(JOINT_NAMES))
    required = solver.cfg['init']['joints']
    out = []
    for s in scores:
        n = int((s > 0).sum())
        missing = [JOINT_NAMES[j] for j in required if s[j] <= 0]
        if n < min_joints:
            out.append(f'only {n} of 17 joints have confidence > 0 '
                       f'(need {min_joints})')
        elif missing:
            names = ', '.join(JOINT_NAMES[j] for j in required)
            out.append(f'{", ".join(missing)} unseen: the initial pose fit '
                       f'aligns {names}')
        else:
            out.append(None)
    return out


def _image_size(frame, img_dir, image_size):
    if frame.get('width') and frame.get('height'):
        return float(frame['width']), float(frame['height'])
    path = find_image(img_dir, frame['image'])
    if path is not None:
        from PIL import Image
        with Image.open(path) as im:
            return float(im.width), float(im.height)
    if image_size is not None:
        return tuple(float(v) for v in image_size)
    return None


def lift_pose2d(data: dict,
                prior,
                anchors: np.ndarray,
                cameras: Optional[Dict] = None,
                img_dir: Optional[str] = None,
                image_size: Optional[Sequence[float]] = None,
                min_joints: int = MIN_JOINTS,
                sequence: Optional[bool] = None,
                zedo_cfg: Optional[dict] = None,
                focal_search: Optional[dict] = None,
                progress: bool = True) -> dict:
    """Lift every person of :func:`load_pose2d`'s ``data``.

    Args:
        data: Output of :func:`~mmzedo.apis.pose2d_inputs.load_pose2d`.
        prior: A :class:`~mmzedo.core.ScorePrior`.
        anchors: Anchor poses [S, 17, 3].
        cameras: ``{image name or None: (f, c)}`` (``c`` may be None: the
            image centre). None: estimate the focal length per image (per
            video for sequences) with :func:`estimate_focal`.
        img_dir: Where the images are (for their size and pictures).
        image_size: (width, height) when neither the input nor an image
            gives it.
        min_joints: Fewest confident joints to lift a person.
        sequence: Lift tracked people with a warm start
            (:func:`zedo_lift_sequence`). Defaults to the input's kind.
        zedo_cfg: The solver's settings (as ``ZeDOSolver.build`` takes them:
            nested overrides of :data:`~mmzedo.core.ZEDO_DEFAULTS`, a
            preset's name, or a solver); they reach every frame.
        focal_search: Overrides of ``FOCAL_SEARCH_DEFAULTS``.
        progress: Show a progress bar.

    Returns:
        dict: ``frames`` (per frame: ``image``, ``frame_id``, ``width``,
        ``height``, ``focal``, ``center``, ``intrinsics`` ('given' or
        'estimated'), ``people``) and ``summary`` counts.
    """
    frames = data['frames']
    sequence = data['is_video'] if sequence is None else sequence
    solver = ZeDOSolver.build(zedo_cfg)
    people = []  # (frame index, instance index, kpts, scores)
    for fi, frame in enumerate(frames):
        frame['people'] = []
        if not frame['instances']:
            continue
        kpts = np.stack([p['keypoints'] for p in frame['instances']])
        scores = np.stack([p['scores'] for p in frame['instances']])
        kpts, scores = to_h36m(kpts, scores, data['layout'])
        reasons = liftable(scores, min_joints, solver)
        for k, (inst, kp, sc, why) in enumerate(
                zip(frame['instances'], kpts, scores, reasons)):
            rec = dict(index=k, track_id=inst.get('track_id'),
                       keypoints_2d=kp, keypoint_scores=sc, valid=False,
                       skipped=why)
            frame['people'].append(rec)
            if why is None:
                people.append((fi, k))
    _set_intrinsics(frames, cameras, img_dir, image_size)
    for fi, k in people:
        fr = frames[fi]
        if fr['width'] and fr['center'] is not None:
            rec = fr['people'][k]
            check_in_image(rec['keypoints_2d'], rec['keypoint_scores'],
                           np.asarray(fr['center']),
                           (fr['width'], fr['height']),
                           f'{fr["image"]} person {k}')
    if not people:
        return _summary(frames, sequence)
    if sequence:
        track_people(frames)
        for frame in frames:
            for rec, inst in zip(frame['people'], frame['instances']):
                rec['track_id'] = inst['track_id']
    if cameras is None:
        _estimate_focals(frames, people, prior, anchors, sequence, solver,
                         focal_search, progress)
    bar = _bar(len(people), progress)
    if sequence:
        _lift_tracks(frames, people, prior, anchors, solver, bar)
    else:
        kp, sc = _gather(frames, people)
        f, c = _intrinsics(frames, people)
        out = solver.lift(prior, kp, sc, f, c, anchors)
        _scatter(frames, people, {k: v.cpu().numpy() for k, v in out.items()})
        if bar is not None:
            bar.update(len(people))
    return _summary(frames, sequence)


def _bar(total, progress):
    if not progress:
        return None
    from mmengine.utils import ProgressBar
    return ProgressBar(total)


def _set_intrinsics(frames, cameras, img_dir, image_size):
    for frame in frames:
        size = _image_size(frame, img_dir, image_size)
        frame['width'], frame['height'] = size if size else (None, None)
        frame['focal'] = frame['center'] = None
        if cameras is None:
            frame['intrinsics'] = 'estimated'
            if size is None and any(p['skipped'] is None
                                    for p in frame['people']):
                raise ZeDOInputError(
                    f'{frame["image"]}: unknown image size, so the '
                    'intrinsics cannot be estimated: give --img-dir, '
                    '--image-size, or --focal/--center or --camera-json.')
            continue
        frame['intrinsics'] = 'given'
        cam = cameras.get(frame['image'], cameras.get(None))
        if cam is None:
            stem = image_stem(str(frame['image']))
            cam = next((v for k, v in cameras.items()
                        if k and image_stem(k) == stem), None)
        if cam is None:
            raise ZeDOInputError(f'No camera for image {frame["image"]} in '
                                 'the camera JSON.')
        f, c = cam
        if c is None:
            if size is None:
                raise ZeDOInputError(
                    f'{frame["image"]}: no principal point and unknown '
                    'image size: give --center, --img-dir or --image-size.')
            c = np.array(size) / 2
        frame['focal'], frame['center'] = list(map(float, f)), list(
            map(float, c))


def _gather(frames, people):
    """2D keypoints [N, 17, 2] and confidences [N, 17] of ``people``
    ((frame index, person index) pairs)."""
    kp = np.stack([frames[fi]['people'][k]['keypoints_2d']
                   for fi, k in people])
    sc = np.stack([frames[fi]['people'][k]['keypoint_scores']
                   for fi, k in people])
    return kp, sc


def _intrinsics(frames, people):
    """Focal lengths and principal points [N, 2] of ``people``'s frames."""
    return (np.array([frames[fi]['focal'] for fi, _ in people]),
            np.array([frames[fi]['center'] for fi, _ in people]))


def _scatter(frames, people, out):
    for n, (fi, k) in enumerate(people):
        rec = frames[fi]['people'][k]
        rec.update(
            keypoints_3d=out['pose'][n] + out['translation'][n],
            translation=out['translation'][n],
            valid=bool(out['valid'][n]),
            reprojection_rel=float(out['reprojection_rel'][n]),
            bone_ratio=float(out['bone_ratio'][n]))
        if 'restarted' in out:  # lifted in full after a suspected switch
            rec['restarted'] = bool(out['restarted'][n])


def _estimate_focals(frames, people, prior, anchors, sequence, solver,
                     focal_search, progress, max_per_group=64):
    """One focal length per image (per video for sequences), chosen by
    :func:`estimate_focal` on (at most ``max_per_group`` of) its people."""
    if sequence:
        step = max(1, len(people) // max_per_group)
        chosen = people[::step][:max_per_group]
        groups = np.zeros(len(chosen), dtype=np.int64)
    else:
        chosen = people
        groups = np.array([fi for fi, _ in chosen])
    kp, sc = _gather(frames, chosen)
    size = np.array([[frames[fi]['width'], frames[fi]['height']]
                     for fi, _ in chosen])
    num = dict(FOCAL_SEARCH_DEFAULTS, **(focal_search or {}))['focal_num']
    bar = _bar(num, progress)
    out = estimate_focal(
        prior, kp, sc, size, anchors, groups=groups, search=focal_search,
        progress=(lambda k: bar.update()) if bar else None,  # noqa: E731
        solver=solver)
    f, c = out['f'].cpu().numpy(), out['c'].cpu().numpy()
    edge = out['focal_at_edge'].cpu().numpy()
    by_frame = {fi: (f[n], c[n], edge[n])
                for n, (fi, _) in enumerate(chosen)}
    for fi, frame in enumerate(frames):
        if sequence and frame['width']:
            centre = np.array([frame['width'], frame['height']]) / 2
            ff, cc, at_edge = f[0], centre, edge[0]
        elif fi in by_frame:
            ff, cc, at_edge = by_frame[fi]
        else:
            continue
        frame['focal'], frame['center'] = list(map(float, ff)), list(
            map(float, cc))
        frame['focal_at_edge'] = bool(at_edge)


def _lift_tracks(frames, people, prior, anchors, solver, bar,
                 segment=SEGMENT_FRAMES):
    """Warm-started lifting of each track's runs of consecutive liftable
    frames, cut into segments of at most ``segment`` frames: segments of
    equal length are lifted as one batch (each starts with a full lift),
    which keeps the sequential part short."""
    tracks = {}
    for fi, k in people:
        tracks.setdefault(frames[fi]['people'][k]['track_id'], []).append(
            (fi, k))
    pieces = []
    for items in tracks.values():
        run = [items[0]]
        for a in items[1:] + [None]:
            if a is not None and a[0] == run[-1][0] + 1:
                run.append(a)
                continue
            pieces += [run[i:i + segment] for i in range(0, len(run),
                                                         segment)]
            run = [a]
    by_length = {}
    for piece in pieces:
        by_length.setdefault(len(piece), []).append(piece)
    for group in by_length.values():
        data = [_gather(frames, piece) for piece in group]
        kp, sc = np.stack([d[0] for d in data]), np.stack([d[1] for d in data])
        # one camera per segment: its first frame's
        f, c = _intrinsics(frames, [piece[0] for piece in group])
        out = zedo_lift_sequence(prior, kp, sc, f, c, anchors, solver=solver)
        out = {k: v.cpu().numpy() for k, v in out.items()}
        for n, piece in enumerate(group):
            _scatter(frames, piece, {k: v[n] for k, v in out.items()})
            if bar is not None:
                bar.update(len(piece))


def _summary(frames, sequence):
    recs = [p for fr in frames for p in fr['people']]
    return dict(
        frames=frames,
        sequence=bool(sequence),
        summary=dict(
            people=len(recs),
            lifted=sum(p['skipped'] is None for p in recs),
            skipped=sum(p['skipped'] is not None for p in recs),
            valid=sum(bool(p['valid']) for p in recs),
            invalid=sum(p['skipped'] is None and not p['valid']
                        for p in recs)))


def _jsonable(v):
    if isinstance(v, np.ndarray):
        return np.round(v, 5).tolist()
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    if isinstance(v, torch.Tensor):
        return _jsonable(v.cpu().numpy())
    return v


def predictions_dict(result: dict, meta: Optional[dict] = None) -> dict:
    """The JSON-ready form of :func:`lift_pose2d`'s result."""
    images = []
    for fr in result['frames']:
        people = []
        for p in fr['people']:
            people.append({k: _jsonable(v) for k, v in p.items()})
        images.append(dict(
            image=fr['image'], frame_id=fr['frame_id'], width=fr['width'],
            height=fr['height'], focal_length=fr['focal'],
            focal_at_search_edge=fr.get('focal_at_edge', False),
            principal_point=fr['center'], intrinsics=fr['intrinsics'],
            people=people))
    return dict(
        meta=dict(meta or {}, keypoint_layout='h36m-17', units='m',
                  frame='camera (x right, y down, z forward); keypoints_3d '
                  'include the translation'),
        summary=result['summary'], sequence=result['sequence'],
        images=images)


#: How :func:`mmpose_predictions` states its coordinates in every frame.
MMPOSE_FRAME = dict(
    coordinate_frame='camera (x right, y down, z forward), translation '
    'included', units='m', keypoint_layout='h36m-17')


def mmpose_predictions(result: dict) -> list:
    """:func:`lift_pose2d`'s result in mmpose's 3D prediction layout (what
    ``MMPoseInferencer(pose3d=...)`` writes with ``pred_out_dir`` for a
    video): ``[dict(frame_id, instances=[dict(keypoints [17][3],
    keypoint_scores [17], track_id, valid), ...]), ...]``, one entry per
    frame, the instances built by mmpose's ``split_instances``. Each frame
    also states its ``coordinate_frame``, ``units`` and ``keypoint_layout``
    (:data:`MMPOSE_FRAME`); people that were skipped are left out."""
    from mmengine.structures import InstanceData
    from mmpose.structures import split_instances
    out = []
    for fr in result['frames']:
        lifted = [p for p in fr['people'] if 'keypoints_3d' in p]
        instances = []
        if lifted:
            data = InstanceData(
                keypoints=np.stack([np.asarray(p['keypoints_3d'], np.float64)
                                    for p in lifted]),
                keypoint_scores=np.stack([np.asarray(p['keypoint_scores'],
                                                     np.float64)
                                          for p in lifted]))
            instances = split_instances(data)
            for inst, p in zip(instances, lifted):
                inst.update(track_id=p.get('track_id'),
                            valid=bool(p['valid']))
        out.append(dict(frame_id=fr['frame_id'], image=fr['image'],
                        instances=instances, **MMPOSE_FRAME))
    return out


def write_json_atomic(obj, path: str) -> None:
    """Write JSON through a temporary file in the same directory, then
    rename (no partial file is ever left at ``path``)."""
    with atomic_path(path) as tmp:
        with open(tmp, 'w') as fh:
            json.dump(obj, fh, indent=1)
