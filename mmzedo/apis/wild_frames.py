# Copyright (c) mmzedo contributors. All rights reserved.
"""What flows through the in-the-wild pipeline: mmpose's own structures,
one ``PoseDataSample`` per image or video frame, its people in
``pred_instances`` (an ``InstanceData``).

The stages (each a function of one :class:`WildFrames` returning one)::

    read -> 2D -> Human3.6M layout -> intrinsics -> tracks -> lift -> write

- read: :func:`~mmzedo.apis.pose2d_inputs.load_pose2d` (2D files) or
  :func:`~mmzedo.apis.pose2d_detectors.read_media` (pixels);
- 2D: :class:`~mmzedo.apis.pose2d_detectors.Detect2D`;
- Human3.6M layout: :class:`~mmzedo.apis.wild_lifting.ToH36M`;
- intrinsics: :class:`~mmzedo.apis.wild_lifting.SetIntrinsics`;
- tracks: :class:`~mmzedo.apis.pose2d_inputs.TrackPeople`;
- lift: :class:`~mmzedo.apis.wild_lifting.Lift`;
- write: :func:`~mmzedo.apis.wild_lifting.predictions_dict` and
  :func:`~mmzedo.apis.wild_lifting.mmpose_predictions` (JSON), BVH and
  pictures.

A frame's metainfo: ``img_path`` (the image's or frame's name),
``frame_id`` (video frames), ``ori_shape`` (height, width; None where
unknown), and after the intrinsics stage ``focal``, ``principal_point``
(pixels), ``intrinsics`` (``'given'`` or ``'estimated'``) and
``focal_at_edge``.

Its ``pred_instances`` fields, per person: ``keypoints`` [N, 17, 2]
(pixels; the reader's layout until the Human3.6M stage), ``keypoint_scores``
[N, 17], ``bboxes`` [N, 4] (NaN where the input has none), ``track_ids``
[N] (-1 until tracked); from the Human3.6M stage ``skipped`` (why a person
is not lifted, or None); from the lift ``lifted`` [N], ``keypoints_3d``
[N, 17, 3] (camera frame, metres, translation included; NaN where not
lifted), ``translation`` [N, 3], ``valid`` [N], ``reprojection_rel`` and
``bone_ratio`` [N], and in videos ``restarted`` [N].
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

#: Fields the lift adds to ``pred_instances``, with their shape per person
#: and their value where a person is not lifted.
LIFT_FIELDS = dict(keypoints_3d=((17, 3), np.nan), translation=((3, ), np.nan),
                   valid=((), False), reprojection_rel=((), np.nan),
                   bone_ratio=((), np.nan), restarted=((), False))


@dataclass
class WildFrames:
    """The frames of one input (images, or the frames of one video).

    Args:
        samples: One ``PoseDataSample`` per frame (see the module's
            docstring for its fields).
        layout: The keypoint layout of ``pred_instances.keypoints``:
            ``'coco'`` or ``'h36m'``.
        is_video: The frames are consecutive frames of one video.
        fps: The video's frame rate, where known.
        detector: Where the 2D came from (``--pose2d``, or
            ``'from the input file'``).
        images: Frame name -> RGB image, where the reader decoded them.
        sequence: Lift tracked people with a warm start (set by the
            tracking stage; defaults to ``is_video``).
    """
    samples: List
    layout: str
    is_video: bool
    fps: Optional[float] = None
    detector: str = 'from the input file'
    images: Dict[str, np.ndarray] = field(default_factory=dict)
    sequence: Optional[bool] = None


def frame_sample(name: Optional[str], width=None, height=None,
                 frame_id=None, people: Sequence[dict] = ()):
    """A frame's ``PoseDataSample``: ``people`` (dicts of ``keypoints``
    [17, 2], ``scores`` [17], optional ``bbox`` [4] and ``track_id``) in
    ``pred_instances``."""
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample
    shape = (int(height), int(width)) if width and height else None
    sample = PoseDataSample(metainfo=dict(img_path=name, frame_id=frame_id,
                                          ori_shape=shape))
    n = len(people)
    bboxes = np.full((n, 4), np.nan)
    for k, p in enumerate(people):
        if p.get('bbox') is not None:
            bboxes[k] = p['bbox']
    sample.pred_instances = InstanceData(
        keypoints=np.stack([p['keypoints'] for p in people]).astype(
            np.float64) if n else np.zeros((0, 17, 2)),
        keypoint_scores=np.stack([p['scores'] for p in people]).astype(
            np.float64) if n else np.zeros((0, 17)),
        bboxes=bboxes,
        track_ids=np.array([-1 if p.get('track_id') is None else
                            int(p['track_id']) for p in people], np.int64))
    return sample


def image_size(sample) -> Optional[tuple]:
    """A frame's (width, height) in pixels, or None."""
    shape = sample.metainfo.get('ori_shape')
    return None if shape is None else (float(shape[1]), float(shape[0]))


def set_image_size(sample, size: Optional[Sequence[float]]) -> None:
    sample.set_metainfo(dict(ori_shape=None if size is None else (
        int(size[1]), int(size[0]))))


def num_people(sample) -> int:
    return len(sample.pred_instances)


def people_of(frames: WildFrames) -> List[tuple]:
    """(frame index, person index) of every person to lift (not
    ``skipped``), frame by frame."""
    return [(fi, k) for fi, s in enumerate(frames.samples)
            for k, why in enumerate(s.pred_instances.get('skipped', []))
            if why is None]
