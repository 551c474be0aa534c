# Copyright (c) mmzedo contributors. All rights reserved.
"""2D poses from pixels: images, folders of images and videos through a 2D
pose detector, in the form :func:`~mmzedo.apis.pose2d_inputs.load_pose2d`
returns (COCO-17 keypoints), so that the rest of the in-the-wild path is
the same as for 2D prediction files.

Detectors (``--pose2d`` of ``demo/zedo_lift_demo.py``):

- ``'blazepose'`` (default): MediaPipe's BlazePose (the legacy
  ``mp.solutions.pose``, ``model_complexity=1``), whose model files ship
  inside the ``mediapipe==0.10.21`` wheel: it runs offline. It finds **one
  person per image or frame**. Its 33 landmarks map to COCO-17
  (:data:`BLAZEPOSE_TO_COCO`) with their visibilities as confidences;
  Human3.6M's spine, thorax and head top are then derived by mmpose's
  COCO-to-Human3.6M conversion, as for any COCO input.
- an mmpose 2D model: an alias (``'human'``, ``'rtmpose-m'``, ...) or a
  config, with ``weights`` a checkpoint, run by mmpose's
  ``MMPoseInferencer`` (several people per frame, with its person
  detector). Its weights download as usual; where they cannot be fetched,
  the error says so and how to pass local files.
"""
import os
import os.path as osp
from typing import List, Optional

import numpy as np

from .pose2d_inputs import IMAGE_EXTENSIONS, Pose2dInputError, _instance

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v')
#: BlazePose landmark index of each COCO-17 keypoint (nose, eyes, ears,
#: shoulders, elbows, wrists, hips, knees, ankles; left before right).
BLAZEPOSE_TO_COCO = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26,
                     27, 28)
MEDIAPIPE_INSTALL = ('pip install --no-deps mediapipe==0.10.21 && pip '
                     'install absl-py attrs flatbuffers "protobuf<5"')


def is_media(path: str) -> bool:
    """Whether ``path`` is an image, a video or a folder with images (and
    no 2D prediction files) rather than 2D poses."""
    ext = osp.splitext(path)[1].lower()
    if osp.isfile(path):
        return ext in IMAGE_EXTENSIONS + VIDEO_EXTENSIONS
    if osp.isdir(path):
        names = os.listdir(path)
        return (any(n.lower().endswith(IMAGE_EXTENSIONS) for n in names)
                and not any(n.endswith('.json') for n in names))
    return False


def read_media(path: str):
    """Frames of an image, a folder of images or a video.

    Returns:
        tuple: a list of ``(name, RGB image [H, W, 3] uint8)``, whether the
        frames are consecutive video frames, and the video's frame rate
        (None for images). An image that cannot be read is an error naming
        it; a video that cannot be decoded too.
    """
    import cv2
    if osp.isdir(path):
        names = sorted(n for n in os.listdir(path)
                       if n.lower().endswith(IMAGE_EXTENSIONS))
        return ([(n, _read_image(osp.join(path, n))) for n in names], False,
                None)
    if not osp.isfile(path):
        raise Pose2dInputError(f'{path}: no such file or folder.')
    if path.lower().endswith(IMAGE_EXTENSIONS):
        return [(osp.basename(path), _read_image(path))], False, None
    cap = cv2.VideoCapture(path)
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0) or None
    frames = []
    try:
        while cap.isOpened():
            ok, bgr = cap.read()
            if not ok:
                break
            frames.append((f'{len(frames):06d}', bgr[..., ::-1].copy()))
    finally:
        cap.release()
    if not frames:
        raise Pose2dInputError(f'{path}: no frame could be decoded (not a '
                               'video, or a codec OpenCV lacks).')
    return frames, True, fps


def _read_image(path: str) -> np.ndarray:
    import cv2
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise Pose2dInputError(f'{path}: cannot be read as an image.')
    return bgr[..., ::-1].copy()


class BlazePose2D:
    """MediaPipe BlazePose as a 2D pose detector (one person per image).

    Args:
        video (bool): Track the person over consecutive frames (BlazePose's
            video mode) instead of detecting anew in each image.
        min_detection_confidence (float): BlazePose's person-detection
            threshold. Defaults to 0.5.
    """

    def __init__(self, video: bool = False,
                 min_detection_confidence: float = 0.5):
        try:
            import mediapipe as mp
            solution = mp.solutions.pose
        except (ImportError, AttributeError) as e:
            raise Pose2dInputError(
                f'--pose2d blazepose needs MediaPipe 0.10.21 ({e}); install '
                f'it with: {MEDIAPIPE_INSTALL}') from e
        self._pose = solution.Pose(
            static_image_mode=not video, model_complexity=1,
            min_detection_confidence=min_detection_confidence)

    def __call__(self, rgb: np.ndarray) -> List[dict]:
        """The person in ``rgb`` [H, W, 3] as 0 or 1 instances:
        ``keypoints`` [17, 2] (COCO order, pixels), ``scores`` [17] (the
        landmarks' visibilities) and ``bbox`` (the landmarks' extent)."""
        h, w = rgb.shape[:2]
        res = self._pose.process(np.ascontiguousarray(rgb))
        if res.pose_landmarks is None:
            return []
        lm = res.pose_landmarks.landmark
        kpts = np.array([[lm[i].x * w, lm[i].y * h]
                         for i in BLAZEPOSE_TO_COCO])
        scores = np.clip([lm[i].visibility for i in BLAZEPOSE_TO_COCO], 0,
                         1)
        box = np.concatenate([kpts.min(0), kpts.max(0)])
        return [dict(keypoints=kpts, scores=scores, bbox=box)]

    def close(self):
        self._pose.close()


class MMPose2D:
    """An mmpose 2D model through ``MMPoseInferencer`` (several people per
    image, with its person detector).

    Args:
        model (str): An mmpose alias or config.
        weights (str, optional): A checkpoint (path or URL).
        device (str): Defaults to ``'cpu'``.
        det_weights (str, optional): The person detector's checkpoint (the
            inferencer's default detector).
    """

    def __init__(self, model: str, weights: Optional[str] = None,
                 device: str = 'cpu', det_weights: Optional[str] = None):
        from mmpose.apis import MMPoseInferencer
        extra = {}
        if det_weights:
            extra = dict(det_model='rtmdet-m', det_weights=det_weights,
                         det_cat_ids=0)
        try:
            self._inferencer = MMPoseInferencer(
                pose2d=model, pose2d_weights=weights, device=device, **extra)
        except Exception as e:  # unknown alias, weights not fetchable, ...
            raise Pose2dInputError(
                f'--pose2d {model}: mmpose could not build this 2D model '
                f'({type(e).__name__}: {str(e)[:300]}). Give an mmpose alias '
                '(e.g. human) or a config; where its weights cannot be '
                'downloaded, pass a local checkpoint with --pose2d-weights '
                'FILE (and an RTMDet-m person detector\'s with '
                '--det-weights), or use the offline --pose2d blazepose.'
            ) from e

    def __call__(self, rgb: np.ndarray) -> List[dict]:
        result = next(self._inferencer(np.ascontiguousarray(rgb[..., ::-1]),
                                       return_vis=False))
        people = []
        for inst in result['predictions'][0]:
            bbox = np.asarray(inst.get('bbox', [[np.nan] * 4]),
                              dtype=np.float64).reshape(-1)[:4]
            people.append(dict(keypoints=inst['keypoints'],
                               scores=inst['keypoint_scores'], bbox=bbox))
        return people

    def close(self):
        pass


def build_pose2d_detector(name: str, video: bool,
                          weights: Optional[str] = None,
                          device: str = 'cpu',
                          det_weights: Optional[str] = None):
    """``'blazepose'``: :class:`BlazePose2D`; anything else: an mmpose
    model (:class:`MMPose2D`)."""
    if name == 'blazepose':
        return BlazePose2D(video=video)
    return MMPose2D(name, weights, device, det_weights)


def read_frames(path: str):
    """The *read* stage for pixels: the frames of an image, a folder of
    images or a video (:func:`read_media`) as ``PoseDataSample``s with no
    people yet, their RGB images in ``images``."""
    from .wild_frames import WildFrames, frame_sample
    frames_rgb, is_video, fps = read_media(path)
    if not frames_rgb:
        raise Pose2dInputError(f'{path}: no images in this folder.')
    samples = [frame_sample(name, rgb.shape[1], rgb.shape[0],
                            i if is_video else None)
               for i, (name, rgb) in enumerate(frames_rgb)]
    return WildFrames(samples, 'coco', is_video, fps=fps,
                      images=dict(frames_rgb))


class Detect2D:
    """The *2D* stage: a 2D pose detector (:func:`build_pose2d_detector`)
    on every frame's image; its people (COCO-17, pixels, confidences and
    boxes) become the frame's ``pred_instances``.

    Args:
        pose2d (str): ``'blazepose'`` or an mmpose 2D model (alias or
            config). Defaults to ``'blazepose'``.
        weights (str, optional): The mmpose model's checkpoint.
        device (str): Defaults to ``'cpu'``.
        progress (bool): Show a progress bar. Defaults to False.
        det_weights (str, optional): The person detector's checkpoint.
    """

    def __init__(self, pose2d: str = 'blazepose',
                 weights: Optional[str] = None, device: str = 'cpu',
                 progress: bool = False, det_weights: Optional[str] = None):
        self.pose2d, self.weights, self.device = pose2d, weights, device
        self.progress, self.det_weights = progress, det_weights

    def __call__(self, frames):
        from .wild_frames import frame_sample
        detector = build_pose2d_detector(self.pose2d, frames.is_video,
                                         self.weights, self.device,
                                         self.det_weights)
        bar = None
        if self.progress:
            from mmengine.utils import ProgressBar
            bar = ProgressBar(len(frames.samples))
        try:
            for i, frame in enumerate(frames.samples):
                name = frame.img_path
                people = [
                    _instance(name, f'frame {name} person {k}',
                              p['keypoints'], p['scores'], p['bbox'])
                    for k, p in enumerate(detector(frames.images[name]))]
                shape = frame.ori_shape
                frames.samples[i] = frame_sample(
                    name, shape[1], shape[0], frame.frame_id, people)
                if bar is not None:
                    bar.update()
        finally:
            detector.close()
        frames.layout, frames.detector = 'coco', self.pose2d
        return frames


def detect_pose2d(path: str, pose2d: str = 'blazepose',
                  weights: Optional[str] = None, device: str = 'cpu',
                  progress: bool = False,
                  det_weights: Optional[str] = None):
    """Read ``path`` (:func:`read_frames`) and detect the 2D poses
    (:class:`Detect2D`).

    Returns:
        WildFrames: as :func:`~mmzedo.apis.pose2d_inputs.load_pose2d`
        returns (COCO-17 people), with ``images`` (frame name -> RGB
        image), ``fps`` (videos) and ``detector``.
    """
    return Detect2D(pose2d, weights, device, progress,
                    det_weights)(read_frames(path))
