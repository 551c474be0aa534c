# Copyright (c) mmzedo contributors. All rights reserved.
"""Human3.6M's joint definitions on real motion capture: the pelvis at the
hips' midpoint and joint 9 the nose, as in the real Human3.6M frames of
mmpose's test data; what a prior trained on them gains there."""
import os.path as osp
import pickle

import numpy as np
import pytest

from mmzedo.datasets.mocap import (NOSE_FORWARD_DEG, h36m_joint_definitions,
                                   retarget_bone_lengths)
from mmzedo.utils import H36M_BONE_LENGTHS, PARENTS, bone_lengths
from ..conftest import MOCAP_DIR

FIXTURE = osp.join(osp.dirname(__file__), '..', 'data', 'mmpose-fixtures',
                   'h36m')
REPO = osp.join(osp.dirname(__file__), '..', '..')


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _h36m_frames():
    d = np.load(osp.join(FIXTURE, 'test_h36m_body3d.npz'))
    return d, d['S'][..., :3].astype(np.float64)


@pytest.mark.parametrize('source', ['cmu_c2s', 'cmu_acrnn', 'cmu_iclone'])
def test_mocap_moved_to_h36m_definitions(source):
    raw = np.load(osp.join(MOCAP_DIR, f'{source}.npz'))['joints'][::25].astype(
        np.float64)
    src = retarget_bone_lengths(raw)  # as the open benchmark has them
    out = h36m_joint_definitions(raw)
    # the pelvis is the hips' midpoint (the rigs' root is 2-11 cm above)
    mid = (out[:, 1] + out[:, 4]) / 2
    assert np.abs(out[:, 0] - mid).max() < 1e-9
    assert np.median(np.linalg.norm(
        (src[:, 1] + src[:, 4]) / 2 - src[:, 0], axis=-1)) > 0.015
    # Human3.6M's bone lengths, left and right alike
    np.testing.assert_allclose(bone_lengths(out),
                               np.broadcast_to(H36M_BONE_LENGTHS[1:],
                                               (len(out), 16)), atol=1e-9)
    # limbs, spine and shoulders keep their directions
    for j in (2, 3, 5, 6, 8, 11, 12, 13, 14, 15, 16):
        p = PARENTS[j]
        cos = (_unit(out[:, j] - out[:, p]) *
               _unit(raw[:, j] - raw[:, p])).sum(-1)
        assert cos.min() > 1 - 1e-6, j
    # the nose leans NOSE_FORWARD_DEG off the thorax -> head top line, on
    # the side the toes point to (forward), while the rigs' joint 9 lies
    # close to that line
    up = _unit(out[:, 10] - out[:, 8])
    ang = np.degrees(np.arccos((_unit(out[:, 9] - out[:, 8]) * up).sum(-1)))
    np.testing.assert_allclose(ang, NOSE_FORWARD_DEG, atol=1e-6)
    # forward, independently of the shoulders: a bent knee sticks out in
    # front of the line from the hip to the ankle
    knee_out = out[:, [2, 5]] - (out[:, [1, 4]] + out[:, [3, 6]]) / 2
    bent = np.linalg.norm(knee_out, axis=-1).min(-1) > 0.04
    ahead = (out[:, 9] - out[:, 8] - up * ((out[:, 9] - out[:, 8]) * up)
             .sum(-1, keepdims=True))
    facing = (ahead[:, None] * knee_out).sum(-1).mean(-1)
    assert bent.sum() > 20 and (facing[bent] > 0).mean() > 0.9
    src_ang = np.degrees(np.arccos((_unit(src[:, 9] - src[:, 8]) * _unit(
        src[:, 10] - src[:, 8])).sum(-1)))
    assert np.median(src_ang) < NOSE_FORWARD_DEG / 2


def test_real_h36m_frames_keep_their_definitions():
    _, S = _h36m_frames()
    out = h36m_joint_definitions(S, lengths=None)
    # pelvis, limbs, spine and shoulders stay where Human3.6M has them
    keep = [j for j in range(17) if j not in (9, 10)]
    assert np.abs(out[:, keep] - S[:, keep]).max() < 1e-6
    np.testing.assert_allclose(bone_lengths(out), bone_lengths(S),
                               atol=1e-5)
    # the placed nose is nearer Human3.6M's than a neck joint on the
    # thorax -> head top line (the rigs' definition) would be
    up = _unit(S[:, 10] - S[:, 8])
    on_line = S[:, 8] + up * np.linalg.norm(S[:, 9] - S[:, 8], axis=-1,
                                            keepdims=True)
    placed = np.linalg.norm(out[:, 9] - S[:, 9], axis=-1)
    line = np.linalg.norm(on_line - S[:, 9], axis=-1)
    assert (placed < line).all() and placed.mean() < 0.5 * line.mean()


def test_bad_poses_named():
    with pytest.raises(ValueError, match=r'\[\.\.\., 17, 3\]'):
        h36m_joint_definitions(np.zeros((4, 16, 3)))


def test_prior_on_h36m_definitions_lifts_real_h36m_better():
    """The default prior, trained on the open poses in Human3.6M's joint
    definitions, lifts the 4 real Human3.6M frames (annotated 2D, real
    cameras) better than the prior trained on the same poses in the
    capture rigs' definitions, on every frame, each with its own
    anchors."""
    from mmzedo.analysis import lift_poses, load_prior_and_anchor
    from mmzedo.utils.shipped import (ANCHOR_FILES, SHIPPED_PRIOR,
                                      anchor_files_for)
    d, S = _h36m_frames()
    with open(osp.join(FIXTURE, 'cameras.pkl'), 'rb') as f:
        cams = pickle.load(f)
    f, c = [], []
    for name in d['imgname']:
        subject, folder = name.split('/')[:2]
        cam = cams[(subject, folder.split('.')[-1])]
        f.append(np.ravel(cam['f']))
        c.append(np.ravel(cam['c']))
    gt = S - S[:, :1]
    data = (d['part'][..., :2], np.ones(d['part'].shape[:2]), np.array(f),
            np.array(c), gt)
    from ..conftest import RIG_JOINTS_PRIOR as rig
    assert anchor_files_for(SHIPPED_PRIOR) == ANCHOR_FILES
    assert anchor_files_for(rig) != ANCHOR_FILES
    errs = {}
    for name in (SHIPPED_PRIOR, rig):
        anchors = anchor_files_for(name).format(1)
        assert osp.isfile(anchors), anchors
        pred, _ = lift_poses(*load_prior_and_anchor(name), data)
        errs[name] = 1000 * np.linalg.norm(pred - gt, axis=-1).mean(1)
    assert (errs[SHIPPED_PRIOR] < errs[rig]).all(), errs
    assert errs[SHIPPED_PRIOR].mean() < 0.9 * errs[rig].mean(), errs


def test_head_takes_the_anchors_of_its_prior():
    """The ZeDO configs name no anchors: the head loads the shipped ones
    of its prior for its number of hypotheses, so a prior set with
    --cfg-options brings its own."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS

    import mmzedo  # noqa: F401
    from mmzedo.core.anchors import load_anchors
    from mmzedo.utils.shipped import (ANCHOR_FILES, anchor_file_for,
                                      anchor_files_for)
    init_default_scope('mmpose')
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'zedo',
                                   'zedo_S10_gt2d_h36m.py'))
    head = cfg.model.head
    assert head.anchors is None and head.num_hypotheses == 10
    rig = 'checkpoints/prior_mlp-512x2_subvp-t01_open-cmu.pth'
    for prior, files in ((head.prior_checkpoint, ANCHOR_FILES),
                         (rig, anchor_files_for(rig))):
        built = MODELS.build(dict(head, prior_checkpoint=osp.join(REPO,
                                                                  prior)))
        want = load_anchors(files.format(10))['anchors']
        np.testing.assert_allclose(built.anchors.numpy(), want, atol=1e-6)
    assert anchor_file_for(rig, 5) == anchor_files_for(rig).format(10)
    with pytest.raises(ValueError, match='at most 50'):
        anchor_file_for(rig, 51)
