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
from .pose2d_inputs import find_image, image_stem, to_h36m

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
    from .wild_frames import image_size as size_of
    size = size_of(frame)
    if size is not None:
        return size
    path = find_image(img_dir, frame.img_path)
    if path is not None:
        from PIL import Image
        with Image.open(path) as im:
            return float(im.width), float(im.height)
    if image_size is not None:
        return tuple(float(v) for v in image_size)
    return None


class ToH36M:
    """The *Human3.6M layout* stage: every person's keypoints and
    confidences in Human3.6M-17 (:func:`to_h36m`, mmpose's conversion), and
    ``skipped``: why a person cannot be lifted (:func:`liftable`), or None.

    Args:
        min_joints (int): Fewest confident joints to lift a person.
        solver: The solver (as ``ZeDOSolver.build`` takes it), whose
            initial pose fit's joints must be seen.
    """

    def __init__(self, min_joints: int = MIN_JOINTS, solver=None):
        self.min_joints = min_joints
        self.solver = ZeDOSolver.build(solver)

    def __call__(self, frames):
        for frame in frames.samples:
            inst = frame.pred_instances
            if len(inst):
                inst.keypoints, inst.keypoint_scores = to_h36m(
                    inst.keypoints, inst.keypoint_scores, frames.layout)
            inst.skipped = liftable(inst.keypoint_scores, self.min_joints,
                                    self.solver)
        frames.layout = 'h36m'
        return frames


class SetIntrinsics:
    """The *intrinsics* stage: every frame's image size, focal length and
    principal point (``ori_shape``, ``focal``, ``principal_point``,
    ``intrinsics``): given (``cameras``), or estimated by the fit
    (:func:`estimate_focal`, principal point at the image centre), one per
    image, or one per video for sequences (from at most ``max_per_group``
    of its people). People whose 2D lies outside their image are an error
    naming them.

    Args:
        prior: A :class:`~mmzedo.core.ScorePrior`.
        anchors: Anchor poses [S, 17, 3].
        cameras (dict, optional): ``{image name or None: (f, c)}`` (``c``
            may be None: the image centre). None: estimate.
        img_dir (str, optional): Where the images are (for their size).
        image_size (tuple, optional): (width, height) when neither the
            input nor an image gives it.
        solver: The solver of the final lift (as ``ZeDOSolver.build``
            takes it).
        focal_search (dict, optional): Overrides of
            ``FOCAL_SEARCH_DEFAULTS``.
        progress (bool): Show a progress bar.
    """

    def __init__(self, prior, anchors, cameras: Optional[Dict] = None,
                 img_dir: Optional[str] = None,
                 image_size: Optional[Sequence[float]] = None, solver=None,
                 focal_search: Optional[dict] = None, progress: bool = True,
                 max_per_group: int = 64):
        self.prior, self.anchors, self.cameras = prior, anchors, cameras
        self.img_dir, self.image_size = img_dir, image_size
        self.solver = ZeDOSolver.build(solver)
        self.focal_search, self.progress = focal_search, progress
        self.max_per_group = max_per_group

    def __call__(self, frames):
        from .wild_frames import people_of, set_image_size
        if frames.sequence is None:
            frames.sequence = frames.is_video
        for frame in frames.samples:
            size = _image_size(frame, self.img_dir, self.image_size)
            set_image_size(frame, size)
            frame.set_metainfo(dict(
                focal=None, principal_point=None, focal_at_edge=False,
                intrinsics='estimated' if self.cameras is None else 'given'))
            if self.cameras is None:
                if size is None and any(
                        why is None for why in frame.pred_instances.skipped):
                    raise ZeDOInputError(
                        f'{frame.img_path}: unknown image size, so the '
                        'intrinsics cannot be estimated: give --img-dir, '
                        '--image-size, or --focal/--center or '
                        '--camera-json.')
                continue
            f, c = self._given(frame, size)
            frame.set_metainfo(dict(focal=list(map(float, f)),
                                    principal_point=list(map(float, c))))
        people = people_of(frames)
        for fi, k in people:
            fr = frames.samples[fi]
            if fr.ori_shape is not None and fr.principal_point is not None:
                inst = fr.pred_instances
                check_in_image(inst.keypoints[k], inst.keypoint_scores[k],
                               np.asarray(fr.principal_point),
                               _image_size(fr, None, None),
                               f'{fr.img_path} person {k}')
        if self.cameras is None and people:
            self._estimate(frames, people)
        return frames

    def _given(self, frame, size):
        cameras, name = self.cameras, frame.img_path
        cam = cameras.get(name, cameras.get(None))
        if cam is None:
            stem = image_stem(str(name))
            cam = next((v for k, v in cameras.items()
                        if k and image_stem(k) == stem), None)
        if cam is None:
            raise ZeDOInputError(f'No camera for image {name} in '
                                 'the camera JSON.')
        f, c = cam
        if c is None:
            if size is None:
                raise ZeDOInputError(
                    f'{name}: no principal point and unknown '
                    'image size: give --center, --img-dir or --image-size.')
            c = np.array(size) / 2
        return f, c

    def _estimate(self, frames, people):
        """One focal length per image (per video for sequences), chosen by
        :func:`estimate_focal` on (at most ``max_per_group`` of) its
        people."""
        from .wild_frames import image_size
        samples = frames.samples
        if frames.sequence:
            step = max(1, len(people) // self.max_per_group)
            chosen = people[::step][:self.max_per_group]
            groups = np.zeros(len(chosen), dtype=np.int64)
        else:
            chosen = people
            groups = np.array([fi for fi, _ in chosen])
        kp, sc = _gather(frames, chosen)
        size = np.array([image_size(samples[fi]) for fi, _ in chosen])
        num = dict(FOCAL_SEARCH_DEFAULTS,
                   **(self.focal_search or {}))['focal_num']
        bar = _bar(num, self.progress)
        out = estimate_focal(
            self.prior, kp, sc, size, self.anchors, groups=groups,
            search=self.focal_search,
            progress=(lambda k: bar.update()) if bar else None,  # noqa
            solver=self.solver, lift=False)  # the Lift stage lifts them
        f, c = out['f'].cpu().numpy(), out['c'].cpu().numpy()
        edge = out['focal_at_edge'].cpu().numpy()
        by_frame = {fi: (f[n], c[n], edge[n])
                    for n, (fi, _) in enumerate(chosen)}
        for fi, frame in enumerate(samples):
            size = image_size(frame)
            if frames.sequence and size is not None:
                ff, cc, at_edge = f[0], np.array(size) / 2, edge[0]
            elif fi in by_frame:
                ff, cc, at_edge = by_frame[fi]
            else:
                continue
            frame.set_metainfo(dict(focal=list(map(float, ff)),
                                    principal_point=list(map(float, cc)),
                                    focal_at_edge=bool(at_edge)))


class Lift:
    """The *lift* stage: every person not ``skipped`` lifted with the
    frame's intrinsics by the ZeDO solver, in one batch; in a sequence,
    each track's runs of consecutive frames warm-started
    (:func:`zedo_lift_sequence`) in segments of at most ``segment``
    frames, segments of equal length lifted as one batch (each starts with
    a full lift), which keeps the sequential part short. Adds the fields
    of :data:`~mmzedo.apis.wild_frames.LIFT_FIELDS` to ``pred_instances``.

    Args:
        prior: A :class:`~mmzedo.core.ScorePrior`.
        anchors: Anchor poses [S, 17, 3].
        solver: As ``ZeDOSolver.build`` takes it; its settings reach every
            frame.
        progress (bool): Show a progress bar.
        segment (int): Longest warm-started segment.
    """

    def __init__(self, prior, anchors, solver=None, progress: bool = True,
                 segment: int = SEGMENT_FRAMES):
        self.prior, self.anchors = prior, anchors
        self.solver = ZeDOSolver.build(solver)
        self.progress, self.segment = progress, segment

    def __call__(self, frames):
        from .wild_frames import LIFT_FIELDS, people_of
        for frame in frames.samples:
            inst = frame.pred_instances
            n = len(inst)
            inst.lifted = np.zeros(n, dtype=bool)
            for key, (shape, empty) in LIFT_FIELDS.items():
                setattr(inst, key, np.full((n, *shape), empty,
                                           dtype=type(empty)))
        people = people_of(frames)
        if not people:
            return frames
        bar = _bar(len(people), self.progress)
        if frames.sequence:
            self._lift_tracks(frames, people, bar)
        else:
            kp, sc = _gather(frames, people)
            f, c = _intrinsics(frames, people)
            out = self.solver.lift(self.prior, kp, sc, f, c, self.anchors)
            _scatter(frames, people,
                     {k: v.cpu().numpy() for k, v in out.items()})
            if bar is not None:
                bar.update(len(people))
        return frames

    def _lift_tracks(self, frames, people, bar):
        tracks = {}
        for fi, k in people:
            track = frames.samples[fi].pred_instances.track_ids[k]
            tracks.setdefault(int(track), []).append((fi, k))
        pieces, segment = [], self.segment
        for items in tracks.values():
            run = [items[0]]
            for a in items[1:] + [None]:
                if a is not None and a[0] == run[-1][0] + 1:
                    run.append(a)
                    continue
                pieces += [run[i:i + segment]
                           for i in range(0, len(run), segment)]
                run = [a]
        by_length = {}
        for piece in pieces:
            by_length.setdefault(len(piece), []).append(piece)
        for group in by_length.values():
            data = [_gather(frames, piece) for piece in group]
            kp = np.stack([d[0] for d in data])
            sc = np.stack([d[1] for d in data])
            # one camera per segment: its first frame's
            f, c = _intrinsics(frames, [piece[0] for piece in group])
            out = zedo_lift_sequence(self.prior, kp, sc, f, c, self.anchors,
                                     solver=self.solver)
            out = {k: v.cpu().numpy() for k, v in out.items()}
            for n, piece in enumerate(group):
                _scatter(frames, piece, {k: v[n] for k, v in out.items()})
                if bar is not None:
                    bar.update(len(piece))


def lift_pose2d(data,
                prior,
                anchors: np.ndarray,
                cameras: Optional[Dict] = None,
                img_dir: Optional[str] = None,
                image_size: Optional[Sequence[float]] = None,
                min_joints: int = MIN_JOINTS,
                sequence: Optional[bool] = None,
                zedo_cfg: Optional[dict] = None,
                focal_search: Optional[dict] = None,
                progress: bool = True):
    """Lift every person of the read 2D (the pipeline's middle stages:
    :class:`ToH36M`, :class:`SetIntrinsics`,
    :class:`~mmzedo.apis.pose2d_inputs.TrackPeople`, :class:`Lift`).

    Args:
        data (WildFrames): What :func:`~mmzedo.apis.pose2d_inputs.
            load_pose2d` or :func:`~mmzedo.apis.pose2d_detectors.
            detect_pose2d` read.
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
        WildFrames: ``data``, its people lifted (see
        :mod:`mmzedo.apis.wild_frames`); :func:`summary` counts them and
        :func:`predictions_dict` gives the JSON form.
    """
    from .pose2d_inputs import TrackPeople
    solver = ZeDOSolver.build(zedo_cfg)
    data.sequence = data.is_video if sequence is None else sequence
    stages = [
        ToH36M(min_joints, solver),
        SetIntrinsics(prior, anchors, cameras, img_dir, image_size, solver,
                      focal_search, progress),
        TrackPeople(),
        Lift(prior, anchors, solver, progress),
    ]
    for stage in stages:
        data = stage(data)
    return data


def _bar(total, progress):
    if not progress:
        return None
    from mmengine.utils import ProgressBar
    return ProgressBar(total)


def _gather(frames, people):
    """2D keypoints [N, 17, 2] and confidences [N, 17] of ``people``
    ((frame index, person index) pairs)."""
    samples = frames.samples
    kp = np.stack([samples[fi].pred_instances.keypoints[k]
                   for fi, k in people])
    sc = np.stack([samples[fi].pred_instances.keypoint_scores[k]
                   for fi, k in people])
    return kp, sc


def _intrinsics(frames, people):
    """Focal lengths and principal points [N, 2] of ``people``'s frames."""
    samples = frames.samples
    return (np.array([samples[fi].focal for fi, _ in people]),
            np.array([samples[fi].principal_point for fi, _ in people]))


def _scatter(frames, people, out):
    for n, (fi, k) in enumerate(people):
        inst = frames.samples[fi].pred_instances
        inst.lifted[k] = True
        inst.keypoints_3d[k] = out['pose'][n] + out['translation'][n]
        inst.translation[k] = out['translation'][n]
        for key in ('valid', 'reprojection_rel', 'bone_ratio'):
            getattr(inst, key)[k] = out[key][n]
        if 'restarted' in out:  # lifted in full after a suspected switch
            inst.restarted[k] = out['restarted'][n]


def summary(frames) -> dict:
    """Counts of the people: ``people``, ``lifted``, ``skipped``,
    ``valid``, ``invalid`` (lifted and flagged invalid)."""
    skipped = [why for s in frames.samples
               for why in s.pred_instances.get('skipped', [])]
    lifted = sum(int(s.pred_instances.lifted.sum()) for s in frames.samples
                 if 'lifted' in s.pred_instances)
    valid = sum(int(s.pred_instances.valid.sum()) for s in frames.samples
                if 'valid' in s.pred_instances)
    return dict(people=len(skipped), lifted=lifted,
                skipped=sum(why is not None for why in skipped), valid=valid,
                invalid=lifted - valid)


def _jsonable(v):
    if isinstance(v, np.ndarray):
        return np.round(v, 5).tolist()
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    if isinstance(v, torch.Tensor):
        return _jsonable(v.cpu().numpy())
    return v


def people_records(frame, sequence: bool = False) -> List[dict]:
    """A frame's people as dicts: ``index``, ``track_id`` (None outside
    videos), ``keypoints_2d``, ``keypoint_scores`` (Human3.6M-17),
    ``valid``, ``skipped``; the lifted also ``keypoints_3d``,
    ``translation``, ``reprojection_rel``, ``bone_ratio`` and, in videos,
    ``restarted``."""
    inst = frame.pred_instances
    out = []
    for k in range(len(inst)):
        track = int(inst.track_ids[k])
        rec = dict(index=k, track_id=None if track < 0 else track,
                   keypoints_2d=inst.keypoints[k],
                   keypoint_scores=inst.keypoint_scores[k],
                   valid=bool(inst.valid[k]) if 'valid' in inst else False,
                   skipped=inst.skipped[k])
        if 'lifted' in inst and inst.lifted[k]:
            rec.update(keypoints_3d=inst.keypoints_3d[k],
                       translation=inst.translation[k],
                       reprojection_rel=float(inst.reprojection_rel[k]),
                       bone_ratio=float(inst.bone_ratio[k]))
            if sequence:
                rec['restarted'] = bool(inst.restarted[k])
        out.append(rec)
    return out


def predictions_dict(frames, meta: Optional[dict] = None) -> dict:
    """The *write* stage's ``predictions.json``: the JSON-ready form of
    :func:`lift_pose2d`'s result."""
    from .wild_frames import image_size
    images = []
    for fr in frames.samples:
        people = [{k: _jsonable(v) for k, v in p.items()}
                  for p in people_records(fr, frames.sequence)]
        size = image_size(fr) or (None, None)
        images.append(dict(
            image=fr.img_path, frame_id=fr.frame_id,
            width=None if size[0] is None else int(size[0]),
            height=None if size[1] is None else int(size[1]),
            focal_length=fr.focal, focal_at_search_edge=fr.focal_at_edge,
            principal_point=fr.principal_point, intrinsics=fr.intrinsics,
            people=people))
    return dict(
        meta=dict(meta or {}, keypoint_layout='h36m-17', units='m',
                  frame='camera (x right, y down, z forward); keypoints_3d '
                  'include the translation'),
        summary=summary(frames), sequence=bool(frames.sequence),
        images=images)


#: How :func:`mmpose_predictions` states its coordinates in every frame.
MMPOSE_FRAME = dict(
    coordinate_frame='camera (x right, y down, z forward), translation '
    'included', units='m', keypoint_layout='h36m-17')


def mmpose_predictions(frames) -> list:
    """The *write* stage's ``predictions_mmpose.json``: :func:`lift_pose2d`'s
    result in mmpose's 3D prediction layout (what
    ``MMPoseInferencer(pose3d=...)`` writes with ``pred_out_dir`` for a
    video): ``[dict(frame_id, instances=[dict(keypoints [17][3],
    keypoint_scores [17], track_id, valid), ...]), ...]``, one entry per
    frame, the instances built by mmpose's ``split_instances``. Each frame
    also states its ``coordinate_frame``, ``units`` and ``keypoint_layout``
    (:data:`MMPOSE_FRAME`); people that were skipped are left out."""
    from mmengine.structures import InstanceData
    from mmpose.structures import split_instances
    out = []
    for fr in frames.samples:
        inst = fr.pred_instances
        lifted = np.flatnonzero(inst.lifted) if 'lifted' in inst else []
        instances = []
        if len(lifted):
            instances = split_instances(InstanceData(
                keypoints=inst.keypoints_3d[lifted],
                keypoint_scores=inst.keypoint_scores[lifted]))
            for row, k in zip(instances, lifted):
                track = int(inst.track_ids[k])
                row.update(track_id=None if track < 0 else track,
                           valid=bool(inst.valid[k]))
        out.append(dict(frame_id=fr.frame_id, image=fr.img_path,
                        instances=instances, **MMPOSE_FRAME))
    return out


def tracks_3d(frames) -> Dict[int, np.ndarray]:
    """Each track's lifted camera-frame poses [L, 17, 3], frame by frame
    (the frames where it was lifted), for the BVH files."""
    tracks = {}
    for fr in frames.samples:
        inst = fr.pred_instances
        if 'lifted' not in inst:
            continue
        for k in np.flatnonzero(inst.lifted):
            if inst.track_ids[k] >= 0:
                tracks.setdefault(int(inst.track_ids[k]), []).append(
                    inst.keypoints_3d[k])
    return {k: np.stack(v) for k, v in tracks.items()}


def write_json_atomic(obj, path: str) -> None:
    """Write JSON through a temporary file in the same directory, then
    rename (no partial file is ever left at ``path``)."""
    with atomic_path(path) as tmp:
        with open(tmp, 'w') as fh:
            json.dump(obj, fh, indent=1)
