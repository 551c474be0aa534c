# Copyright (c) mmzedo contributors. All rights reserved.
"""From pixels to 3D on real media: BlazePose's 2D on the real Human3.6M
frames, the bundled clips through the CLI (predictions, GIF, BVH read back
by an independent parser), and the media bad inputs."""
import json
import os.path as osp
import shutil

import numpy as np
import pytest

from ..conftest import REPO_ROOT

FIXTURES = osp.join(REPO_ROOT, 'tests', 'data', 'mmpose-fixtures', 'h36m')
STREET = osp.join(REPO_ROOT, 'data', 'media', 'street_demo.mp4')
LIMB_JOINTS = [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]


def _demo(args):
    import sys
    sys.path.insert(0, osp.join(REPO_ROOT, 'demo'))
    import zedo_lift_demo
    return zedo_lift_demo.main(args + ['--no-progress'])


def test_blazepose_finds_the_person_in_real_h36m_frames():
    """One person per frame, its joints within pixels of the annotated 2D
    (a left/right swap or a wrong landmark index would be 50-200 px off),
    confidences in [0, 1], and the derived joints present."""
    from mmzedo.apis.pose2d_detectors import detect_pose2d, is_media
    from mmzedo.apis.pose2d_inputs import image_stem, to_h36m
    images = osp.join(FIXTURES, 'images')
    assert is_media(images) and is_media(STREET)
    assert not is_media(osp.join(FIXTURES, 'h36m_coco.json'))
    det = detect_pose2d(images)
    assert not det.is_video and len(det.samples) == 4
    d = np.load(osp.join(FIXTURES, 'test_h36m_body3d.npz'))
    gt = {image_stem(osp.basename(n)): p[:, :2]
          for n, p in zip(d['imgname'], d['part'])}
    errs = []
    for fr in det.samples:
        from PIL import Image
        with Image.open(osp.join(images, fr.img_path)) as im:
            assert fr.ori_shape == im.size[::-1]
        inst = fr.pred_instances
        assert len(inst) == 1
        scores = inst.keypoint_scores
        assert ((0 <= scores) & (scores <= 1)).all()
        kp, sc = to_h36m(inst.keypoints, scores, 'coco')
        assert (sc[0, [0, 7, 8]] > 0).all()  # pelvis, spine, thorax derived
        errs.append(np.linalg.norm(kp[0] - gt[image_stem(fr.img_path)],
                                   axis=-1)[LIMB_JOINTS])
    errs = np.stack(errs)
    assert errs.mean() < 15 and np.median(errs) < 12, errs.round(1)


def test_video_to_3d_with_bvh_gif_and_predictions(tmp_path):
    import bvhio

    from mmzedo.utils.skeleton import JOINT_NAMES
    out = tmp_path / 'out'
    result = _demo([STREET, '--out-dir', str(out)])
    assert result.sequence
    pred = json.loads((out / 'predictions.json').read_text())
    assert pred['meta']['pose2d'] == 'blazepose'
    frames = pred['images']
    assert len(frames) == 5 and [f['frame_id'] for f in frames] == list(
        range(5))
    # The street clip's energy still falls at the longest focal length
    # tried (4 x 960 px): flagged, not silently reported as the answer.
    assert all(f['intrinsics'] == 'estimated' for f in frames)
    assert frames[0]['focal_at_search_edge'] is True
    assert frames[0]['focal_length'][0] == pytest.approx(4.0 * 960, rel=1e-4)
    people = [f['people'][0] for f in frames]
    assert all(p['valid'] and p['track_id'] == 0 for p in people)
    kp3d = np.array([p['keypoints_3d'] for p in people])
    # one person walking away: a plausible body a few metres in front
    from mmzedo.utils.skeleton import PARENTS
    bones = np.linalg.norm(kp3d[:, 1:] - kp3d[:, PARENTS[1:]], axis=-1)
    assert 0.3 < bones[:, 1].mean() < 0.6  # right thigh (m)
    assert (kp3d[:, 0, 2] > 1.5).all()
    # The same poses in mmpose's 3D prediction layout (a video's: one entry
    # per frame), frame and units stated.
    mm = json.loads((out / 'predictions_mmpose.json').read_text())
    assert [f['frame_id'] for f in mm] == list(range(5))
    assert all(f['units'] == 'm' and f['coordinate_frame'].startswith(
        'camera') for f in mm)
    for f, p in zip(mm, people):
        (inst, ) = f['instances']
        assert set(inst) == {'keypoints', 'keypoint_scores', 'track_id',
                             'valid'}
        np.testing.assert_allclose(inst['keypoints'], p['keypoints_3d'],
                                   atol=1e-5)
        np.testing.assert_allclose(inst['keypoint_scores'],
                                   p['keypoint_scores'], atol=1e-5)
    assert (out / 'lifted.gif').stat().st_size > 10000
    from PIL import Image
    with Image.open(out / 'lifted.gif') as gif:
        assert gif.n_frames == 5
    # The BVH read back by bvhio gives every lifted joint within 1 mm.
    root = bvhio.readAsHierarchy(str(out / 'track_0.bvh'))
    joints = {j.Name: j for j, _, _ in root.layout()}
    assert sorted(joints) == sorted(JOINT_NAMES)
    from mmzedo.apis.bvh_export import bvh_to_camera
    for n in range(5):
        root.loadPose(n)
        pos = np.array([list(joints[name].PositionWorld)
                        for name in JOINT_NAMES])
        assert np.abs(bvh_to_camera(pos) - kp3d[n]).max() < 1e-3


def test_bvh_rest_pose_and_rotations_follow_the_motion(tmp_path):
    """Rotations alone (the rest offsets, no position channels) give real
    mocap within its own bone-length spread; errors are named."""
    from mmzedo.apis.bvh_export import (CHILDREN, PARENTS, REST_DIRECTIONS,
                                        bvh_motion, write_bvh)
    from scipy.spatial.transform import Rotation
    joints = np.load(osp.join(REPO_ROOT, 'data', 'mocap', 'cmu_c2s.npz'))[
        'joints'][:30] * np.array([1., -1., -1.]) + np.array([0., 0., 4.])
    offsets, channels = bvh_motion(joints)
    limbs = [j for j in range(1, 17) if len(CHILDREN[PARENTS[j]]) == 1]
    lengths = np.linalg.norm(offsets[limbs], axis=1)
    np.testing.assert_allclose(offsets[limbs] / lengths[:, None],
                               REST_DIRECTIONS[limbs], atol=1e-12)
    ch = channels.reshape(len(joints), 17, 6)
    err = []
    for n in range(len(joints)):
        world, pos = [None] * 17, np.zeros((17, 3))
        for j in range(17):
            local = Rotation.from_euler('ZXY', ch[n, j, 3:],
                                        degrees=True).as_matrix()
            if PARENTS[j] < 0:
                world[j], pos[j] = local, ch[n, j, :3]
            else:
                world[j] = world[PARENTS[j]] @ local
                pos[j] = pos[PARENTS[j]] + world[PARENTS[j]] @ offsets[j]
        want = joints[n] @ np.diag([1., -1., -1.]) * 100
        err.append(np.abs(pos - want).max())
    assert max(err) < 2.0  # cm: one fixed skeleton per source
    path = tmp_path / 'a.bvh'
    write_bvh(joints, str(path))
    with pytest.raises(FileExistsError, match='exists'):
        write_bvh(joints, str(path))
    with pytest.raises(ValueError, match=r'poses \[frames, 17, 3\]'):
        write_bvh(joints[:, :16], str(tmp_path / 'b.bvh'))
    with pytest.raises(ValueError, match='finite'):
        write_bvh(joints * np.nan, str(tmp_path / 'c.bvh'))


def test_media_bad_inputs(tmp_path, capsys):
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(b'not a video' * 100)
    with pytest.raises(SystemExit, match='no frame could be decoded'):
        _demo([str(broken), '--out-dir', str(tmp_path / 'o1')])
    # an output folder inside the input folder
    folder = tmp_path / 'imgs'
    folder.mkdir()
    for n in ('a.jpg', 'b.jpg'):
        shutil.copy(osp.join(FIXTURES, 'images', 'S1_Directions_1.54138969'
                             '_000001.jpg'), folder / n)
    with pytest.raises(SystemExit, match='inside the input folder'):
        _demo([str(folder), '--out-dir', str(folder / 'out')])
    # an image with no person, beside one with a person: the person is
    # lifted, the empty frame is reported, nothing in the input changes
    from PIL import Image
    Image.new('RGB', (640, 480), (128, 128, 128)).save(folder / 'empty.jpg')
    before = sorted(p.name for p in folder.iterdir())
    result = _demo([str(folder), '--out-dir', str(tmp_path / 'o2')])
    assert 'no person found (empty.jpg)' in capsys.readouterr().out
    from mmzedo.apis.wild_lifting import summary
    assert summary(result)['lifted'] == 2
    assert sorted(p.name for p in folder.iterdir()) == before
    # images of mixed sizes in one folder: each keeps its own size, its
    # own estimated focal length and principal point, and is lifted
    with Image.open(folder / 'a.jpg') as im:
        im.resize((600, 601)).save(folder / 'small.jpg')
    result = _demo([str(folder), '--out-dir', str(tmp_path / 'o4')])
    frames = {f['image']: f for f in json.loads(
        (tmp_path / 'o4' / 'predictions.json').read_text())['images']}
    small, big = frames['small.jpg'], frames['a.jpg']
    assert (small['width'], small['height']) == (600, 601)
    assert (big['width'], big['height']) == (1000, 1002)
    assert small['principal_point'] == [300.0, 300.5]
    assert small['intrinsics'] == big['intrinsics'] == 'estimated'
    assert small['focal_length'][0] < big['focal_length'][0]
    assert small['people'][0]['valid'] and big['people'][0]['valid']
    with pytest.raises(SystemExit, match='Cannot find model: no-such-model'):
        _demo([str(folder), '--pose2d', 'no-such-model', '--out-dir',
               str(tmp_path / 'o3')])
