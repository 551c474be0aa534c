# Copyright (c) mmzedo contributors. All rights reserved.
import os.path as osp

import numpy as np
import pytest

from mmzedo.datasets.transforms import RandomBoneScale, RandomRotation3D
from mmzedo.utils import FLIP_INDICES, LEFT_RIGHT_BONES, PARENTS, bone_lengths
from ..conftest import MOCAP_DIR


@pytest.fixture
def results():
    j = np.load(osp.join(MOCAP_DIR, 'cmu_iclone.npz'))['joints'][100:101]
    return dict(lifting_target=j.astype(np.float32) + np.float32([0, 0, 5]))


@pytest.mark.parametrize('axis', ['x', 'y', 'z', 'full'])
def test_rotation_keeps_root_and_bones(results, axis):
    np.random.seed(0)
    before = results['lifting_target'].copy()
    out = RandomRotation3D(axis=axis)(dict(results))['lifting_target']
    np.testing.assert_allclose(out[:, 0], before[:, 0], atol=1e-6)
    np.testing.assert_allclose(bone_lengths(out), bone_lengths(before),
                               atol=1e-5)
    assert np.abs(out - before).max() > 1e-2
    if axis != 'full':
        k = 'xyz'.index(axis)
        np.testing.assert_allclose(out[..., k], before[..., k], atol=1e-6)


def test_rotation_bad_axis():
    with pytest.raises(ValueError, match='axis'):
        RandomRotation3D(axis='w')


def test_bone_scale_keeps_directions_and_symmetry(results):
    np.random.seed(1)
    target = results['lifting_target']
    # Make the source exactly symmetric to check symmetry is preserved.
    sym = bone_lengths(target)[0]
    sym = (sym + sym[FLIP_INDICES[1:] - 1]) / 2
    from mmzedo.datasets.mocap import retarget_bone_lengths
    target = retarget_bone_lengths(target, np.r_[0., sym]).astype(np.float32)
    out = RandomBoneScale(prob=1.0)(dict(lifting_target=target))
    out = out['lifting_target']
    lb, lo = bone_lengths(target)[0], bone_lengths(out)[0]
    assert not np.allclose(lb, lo)
    assert np.abs(lo / lb - 1).max() <= 0.2 + 1e-6
    for left, right in LEFT_RIGHT_BONES:
        assert lo[left - 1] == pytest.approx(lo[right - 1], rel=1e-5)
    d_in = target[0, 1:] - target[0, PARENTS[1:]]
    d_out = out[0, 1:] - out[0, PARENTS[1:]]
    cos = (d_in * d_out).sum(-1) / lb / lo
    assert cos.min() > 1 - 1e-5


def test_bone_scale_wrong_joint_count():
    with pytest.raises(ValueError, match='17 joints'):
        RandomBoneScale(prob=1.0)(
            dict(lifting_target=np.zeros((1, 16, 3), np.float32)))
