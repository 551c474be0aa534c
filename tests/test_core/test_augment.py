# Copyright (c) mmzedo contributors. All rights reserved.
"""Batched augmentation (plain torch) on real bundled mocap poses."""
import os.path as osp

import numpy as np
import pytest
import torch

from mmzedo.core import (augment_poses, flip_poses, resolve_augment_cfg,
                         rotate_poses, scale_bones)
from mmzedo.utils import FLIP_INDICES, LEFT_RIGHT_BONES, bone_lengths
from ..conftest import MOCAP_DIR


@pytest.fixture(scope='module')
def poses():
    j = np.load(osp.join(MOCAP_DIR, 'cmu_acrnn.npz'))['joints'][::20]
    return torch.from_numpy(j - j[:, :1]).float()


def _lengths(x):
    return torch.from_numpy(bone_lengths(x.numpy()))


def test_flip_mirrors_and_swaps(poses):
    g = torch.Generator().manual_seed(0)
    out = flip_poses(poses, prob=1.0, generator=g)
    torch.testing.assert_close(out[:, :, 0], -poses[:, FLIP_INDICES, 0])
    torch.testing.assert_close(out[:, :, 1:], poses[:, FLIP_INDICES, 1:])
    torch.testing.assert_close(flip_poses(out, 1.0), poses)
    assert torch.equal(flip_poses(poses, prob=0.0), poses)
    half = flip_poses(poses, prob=0.5, generator=g)
    share = (half != poses).flatten(1).any(1).float().mean()
    assert 0.4 < share < 0.6


def test_rotation_about_vertical_keeps_bones_and_height(poses):
    g = torch.Generator().manual_seed(0)
    out = rotate_poses(poses, 'y', 180., generator=g)
    torch.testing.assert_close(out[..., 1], poses[..., 1])
    torch.testing.assert_close(_lengths(out), _lengths(poses), atol=1e-5,
                               rtol=1e-5)
    # Angles cover the whole circle: the mean heading change is ~0.
    a = torch.atan2(poses[:, 4, 2] - poses[:, 1, 2],
                    poses[:, 4, 0] - poses[:, 1, 0])
    b = torch.atan2(out[:, 4, 2] - out[:, 1, 2], out[:, 4, 0] - out[:, 1, 0])
    assert abs(torch.cos(b - a).mean()) < 0.1
    full = rotate_poses(poses, 'full', generator=g)
    torch.testing.assert_close(_lengths(full), _lengths(poses), atol=1e-5,
                               rtol=1e-5)
    assert not torch.allclose(full[..., 1], poses[..., 1])
    small = rotate_poses(poses, 'x', 10., generator=g)
    cos = torch.nn.functional.cosine_similarity(small[:, 10], poses[:, 10],
                                                dim=-1)
    assert cos.min() > np.cos(np.deg2rad(10.01))
    with pytest.raises(ValueError, match='rotation axis'):
        rotate_poses(poses, 'w')


def test_bone_scaling_is_symmetric_and_keeps_directions(poses):
    g = torch.Generator().manual_seed(0)
    out = scale_bones(poses, prob=1.0, global_std=0.1, bone_std=0.1,
                      clip=0.2, generator=g)
    ratio = _lengths(out) / _lengths(poses)
    assert ratio.min() >= 0.8 - 1e-5 and ratio.max() <= 1.2 + 1e-5
    assert ratio.std() > 0.05  # it really scales
    for left, right in LEFT_RIGHT_BONES:
        torch.testing.assert_close(ratio[:, left - 1], ratio[:, right - 1])
    from mmzedo.utils import PARENTS
    bones_in = poses[:, 1:] - poses[:, PARENTS[1:]]
    bones_out = out[:, 1:] - out[:, PARENTS[1:]]
    cos = torch.nn.functional.cosine_similarity(bones_in, bones_out, dim=-1)
    assert cos.min() > 1 - 1e-4
    assert torch.equal(out[:, 0], poses[:, 0])
    some = scale_bones(poses, prob=0.5, generator=g)
    changed = (some - poses).abs().flatten(1).amax(1) > 1e-6
    assert 0.4 < changed.float().mean() < 0.6
    with pytest.raises(ValueError, match='17 joints'):
        scale_bones(poses[:, :16])


def test_augment_poses_settings(poses):
    g = torch.Generator().manual_seed(0)
    out = augment_poses(poses, generator=g)
    assert out.shape == poses.shape and torch.isfinite(out).all()
    off = augment_poses(poses, flip_prob=0., max_angle=0.,
                        bone_scale_prob=0.)
    assert torch.equal(off, poses)
    with pytest.raises(TypeError, match='flip_probability'):
        resolve_augment_cfg(dict(flip_probability=0.5))
