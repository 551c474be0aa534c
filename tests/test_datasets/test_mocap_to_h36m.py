# Copyright (c) mmzedo contributors. All rights reserved.
import os
import os.path as osp
import pickle

import numpy as np
import pytest

from mmzedo.datasets.mocap import (CAMERA_RIGS, MocapFormatError, build_rig,
                                   camera_to_pixel, convert_mocap,
                                   load_mocap, retarget_bone_lengths,
                                   simulate_detections)
from mmzedo.utils import H36M_BONE_LENGTHS, bone_lengths
from ..conftest import MOCAP_DIR

C2S = osp.join(MOCAP_DIR, 'cmu_c2s.npz')


def _load_split(root, split, name='cmu', fps=10):
    return dict(np.load(
        osp.join(root, 'annotation_body3d', f'fps{fps}',
                 f'{name}_{split}.npz')))


def _cameras(root):
    with open(osp.join(root, 'annotation_body3d', 'cameras.pkl'), 'rb') as f:
        return pickle.load(f)


def test_mmpose_human36m_dataset_loads_output(open_benchmark):
    from mmpose.datasets import Human36mDataset
    root, summary = open_benchmark
    data_root = osp.join(root, 'h36m-like')
    for split, det in (('train', None), ('test', None), ('test', 'detection')):
        kwargs = dict(keypoint_2d_src='gt')
        if det:
            kwargs = dict(
                keypoint_2d_src='detection',
                keypoint_2d_det_file=f'joint_2d_det_files/cmu_{split}.npy')
        ds = Human36mDataset(
            ann_file=f'annotation_body3d/fps10/cmu_{split}.npz',
            data_root=data_root,
            camera_param_file='annotation_body3d/cameras.pkl',
            seq_len=1,
            causal=False,
            **kwargs)
        assert len(ds) == summary['h36m-like']['files'][split]['num']
        info = ds.get_data_info(len(ds) // 2)
        assert info['keypoints'].shape == (1, 17, 2)
        assert info['lifting_target'].shape == (1, 17, 3)
        cam = info['camera_param']
        assert cam['w'] == 1000 and cam['h'] == 1000
        # mmpose parsed subject and camera from the image name.
        subj, action, cam_id = ds._parse_h36m_imgname(
            info['target_img_path'][0])
        assert (subj, cam_id) in ds.camera_param
        assert cam['id'] == cam_id and '_' in action


@pytest.mark.parametrize('rig', sorted(CAMERA_RIGS))
def test_S_reprojects_onto_part(open_benchmark, rig):
    root, _ = open_benchmark
    cams = _cameras(osp.join(root, rig))
    for split in ('train', 'test'):
        d = _load_split(osp.join(root, rig), split)
        assert d['S'].shape[1:] == (17, 4) and d['part'].shape[1:] == (17, 3)
        keys = [(osp.basename(n).split('_', 1)[0],
                 osp.basename(n).split('.', 1)[1].split('_', 1)[0])
                for n in d['imgname']]
        assert set(keys) <= set(cams)
        for key in set(keys):
            sel = np.array([k == key for k in keys])
            uv = camera_to_pixel(d['S'][sel, :, :3], cams[key])
            assert np.abs(uv - d['part'][sel, :, :2]).max() < 1e-3


def test_default_rig_in_front_and_inside_image(open_benchmark):
    root, summary = open_benchmark
    for split in ('train', 'test'):
        d = _load_split(osp.join(root, 'h36m-like'), split)
        assert (d['S'][..., 2] > 0.5).all()
        assert (d['part'][..., :2] >= 0).all()
        assert (d['part'][..., :2] < 1000).all()
    # Almost nothing had to be dropped to get there.
    s = summary['h36m-like']
    assert s['dropped_out_of_view'] < 0.005 * s['total']


def test_world_to_camera_matches_mmpose_simple_camera(open_benchmark):
    from mmpose.utils.camera import SimpleCamera
    for cam in build_rig('phone-wide'):
        pts = np.random.default_rng(0).normal(size=(5, 17, 3)) * 0.5
        pts[..., 2] += 1.0
        mm = SimpleCamera(cam)
        from mmzedo.datasets.mocap import world_to_camera
        ours = world_to_camera(pts, cam)
        np.testing.assert_allclose(ours, mm.world_to_camera(pts), atol=1e-5)
        np.testing.assert_allclose(
            camera_to_pixel(ours, cam),
            mm.camera_to_pixel(ours.astype(np.float32)), atol=1e-2)


def test_splits_come_from_different_groups(open_benchmark):
    root, summary = open_benchmark
    subjects = {}
    for split in ('train', 'test'):
        d = _load_split(osp.join(root, 'h36m-like'), split)
        subjects[split] = {osp.basename(n).split('_')[0] for n in d['imgname']}
    assert subjects['train'].isdisjoint(subjects['test'])
    groups = summary['h36m-like']['subjects']
    assert {groups[s] for s in subjects['test']} == {
        'cmu_c2s:test', 'cmu_acrnn:martial', 'cmu_iclone:subject006',
        'cmu_iclone:subject007'
    }


def test_feet_on_floor_and_retargeted_lengths(open_benchmark):
    root, _ = open_benchmark
    d = _load_split(osp.join(root, 'h36m-like'), 'test')
    cams = _cameras(osp.join(root, 'h36m-like'))
    cam = next(iter(cams.values()))
    first_cam = np.array([cam['id'] in n for n in d['imgname']])
    world = d['S'][first_cam, :, :3] @ cam['R'].T + cam['T'].reshape(3)
    lowest_ankle = world[:, [3, 6], 2].min(axis=1)
    assert 0.0 < np.percentile(lowest_ankle, 50) < 0.3
    # Retargeted: proportions are Human3.6M's up to one scale per sequence.
    ratio = bone_lengths(world) / H36M_BONE_LENGTHS[1:]
    assert np.abs(ratio / ratio.mean(axis=1, keepdims=True) - 1).max() < 1e-6
    assert 0.8 <= ratio.min() and ratio.max() <= 1.2


def test_deterministic_given_seed(tmp_path):
    kw = dict(rig='telephoto', test_groups=['test'], fps=5, seed=3)
    a = convert_mocap([C2S], str(tmp_path / 'a'), verbose=False, **kw)
    b = convert_mocap([C2S], str(tmp_path / 'b'), verbose=False, **kw)
    convert_mocap([C2S], str(tmp_path / 'c'), verbose=False,
                  **dict(kw, seed=4))
    assert a['files'] == b['files']
    da, db, dc = (_load_split(str(tmp_path / x), 'test', 'mocap', 5)
                  for x in 'abc')
    np.testing.assert_array_equal(da['S'], db['S'])
    np.testing.assert_array_equal(da['imgname'], db['imgname'])
    assert not np.allclose(da['S'], dc['S'])


def test_split_from_sequence_list(tmp_path):
    names = load_mocap(C2S)['seq_names']
    convert_mocap([C2S], str(tmp_path), test_seqs=list(names[:3]), fps=10,
                  verbose=False)
    test = _load_split(str(tmp_path), 'test', 'mocap')
    actions = {osp.basename(n).split('.')[0] for n in test['imgname']}
    assert len(actions) == 3


def test_retarget_keeps_directions():
    poses = load_mocap(C2S)['joints'][:50]
    out = retarget_bone_lengths(poses, scale=1.1)
    np.testing.assert_allclose(
        bone_lengths(out), np.broadcast_to(1.1 * H36M_BONE_LENGTHS[1:],
                                           (50, 16)), atol=1e-9)
    from mmzedo.utils import PARENTS
    d_in = poses[:, 1:] - poses[:, PARENTS[1:]]
    d_out = out[:, 1:] - out[:, PARENTS[1:]]
    cos = (d_in * d_out).sum(-1) / np.linalg.norm(
        d_in, axis=-1) / np.linalg.norm(d_out, axis=-1)
    assert cos.min() > 1 - 1e-9


def test_detections_are_noisy_with_outliers_and_confidences(open_benchmark):
    root, _ = open_benchmark
    d = _load_split(osp.join(root, 'h36m-like'), 'test')
    det = np.load(osp.join(root, 'h36m-like', 'joint_2d_det_files',
                           'cmu_test.npy'))
    assert det.shape == d['part'].shape and det.dtype == np.float32
    err = np.linalg.norm(det[..., :2] - d['part'][..., :2], axis=-1)
    assert 2 < np.median(err) < 15  # pixels, like a good 2D detector
    assert (err > 60).mean() > 0.005  # occasional outliers
    conf = det[..., 2]
    assert 0 < conf.min() and conf.max() <= 1
    assert conf[err > 60].mean() < conf[err < 10].mean() - 0.2


def test_detection_noise_scale():
    part = np.tile(np.linspace(0, 400, 34).reshape(1, 17, 2), (200, 1, 1))
    vid = np.zeros(200, int)
    small = simulate_detections(part, vid, np.random.default_rng(0), 0.5)
    big = simulate_detections(part, vid, np.random.default_rng(0), 2.0)
    e = [np.median(np.linalg.norm(x[..., :2] - part, axis=-1))
         for x in (small, big)]
    assert e[1] > 3 * e[0]


def test_human36m_joint_definitions(open_benchmark, rig_joints_benchmark,
                                    tmp_path):
    """The open benchmark places the pelvis and joint 9 as Human3.6M's
    annotation does (the hips' midpoint; the nose 40 degrees forward of
    the thorax -> head-top line); ``joint_definitions=None`` keeps the
    rigs' own (root above the hips, joint 9 on that line); other values
    are named."""
    from mmzedo.datasets.mocap import NOSE_FORWARD_DEG

    def angles(S):
        a, b = S[:, 9] - S[:, 8], S[:, 10] - S[:, 8]
        cos = (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(
            b, axis=-1)
        return np.degrees(np.arccos(np.clip(cos, -1, 1)))

    root, _ = open_benchmark
    S = _load_split(osp.join(root, 'h36m-like'), 'test')['S'][:, :, :3]
    hips = (S[:, 1] + S[:, 4]) / 2
    assert np.abs(S[:, 0] - hips).max() < 1e-9
    np.testing.assert_allclose(angles(S), NOSE_FORWARD_DEG, atol=1e-4)
    R = _load_split(osp.join(rig_joints_benchmark, 'h36m-like'),
                    'test')['S'][:, :, :3]
    above = np.linalg.norm(R[:, 0] - (R[:, 1] + R[:, 4]) / 2, axis=-1)
    assert np.median(above) > 0.02
    assert np.median(angles(R)) < 10
    with pytest.raises(ValueError, match="joint_definitions='coco'"):
        convert_mocap([C2S], str(tmp_path / 'bad'), test_groups=['test'],
                      joint_definitions='coco')


def test_a_build_in_other_joint_definitions_is_rebuilt(tmp_path):
    """A data root built in the rigs' definitions (as before the open
    benchmark moved to Human3.6M's) is stale for the default build and is
    rebuilt; the same settings are kept."""
    from mmzedo.datasets.mocap import build_open_benchmark
    root = str(tmp_path)
    old = build_open_benchmark(root, ['h36m-like'], mocap_dir=MOCAP_DIR,
                               joint_definitions=None)['h36m-like']
    assert old['joint_definitions'] == 'rig'
    new = build_open_benchmark(root, ['h36m-like'],
                               mocap_dir=MOCAP_DIR)['h36m-like']
    assert new['joint_definitions'] == 'h36m'
    S = _load_split(osp.join(root, 'h36m-like'), 'test')['S'][:, :, :3]
    assert np.abs(S[:, 0] - (S[:, 1] + S[:, 4]) / 2).max() < 1e-9
    ann = osp.join(root, 'h36m-like', new['files']['test']['annotation'])
    before = os.stat(ann).st_mtime_ns
    build_open_benchmark(root, ['h36m-like'], mocap_dir=MOCAP_DIR)
    assert os.stat(ann).st_mtime_ns == before  # up to date: kept


def _write(tmp_path, name='bad.npz', **arrays):
    path = str(tmp_path / name)
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize('case, message', [
    ('joints16', 'expected 17 joints'),
    ('nan', 'NaN'),
    ('millimetres', 'millimetres'),
    ('empty', 'empty'),
    ('no_lengths', 'missing arrays'),
    ('bad_lengths', 'add up'),
    ('shape', 'shape'),
])
def test_bad_input_clear_errors(tmp_path, case, message):
    joints = load_mocap(C2S)['joints'][:100].astype(np.float32)
    arrays = dict(joints=joints, seq_lengths=np.array([100]))
    if case == 'joints16':
        arrays['joints'] = joints[:, :16]
    elif case == 'nan':
        joints[40, 3, 1] = np.nan
    elif case == 'millimetres':
        arrays['joints'] = joints * 1000
    elif case == 'empty':
        arrays = dict(joints=np.zeros((0, 17, 3)), seq_lengths=np.zeros(0))
    elif case == 'no_lengths':
        arrays.pop('seq_lengths')
    elif case == 'bad_lengths':
        arrays['seq_lengths'] = np.array([60])
    elif case == 'shape':
        arrays['joints'] = joints.reshape(100, -1)
    path = _write(tmp_path, **arrays)
    with pytest.raises(MocapFormatError, match=message):
        convert_mocap([path], str(tmp_path / 'out'), test_groups=['x'])


def test_a_bare_npy_array_is_named(tmp_path):
    path = tmp_path / 'poses.npy'
    np.save(path, load_mocap(C2S)['joints'][:10])
    with pytest.raises(MocapFormatError, match=r'a single array of shape '
                       r'\[10, 17, 3\] \(.npy\).*np.savez'):
        convert_mocap([str(path)], str(tmp_path / 'out'), test_groups=['x'])


def test_empty_split_and_missing_split_errors(tmp_path):
    with pytest.raises(ValueError, match='No test split'):
        convert_mocap([C2S], str(tmp_path))
    with pytest.raises(ValueError, match='test split is empty'):
        convert_mocap([C2S], str(tmp_path), test_groups=['nonexistent'],
                      verbose=False)
    with pytest.raises(KeyError, match='Unknown camera rig'):
        convert_mocap([C2S], str(tmp_path), rig='fisheye',
                      test_groups=['test'])


def test_bandai_cross_dataset_benchmark(tmp_path):
    """The cross-dataset benchmark from the real Bandai file beside the
    bundled ones: its own skeleton (not retargeted), test split = dataset 1
    with its actions as categories, test-only rigs, and what the analysis
    tools read."""
    from mmzedo.datasets.mocap import (BANDAI_BENCHMARK, SHARED_MOCAP,
                                       build_bandai_benchmark, load_mocap)
    src = osp.join(SHARED_MOCAP, 'bandai.npz')
    if not osp.isfile(src):
        pytest.skip(f'{src} is not here (shared/data/mocap)')
    out = build_bandai_benchmark(str(tmp_path), ['telephoto'])
    summary = out['telephoto']
    assert set(summary['files']) == {'test'}  # test only off the h36m rig
    assert not summary['retarget']
    assert set(summary['subjects'].values()) == {'bandai:dataset-1'}
    root = tmp_path / 'telephoto'
    ann = np.load(root / summary['files']['test']['annotation'])
    S = ann['S'][..., :3]
    # Bandai's own skeleton: the source's bone lengths, not Human3.6M's.
    mocap = load_mocap(src)
    lengths = np.median(bone_lengths(mocap['joints'][::50]), 0)
    np.testing.assert_allclose(np.median(bone_lengths(S), 0), lengths,
                               atol=2e-3)
    assert abs(np.median(bone_lengths(S), 0)[0] - H36M_BONE_LENGTHS[1]) > .05
    actions = {name.split('/')[1].split('.')[0].split('_')[1]
               for name in ann['imgname']}
    assert {'Bow', 'Walk', 'WalkBack', 'Kick', 'DanceShort'} <= actions
    assert not any(a.startswith('Dataset') for a in actions)
    # What the analysis tools read: 2D, cameras, actions.
    from mmzedo.analysis import load_test_split
    kp, conf, f, c, gt, acts = load_test_split(
        'telephoto', True, 64, str(tmp_path), name='bandai',
        fps=BANDAI_BENCHMARK['fps'], actions=True)
    assert kp.shape == (64, 17, 2) and gt.shape == (64, 17, 3)
    assert set(acts) <= actions and len(set(acts)) > 3
    assert conf.mean() < 0.97 and np.allclose(gt[:, 0], 0)  # detector-like
    # Built once: a second call keeps the files.
    mtime = (root / 'meta.json').stat().st_mtime_ns
    build_bandai_benchmark(str(tmp_path), ['telephoto'])
    assert (root / 'meta.json').stat().st_mtime_ns == mtime


def test_one_split_and_action_pattern(tmp_path):
    """``splits`` writes only the splits asked for; ``action_pattern``
    names each category from the sequence name."""
    from mmzedo.datasets.mocap import convert_mocap
    src = osp.join(MOCAP_DIR, 'cmu_c2s.npz')
    s = convert_mocap([src], str(tmp_path), name='c2s', fps=10,
                      test_groups=['test'], splits=['train'],
                      action_pattern=r'^[a-z]+-([a-z]+)_', verbose=False)
    assert set(s['files']) == {'train'}
    assert not (tmp_path / 'annotation_body3d' / 'fps10' /
                'c2s_test.npz').exists()
    ann = np.load(tmp_path / s['files']['train']['annotation'])
    cats = {n.split('/')[1].split('.')[0].split('_')[1]
            for n in ann['imgname']}
    assert 'Basketball' in cats and 'Walking' in cats
    with pytest.raises(ValueError, match='finds no action'):
        convert_mocap([src], str(tmp_path / 'x'), test_groups=['test'],
                      action_pattern=r'^(\d+)_', verbose=False)
    with pytest.raises(ValueError, match='splits must be'):
        convert_mocap([src], str(tmp_path / 'y'), test_groups=['test'],
                      splits=['val'], verbose=False)
