# Copyright (c) mmzedo contributors. All rights reserved.
"""2D poses from the wild: mmpose inferencer predictions and COCO keypoint
files, in the Human3.6M-17 layout that ZeDO lifts.

Read formats (:func:`load_pose2d`):

- a COCO keypoint annotation file (``images``, ``annotations`` with
  ``keypoints`` as ``[x, y, v]`` per joint, ``categories`` naming the 17
  keypoints: COCO's or Human3.6M's);
- the prediction files that mmpose's inferencer writes with
  ``--pred-out-dir``: per image, a JSON list of people with ``keypoints``
  and ``keypoint_scores`` (and ``bbox``); per video, a list of
  ``{frame_id, instances}``; or a directory of such files.

COCO-17 keypoints become Human3.6M-17 with mmpose's own conversion
(:func:`mmpose.apis.convert_keypoint_definition`, the one its 3D lifter demo
uses); a joint made from a missing one gets confidence 0.
"""
import json
import os
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np

#: COCO-17 keypoint names (categories[0]['keypoints'] of COCO files).
COCO_NAMES = ('nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear',
              'left_shoulder', 'right_shoulder', 'left_elbow',
              'right_elbow', 'left_wrist', 'right_wrist', 'left_hip',
              'right_hip', 'left_knee', 'right_knee', 'left_ankle',
              'right_ankle')
LAYOUTS = ('coco', 'h36m')
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')


class Pose2dInputError(ValueError):
    """Raised for 2D input files that cannot be read; names the file."""


def _layout_of_names(names: Sequence[str], path: str) -> str:
    names = [str(n).lower() for n in names]
    if len(names) != 17:
        raise Pose2dInputError(
            f'{path}: the keypoint category has {len(names)} keypoints; '
            'mmzedo reads COCO-17 or Human3.6M-17.')
    if tuple(names) == COCO_NAMES:
        return 'coco'
    if 'pelvis' in names[0] or 'root' in names[0]:
        return 'h36m'
    raise Pose2dInputError(
        f'{path}: unknown 17-keypoint layout starting {names[:3]}; give '
        '--layout coco or h36m.')


def _frame(image, width=None, height=None, frame_id=None):
    """A frame being read: its people are gathered in ``instances`` and
    become ``pred_instances`` in :func:`_samples`."""
    return dict(image=image, width=width, height=height, frame_id=frame_id,
                instances=[])


def _samples(frames: List[dict]) -> list:
    """The frames being read as ``PoseDataSample``s."""
    from .wild_frames import frame_sample
    return [frame_sample(f['image'], f['width'], f['height'], f['frame_id'],
                         f['instances']) for f in frames]


def _instance(path, where, keypoints, scores, bbox=None, track_id=None):
    kpts = np.asarray(keypoints, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    if (kpts.ndim != 2 or kpts.shape[1] != 2
            or scores.shape != kpts[:, 0].shape):
        raise Pose2dInputError(
            f'{path}: {where}: keypoints must be [K, 2] with K scores, got '
            f'{list(kpts.shape)} and {list(scores.shape)}.')
    if kpts.shape[0] != 17:
        raise Pose2dInputError(
            f'{path}: {where} has {kpts.shape[0]} keypoints; mmzedo reads '
            '17 (COCO or Human3.6M layout).')
    bad = ~(np.isfinite(kpts).all(1) & np.isfinite(scores))
    scores = np.where(bad, 0., np.clip(scores, 0., None))
    kpts = np.where(bad[:, None], 0., kpts)
    if bbox is not None:
        bbox = np.asarray(bbox, dtype=np.float64).reshape(-1)[:4]
    return dict(keypoints=kpts, scores=scores, bbox=bbox, track_id=track_id)


def _read_json(path: str):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise Pose2dInputError(f'{path}: no such file.')
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise Pose2dInputError(f'{path}: not a JSON file ({e}).')


def _coco_frames(data: dict, path: str, layout: Optional[str]):
    cats = [c for c in data.get('categories', []) if 'keypoints' in c]
    if layout is None:
        if not cats:
            raise Pose2dInputError(
                f'{path}: no keypoint category; give --layout.')
        layout = _layout_of_names(cats[0]['keypoints'], path)
    frames = {}
    for img in data.get('images', []):
        frames[img['id']] = _frame(img.get('file_name'), img.get('width'),
                                   img.get('height'))
    for k, ann in enumerate(data['annotations']):
        if ann.get('iscrowd', 0) or 'keypoints' not in ann:
            continue
        frame = frames.get(ann.get('image_id'))
        if frame is None:
            raise Pose2dInputError(
                f'{path}: annotation {k} refers to image_id '
                f'{ann.get("image_id")}, which "images" does not list.')
        kv = np.asarray(ann['keypoints'], dtype=np.float64)
        if kv.size % 3:
            raise Pose2dInputError(f'{path}: annotation {k}: keypoints are '
                                   'not [x, y, v] triples.')
        kv = kv.reshape(-1, 3)
        x, y, w, h = ann.get('bbox', (np.nan, ) * 4)
        frame['instances'].append(
            _instance(path, f'annotation {k}', kv[:, :2],
                      (kv[:, 2] > 0).astype(np.float64),
                      bbox=(x, y, x + w, y + h) if 'bbox' in ann else None))
    return list(frames.values()), layout


def _inferencer_frames(data, path: str):
    stem = osp.splitext(osp.basename(path))[0]
    if data and all(isinstance(d, dict) and 'instances' in d for d in data):
        items = [(f'{stem}#{d.get("frame_id", i)}', d.get('frame_id', i),
                  d['instances']) for i, d in enumerate(data)]
    else:
        items = [(stem, None, data)]
    frames = []
    for image, frame_id, people in items:
        frame = _frame(image, frame_id=frame_id)
        if not isinstance(people, list):
            raise Pose2dInputError(
                f'{path}: expected a list of people (mmpose inferencer '
                f'predictions), got {type(people).__name__}.')
        for k, p in enumerate(people):
            if not isinstance(p, dict) or 'keypoints' not in p:
                raise Pose2dInputError(
                    f'{path}: person {k} of {image} has no "keypoints".')
            kpts = np.asarray(p['keypoints'], dtype=np.float64)
            scores = p.get('keypoint_scores', np.ones(len(kpts)))
            frame['instances'].append(
                _instance(path, f'person {k} of {image}', kpts, scores,
                          bbox=p.get('bbox'), track_id=p.get('track_id')))
        frames.append(frame)
    return frames


def load_pose2d(path: str, layout: Optional[str] = None):
    """Read 2D poses: the *read* stage of the in-the-wild pipeline for 2D
    files (:mod:`mmzedo.apis.wild_frames`).

    Args:
        path: A COCO keypoint file, an mmpose inferencer prediction file or
            a directory of prediction files.
        layout: ``'coco'`` or ``'h36m'``: the keypoint order. COCO files
            name theirs; inferencer predictions default to ``'coco'``
            (mmpose's body models).

    Returns:
        WildFrames: one ``PoseDataSample`` per image or frame, its people in
        ``pred_instances`` (``keypoints`` [N, 17, 2], ``keypoint_scores``,
        ``bboxes``, ``track_ids``), the ``layout`` and ``is_video``
        (frames are consecutive video frames).
    """
    from .wild_frames import WildFrames
    if layout is not None and layout not in LAYOUTS:
        raise Pose2dInputError(f'Unknown keypoint layout "{layout}"; '
                               f'choose from {LAYOUTS}.')
    if osp.isdir(path):
        files = sorted(f for f in os.listdir(path) if f.endswith('.json'))
        if not files:
            raise Pose2dInputError(f'{path}: no .json prediction files.')
        frames = []
        for name in files:
            data = _read_json(osp.join(path, name))
            if isinstance(data, dict):
                raise Pose2dInputError(
                    f'{osp.join(path, name)}: a directory must hold mmpose '
                    'inferencer prediction files (JSON lists).')
            frames += _inferencer_frames(data, osp.join(path, name))
        is_video = len(files) == 1 and frames[0]['frame_id'] is not None
        return WildFrames(_samples(frames), layout or 'coco', is_video)
    data = _read_json(path)
    if isinstance(data, dict):
        if 'annotations' not in data:
            raise Pose2dInputError(
                f'{path}: neither a COCO keypoint file (no "annotations") '
                'nor mmpose inferencer predictions (a list).')
        frames, found = _coco_frames(data, path, layout)
        return WildFrames(_samples(frames), found, False)
    if not isinstance(data, list):
        raise Pose2dInputError(f'{path}: unexpected JSON '
                               f'{type(data).__name__}.')
    frames = _inferencer_frames(data, path)
    return WildFrames(_samples(frames), layout or 'coco',
                      bool(frames) and frames[0]['frame_id'] is not None)


def to_h36m(keypoints: np.ndarray, scores: np.ndarray, layout: str):
    """Human3.6M-17 keypoints [N, 17, 2] and confidences [N, 17] from
    ``layout`` ones, with mmpose's conversion; a joint interpolated from a
    missing (confidence 0) joint gets confidence 0."""
    from mmpose.apis import convert_keypoint_definition
    keypoints = np.asarray(keypoints, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    if layout == 'h36m':
        return keypoints, scores
    if layout != 'coco':
        raise Pose2dInputError(f'Unknown keypoint layout "{layout}".')
    present = (scores > 0).astype(np.float64)
    packed = np.concatenate(
        [keypoints, scores[..., None], present[..., None]], -1)
    conv = convert_keypoint_definition(packed, 'coco', 'h36m')
    conf = np.where(conv[..., 3] > 1 - 1e-6, conv[..., 2], 0.)
    return conv[..., :2], conf


def image_stem(name: str) -> str:
    """``name`` without an image extension (names such as Human3.6M's
    ``S1_Directions_1.54138969_000001`` hold dots of their own)."""
    stem, ext = osp.splitext(name)
    return stem if ext.lower() in IMAGE_EXTENSIONS else name


def find_image(img_dir: Optional[str], name: Optional[str]) -> Optional[str]:
    """The image file for a frame name in ``img_dir`` (the name itself, or
    its stem with a common image extension), or None."""
    if not img_dir or not name:
        return None
    direct = osp.join(img_dir, name)
    if osp.isfile(direct):
        return direct
    stem = image_stem(name)
    for ext in IMAGE_EXTENSIONS:
        if osp.isfile(osp.join(img_dir, stem + ext)):
            return osp.join(img_dir, stem + ext)
    return None


class TrackPeople:
    """The *tracks* stage: in a video (where ``frames.sequence``, which
    defaults to ``is_video``), give each person a track id
    (``pred_instances.track_ids``), greedily by bounding-box IoU with the
    previous frame, using mmpose's tracker
    (:func:`mmpose.apis.inference_tracking._track_by_iou`). People without
    a box get their keypoints' extent. Images are left as they are.

    Args:
        iou_thr (float): mmpose's tracking threshold. Defaults to 0.3.
    """

    def __init__(self, iou_thr: float = 0.3):
        self.iou_thr = iou_thr

    def __call__(self, frames):
        from mmengine.structures import InstanceData
        from mmpose.apis.inference_tracking import _track_by_iou
        from mmpose.structures import PoseDataSample
        if frames.sequence is None:
            frames.sequence = frames.is_video
        if not frames.sequence:
            return frames
        last, next_id = [], 0
        for frame in frames.samples:
            inst = frame.pred_instances
            current, ids = [], []
            for kp, sc, box in zip(inst.keypoints, inst.keypoint_scores,
                                   inst.bboxes):
                if not np.isfinite(box).all():
                    vis = kp[sc > 0]
                    vis = vis if len(vis) else kp
                    box = np.concatenate([vis.min(0), vis.max(0)])
                sample = PoseDataSample()
                sample.pred_instances = InstanceData(
                    bboxes=np.asarray(box, dtype=np.float64)[None])
                track_id, last, _ = _track_by_iou(sample, last, self.iou_thr)
                if track_id == -1:
                    track_id, next_id = next_id, next_id + 1
                sample.track_id = track_id
                ids.append(track_id)
                current.append(sample)
            inst.track_ids = np.array(ids, np.int64)
            last = current
        return frames
