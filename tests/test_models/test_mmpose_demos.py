# Copyright (c) mmzedo contributors. All rights reserved.
"""mmpose's own demo scripts, unchanged, lift a real video with ZeDO as the
head of mmpose's ``PoseLifter``:

- ``demo/body3d_pose_lifter_demo.py DET_CFG DET_CKPT POSE2D_CFG
  POSE2D_CKPT configs/zedo/zedo_S1_gt2d_h36m.py PRIOR --input VIDEO``;
- ``demo/inferencer_demo.py VIDEO --pose3d configs/zedo/... --pose3d-weights
  PRIOR``.

Both scripts ship inside the mmpose package and run from there. Their
person detector and 2D model need weights that cannot be downloaded
offline, so these two stages (and only these) are replaced by MediaPipe's
BlazePose on the same frames, handed over in the form mmdet and mmpose
give them. Everything from the 2D on (tracking, keypoint conversion, the
lifter's pipeline, ``PoseLifter``, the head, the visualizer, the written
video and predictions) is the scripts' own code.
"""
import importlib.util
import json
import os.path as osp
import sys

import numpy as np
import pytest

from ..conftest import REPO_ROOT, SHIPPED_PRIOR

CLIP = osp.join(REPO_ROOT, 'data', 'media', 'street_demo.mp4')
ZEDO = osp.join(REPO_ROOT, 'configs', 'zedo', 'zedo_S1_gt2d_h36m.py')


def _mmpose_file(*parts):
    import mmpose
    return osp.join(osp.dirname(mmpose.__file__), '.mim', *parts)


def _load_demo(name):
    spec = importlib.util.spec_from_file_location(
        f'mmpose_{name}', _mmpose_file('demo', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BlazePoseStages:
    """BlazePose in place of the demos' person detector and 2D model, in
    their output forms (mmdet's ``DetDataSample``, mmpose's
    ``PoseDataSample`` with COCO-17 keypoints)."""

    def __init__(self):
        pytest.importorskip('mediapipe')
        from mmzedo.apis.pose2d_detectors import BlazePose2D
        self.detector = BlazePose2D(video=True)
        self.people, self.frames = [], 0

    def detect(self, bgr):
        self.people = self.detector(np.ascontiguousarray(bgr[..., ::-1]))
        self.frames += 1
        return self.people

    def pose_samples(self, shape, img_path=None):
        from mmengine.structures import InstanceData
        from mmpose.structures import PoseDataSample
        out = []
        for p in self.people:
            meta = dict(ori_shape=shape[:2])
            if img_path is not None:
                meta['img_path'] = img_path
            ds = PoseDataSample(metainfo=meta)
            ds.gt_instances = InstanceData()
            ds.pred_instances = InstanceData(
                keypoints=p['keypoints'][None].astype(np.float32),
                keypoint_scores=p['scores'][None].astype(np.float32),
                bboxes=p['bbox'][None].astype(np.float32),
                bbox_scores=np.ones(1, np.float32))
            out.append(ds)
        return out


def _thighs(keypoints):
    from mmzedo.utils import bone_lengths
    bones = bone_lengths(np.asarray(keypoints, np.float64).reshape(-1, 17, 3))
    return bones[:, 1], bones[:, 4]


def test_body3d_pose_lifter_demo_runs_zedo(tmp_path, monkeypatch):
    import mmengine
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    demo = _load_demo('body3d_pose_lifter_demo')
    stages = BlazePoseStages()

    class Detector:  # what the demo reads of mmdet's detector
        cfg = mmengine.Config(dict(test_dataloader=dict(dataset=dict(
            pipeline=[dict(type='LoadImageFromFile')]))))

    def inference_detector(detector, frame):
        people = stages.detect(frame)
        ds = DetDataSample()
        ds.pred_instances = InstanceData(
            bboxes=np.array([p['bbox'] for p in people],
                            np.float32).reshape(-1, 4),
            scores=np.ones(len(people), np.float32),
            labels=np.zeros(len(people), np.int64))
        return ds

    models = {}
    init_model = demo.init_model

    def init(config, checkpoint=None, **kwargs):
        # the 2D model is built from its config, without weights (its
        # predictions come from BlazePose)
        model = init_model(config, None if checkpoint == 'no-2d-weights'
                           else checkpoint, **kwargs)
        models[config] = model
        return model

    monkeypatch.setattr(demo, 'init_detector', lambda *a, **k: Detector())
    monkeypatch.setattr(demo, 'inference_detector', inference_detector)
    monkeypatch.setattr(demo, 'inference_topdown',
                        lambda model, frame, boxes: stages.pose_samples(
                            frame.shape))
    monkeypatch.setattr(demo, 'init_model', init)
    cfg2d = _mmpose_file('configs', 'body_2d_keypoint', 'rtmpose', 'coco',
                         'rtmpose-t_8xb256-420e_coco-256x192.py')
    out = tmp_path / 'out'
    monkeypatch.setattr(sys, 'argv', [
        'body3d_pose_lifter_demo.py', 'det.py', 'det.pth', cfg2d,
        'no-2d-weights',
        ZEDO, SHIPPED_PRIOR, '--input', CLIP, '--output-root', str(out),
        '--device', 'cpu', '--save-predictions', '--disable-norm-pose-2d'])
    demo.main()
    assert (out / 'street_demo.mp4').stat().st_size > 10000
    with open(out / 'results_street_demo.json') as f:
        frames = json.load(f)['instance_info']
    assert len(frames) == stages.frames == 5
    lifted = [inst for fr in frames for inst in fr['instances']]
    assert len(lifted) == 5  # BlazePose: one person per frame
    left, right = _thighs([inst['keypoints'] for inst in lifted])
    assert ((0.3 < left) & (left < 0.6)).all(), left  # metres
    assert (abs(left - right) < 0.05).all(), (left, right)
    # The frames of the video shared one focal length: estimated from the
    # people of the frames so far, at most POOL_FRAMES of them.
    head = models[ZEDO].head
    assert head._video['frames'] == 5
    # The demo passes the image size as (h, w); the head took it back.
    np.testing.assert_allclose(head._video['size'].numpy(), [960, 540])


def test_inferencer_demo_runs_zedo_on_a_video(tmp_path, monkeypatch):
    demo = _load_demo('inferencer_demo')
    stages = BlazePoseStages()
    built = []

    class Pose2D:
        """Stands in for mmpose's ``Pose2DInferencer`` (same call, same
        predictions, the same frame names for a video's frames; the
        real one's model and visualizer, which the 3D inferencer reads)."""

        def __init__(self, real):
            self.model, self.visualizer = real.model, real.visualizer

        def __call__(self, inputs, **kwargs):
            index = stages.frames
            stages.detect(inputs)
            yield dict(predictions=stages.pose_samples(
                inputs.shape, f'{index}.jpg'.rjust(10, '0')))

    real = demo.MMPoseInferencer

    def inferencer(**kwargs):
        inf = real(**kwargs)
        inf.inferencer.pose2d_model = Pose2D(inf.inferencer.pose2d_model)
        built.append(inf)
        return inf

    monkeypatch.setattr(demo, 'MMPoseInferencer', inferencer)
    cfg2d = _mmpose_file('configs', 'body_2d_keypoint', 'rtmpose', 'coco',
                         'rtmpose-t_8xb256-420e_coco-256x192.py')
    out = tmp_path / 'out'
    monkeypatch.setattr(sys, 'argv', [
        'inferencer_demo.py', CLIP, '--pose2d', cfg2d, '--det-model',
        'whole_image', '--pose3d', ZEDO, '--pose3d-weights', SHIPPED_PRIOR,
        '--disable-norm-pose-2d', '--device', 'cpu', '--vis-out-dir',
        str(out / 'vis'), '--pred-out-dir', str(out / 'pred')])
    demo.main()
    with open(out / 'pred' / 'street_demo.json') as f:
        frames = json.load(f)
    assert len(frames) == stages.frames == 5
    lifted = [inst for fr in frames for inst in fr['instances']]
    assert len(lifted) == 5
    left, right = _thighs([inst['keypoints'] for inst in lifted])
    assert ((0.3 < left) & (left < 0.6)).all(), left
    assert (abs(left - right) < 0.05).all(), (left, right)
    assert (out / 'vis' / 'street_demo.mp4').stat().st_size > 10000
    head = built[0].inferencer.model.head
    assert head._video['frames'] == 5
    np.testing.assert_allclose(head._video['size'].numpy(), [960, 540])


def test_which_samples_are_video_frames(tmp_path):
    """The head pools the focal length over a video's frames: samples with
    no image file (mmpose's 3D demo sets no img_path; the inferencer names
    a video's frames 00000012.jpg) are frames, images from files are not."""
    from mmzedo.models.heads.zedo_head import video_frame
    image = tmp_path / '00000003.jpg'
    image.write_bytes(b'')
    assert video_frame({}) == -1
    assert video_frame(dict(img_path='00000012.jpg')) == 12
    assert video_frame(dict(img_path=str(image))) is None
    assert video_frame(dict(img_path='/data/person.jpg')) is None
