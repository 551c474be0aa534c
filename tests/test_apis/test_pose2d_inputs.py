# Copyright (c) mmzedo contributors. All rights reserved.
"""Reading 2D poses from the wild (mmpose inferencer predictions, COCO
keypoint files) and converting COCO-17 to Human3.6M-17 with mmpose's own
conversion, on the real fixtures in tests/data/mmpose-fixtures."""
import json
import os.path as osp

import numpy as np
import pytest

from mmzedo.apis.pose2d_inputs import (Pose2dInputError, TrackPeople,
                                       find_image, image_stem, load_pose2d,
                                       to_h36m)

from ..conftest import REPO_ROOT

FIXTURES = osp.join(REPO_ROOT, 'tests', 'data', 'mmpose-fixtures')
COCO_JSON = osp.join(FIXTURES, 'coco', 'test_coco.json')
H36M_JSON = osp.join(FIXTURES, 'h36m', 'h36m_coco.json')


def test_coco_file_is_read_per_image_with_visibility_as_confidence():
    """One mmpose PoseDataSample per image, its people in pred_instances
    (the pipeline's read stage)."""
    from mmpose.structures import PoseDataSample
    data = load_pose2d(COCO_JSON)
    assert data.layout == 'coco' and not data.is_video
    frames = data.samples
    assert len(frames) == 4
    assert all(isinstance(f, PoseDataSample) for f in frames)
    assert sum(len(f.pred_instances) for f in frames) == 14
    with open(COCO_JSON) as f:
        raw = json.load(f)
    ann = raw['annotations'][0]
    img = next(i for i in raw['images'] if i['id'] == ann['image_id'])
    frame = next(f for f in frames if f.img_path == img['file_name'])
    assert frame.ori_shape == (img['height'], img['width'])
    kv = np.array(ann['keypoints'], dtype=float).reshape(17, 3)
    inst = frame.pred_instances
    np.testing.assert_allclose(inst.keypoints[0], kv[:, :2])
    np.testing.assert_array_equal(inst.keypoint_scores[0], kv[:, 2] > 0)
    x, y, w, h = ann['bbox']
    np.testing.assert_allclose(inst.bboxes[0], [x, y, x + w, y + h])
    assert (inst.track_ids == -1).all()
    counts = sorted(int(n) for f in frames
                    for n in (f.pred_instances.keypoint_scores > 0).sum(1))
    assert counts[0] == 0 and counts[-1] == 17  # 0 to 17 labelled joints


def test_h36m_layout_is_recognised_from_the_category():
    data = load_pose2d(H36M_JSON)
    assert data.layout == 'h36m'
    gt = np.load(osp.join(FIXTURES, 'h36m', 'test_h36m_body3d.npz'))
    names = [n.split('/')[-1] for n in gt['imgname']]
    for frame in data.samples:
        part = gt['part'][names.index(frame.img_path)]
        np.testing.assert_allclose(frame.pred_instances.keypoints[0],
                                   part[:, :2])


def test_coco_to_h36m_uses_mmpose_mapping_and_zeroes_derived_missing():
    from mmpose.apis import convert_keypoint_definition
    data = load_pose2d(COCO_JSON)
    kp = np.concatenate([f.pred_instances.keypoints for f in data.samples])
    sc = np.concatenate([f.pred_instances.keypoint_scores
                         for f in data.samples])
    h_kp, h_sc = to_h36m(kp, sc, 'coco')
    ref = convert_keypoint_definition(kp, 'coco', 'h36m')
    np.testing.assert_allclose(h_kp, ref)  # mmpose's own positions
    # pelvis = mean of the hips; confident only if both hips are labelled
    both_hips = (sc[:, 11] > 0) & (sc[:, 12] > 0)
    np.testing.assert_array_equal(h_sc[:, 0] > 0, both_hips)
    assert (~both_hips).any() and both_hips.any()
    # a directly mapped joint keeps its confidence (H36M 13 = COCO 9)
    np.testing.assert_array_equal(h_sc[:, 13], sc[:, 9])
    # spine comes from pelvis and thorax: needs hips and shoulders
    np.testing.assert_array_equal(
        h_sc[:, 7] > 0, both_hips & (sc[:, 5] > 0) & (sc[:, 6] > 0))
    # the pipeline's Human3.6M stage does the same to the frames
    from mmzedo.apis.wild_lifting import ToH36M
    data = ToH36M()(data)
    assert data.layout == 'h36m'
    np.testing.assert_allclose(np.concatenate(
        [f.pred_instances.keypoints for f in data.samples]), h_kp)
    skipped = [why for f in data.samples for why in f.pred_instances.skipped]
    assert len(skipped) == 14 and None in skipped
    assert any(why and 'unseen' in why or why and 'only' in why
               for why in skipped)


def _inferencer_predictions(tmp_path):
    """mmpose inferencer outputs (--pred-out-dir) for the H36M frames:
    one JSON per image, a list of people (split_instances' layout)."""
    data = load_pose2d(H36M_JSON)
    out = tmp_path / 'preds'
    out.mkdir()
    for frame in data.samples:
        inst = frame.pred_instances
        people = [
            dict(keypoints=k.tolist(), keypoint_scores=s.tolist(),
                 bbox=[k.min(0).tolist() + k.max(0).tolist()],
                 bbox_score=1.0)
            for k, s in zip(inst.keypoints, inst.keypoint_scores)
        ]
        stem = image_stem(frame.img_path)
        with open(out / f'{stem}.json', 'w') as f:
            json.dump(people, f)
    return out, data


def test_inferencer_prediction_directory_and_images(tmp_path):
    out, ref = _inferencer_predictions(tmp_path)
    data = load_pose2d(str(out), layout='h36m')
    assert len(data.samples) == 4 and not data.is_video
    img_dir = osp.join(FIXTURES, 'h36m', 'images')
    for frame in data.samples:
        path = find_image(img_dir, frame.img_path)  # stem -> .jpg
        assert path is not None and path.endswith('.jpg')
        match = next(f for f in ref.samples
                     if image_stem(f.img_path) == frame.img_path)
        np.testing.assert_allclose(frame.pred_instances.keypoints[0],
                                   match.pred_instances.keypoints[0])
    one = load_pose2d(str(next(out.iterdir())), layout='h36m')
    assert len(one.samples) == 1


def test_inferencer_video_file_is_tracked_by_iou(tmp_path):
    data = load_pose2d(H36M_JSON)
    person = data.samples[0].pred_instances.keypoints[0]
    frames = []
    for t in range(5):  # two people walking right, listed in either order
        a = person + [10. * t, 0.]
        b = person + [600. + 10. * t, 0.]
        people = [dict(keypoints=k.tolist(), keypoint_scores=[1.] * 17)
                  for k in ((a, b) if t % 2 else (b, a))]
        frames.append(dict(frame_id=t, instances=people))
    path = tmp_path / 'video.json'
    path.write_text(json.dumps(frames))
    video = load_pose2d(str(path), layout='h36m')
    assert video.is_video and len(video.samples) == 5
    video = TrackPeople()(video)
    assert video.sequence
    first = video.samples[0].pred_instances
    left_id = first.track_ids[int(np.argmin(first.keypoints[:, 0, 0]))]
    for frame in video.samples:
        inst = frame.pred_instances
        left = int(np.argmin(inst.keypoints[:, 0, 0]))
        assert inst.track_ids[left] == left_id
        assert sorted(inst.track_ids.tolist()) == [0, 1]


@pytest.mark.parametrize('content, match', [
    ('not json', 'not a JSON file'),
    ('{"images": []}', 'neither a COCO keypoint file'),
    ('[{"keypoints": [[1, 2], [3, 4]], "keypoint_scores": [1, 1]}]',
     'has 2 keypoints'),
    ('[{"bbox": [1, 2, 3, 4]}]', 'has no "keypoints"'),
    ('42', 'unexpected JSON'),
])
def test_bad_input_files_name_the_file(tmp_path, content, match):
    path = tmp_path / 'bad.json'
    path.write_text(content)
    with pytest.raises(Pose2dInputError, match=match) as e:
        load_pose2d(str(path))
    assert str(path) in str(e.value)


def test_missing_file_and_unknown_layout(tmp_path):
    with pytest.raises(Pose2dInputError, match='no such file'):
        load_pose2d(str(tmp_path / 'nothing.json'))
    with pytest.raises(Pose2dInputError, match='Unknown keypoint layout'):
        load_pose2d(COCO_JSON, layout='mpii')
