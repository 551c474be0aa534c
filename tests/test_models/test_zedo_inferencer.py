# Copyright (c) mmzedo contributors. All rights reserved.
"""ZeDO inside mmpose's own ``MMPoseInferencer(pose3d=CONFIG,
pose3d_weights=PRIOR)``, unchanged: the inferencer's 3D path (its pose
sequence, keypoint conversion, normalisation switch, ``camera_param`` of
the image size only, forward and post-processing) runs ZeDO's head.

The 2D stage here is the fixture's annotated COCO keypoints of a real
image (a person with all 17 labelled), handed over as mmpose's 2D
inferencer hands its predictions: 2D weights cannot be downloaded offline,
and a randomly initialised 2D model gives no person."""
import os.path as osp

import numpy as np
import pytest

from ..conftest import REPO_ROOT, SHIPPED_PRIOR

COCO = osp.join(REPO_ROOT, 'tests', 'data', 'mmpose-fixtures', 'coco')
ZEDO = osp.join(REPO_ROOT, 'configs', 'zedo',
                'zedo_S1_gt2d_open-cmu-h36m-like.py')


class AnnotatedPose2D:
    """Stands in for mmpose's ``Pose2DInferencer`` (same call, same
    predictions): the COCO annotation of one image as ``PoseDataSample``s
    with ``keypoints``, ``keypoint_scores`` and ``bboxes``."""

    def __init__(self, image: str):
        import json
        with open(osp.join(COCO, 'test_coco.json')) as f:
            ann = json.load(f)
        info = next(i for i in ann['images'] if i['file_name'] == image)
        people = [a for a in ann['annotations']
                  if a['image_id'] == info['id'] and a['num_keypoints'] == 17]
        kp = np.array([a['keypoints'] for a in people],
                      np.float32).reshape(-1, 17, 3)
        box = np.array([a['bbox'] for a in people], np.float32)
        box[:, 2:] += box[:, :2]
        self.info, self.kp, self.box = info, kp, box

    def __call__(self, inputs, **kwargs):
        from mmengine.structures import InstanceData
        from mmpose.structures import PoseDataSample
        out = []
        for k, b in zip(self.kp, self.box):
            ds = PoseDataSample(metainfo=dict(
                img_path=osp.join(COCO, self.info['file_name']),
                ori_shape=(self.info['height'], self.info['width'])))
            ds.gt_instances = InstanceData()
            ds.pred_instances = InstanceData(
                keypoints=k[None, :, :2], keypoint_scores=k[None, :, 2] / 2,
                bboxes=b[None], bbox_scores=np.ones(1, np.float32))
            out.append(ds)
        yield dict(predictions=out)


@pytest.fixture(scope='module')
def inferencer():
    from mmpose.apis import MMPoseInferencer

    import mmzedo  # noqa: F401
    cfg2d = osp.join(
        osp.dirname(__import__('mmpose').__file__), '.mim', 'configs',
        'body_2d_keypoint', 'rtmpose', 'coco',
        'rtmpose-t_8xb256-420e_coco-256x192.py')
    inf = MMPoseInferencer(pose2d=cfg2d, pose2d_weights=None,
                           det_model='whole_image', pose3d=ZEDO,
                           pose3d_weights=SHIPPED_PRIOR, device='cpu')
    inf.inferencer.pose2d_model = AnnotatedPose2D('000000000785.jpg')
    return inf


def test_mmpose_inferencer_lifts_with_zedo(inferencer):
    img = osp.join(COCO, '000000000785.jpg')
    res = next(inferencer(img, disable_norm_pose_2d=True,
                          return_datasamples=True))
    pred = res['predictions'][0].pred_instances
    # The inferencer gave only the image size: the focal length was
    # estimated (principal point at the image centre) and says so.
    assert pred.focal_estimated.all()
    np.testing.assert_allclose(pred.principal_point[0], [320., 212.5])
    f = float(pred.focal[0, 0])
    assert 0.3 * 640 * (1 - 1e-4) <= f <= 4 * 640 * (1 + 1e-4)
    # an estimate at an end of the searched range is flagged
    at_edge = np.isclose(f, [0.3 * 640, 4 * 640], rtol=1e-4).any()
    assert bool(pred.focal_at_search_edge[0]) == at_edge
    assert pred.valid.all()
    # A plausible body (the inferencer turns the axes for its display:
    # bone lengths are kept).
    from mmzedo.utils import bone_lengths
    kp = np.asarray(pred.keypoints).reshape(-1, 17, 3)
    bones = bone_lengths(kp)[0]
    assert 0.3 < bones[1] < 0.6 and 0.3 < bones[4] < 0.6  # thighs (m)
    assert abs(bones[1] - bones[4]) < 0.05


def test_inferencer_normalisation_is_named(inferencer):
    from mmzedo.core import ZeDOInputError
    img = osp.join(COCO, '000000000785.jpg')
    with pytest.raises(ZeDOInputError, match='disable_norm_pose_2d=True'):
        next(inferencer(img, return_datasamples=True))
