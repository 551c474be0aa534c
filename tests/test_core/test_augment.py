# Copyright (c) mmzedo contributors. All rights reserved.
"""Batched augmentation (plain torch) on real bundled mocap poses."""
import os.path as osp

import numpy as np
import pytest
import torch

from mmzedo.core import (BODY_PARTS, augment_poses, body_frame, flip_poses,
                         hip_flexion, knee_flexion, low_pose_mask, mix_parts,
                         perturb_joint_angles, resolve_augment_cfg,
                         rotate_poses, scale_bones, seat_poses, tilt_poses)
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


@pytest.fixture(scope='module')
def all_poses():
    """Root-relative poses of the three bundled CMU files (three
    skeletons, all left/right symmetric)."""
    out = []
    for name in ('cmu_c2s', 'cmu_acrnn', 'cmu_iclone'):
        j = np.load(osp.join(MOCAP_DIR, f'{name}.npz'))['joints'][::25]
        out.append(j - j[:, :1])
    return torch.from_numpy(np.concatenate(out)).float()


def _assert_valid_human(out, src, atol=2e-5, own_knees=True):
    """Same bone lengths as the source poses (so the same proportions and
    left/right symmetry), same root, finite, knees never bent backwards
    past the limit unless the source pose was (``own_knees``; else: unless
    the batch's worst source pose was, for limbs taken from others)."""
    from mmzedo.core.augment import KNEE_HYPEREXTENSION_LIMIT
    assert torch.isfinite(out).all()
    torch.testing.assert_close(_lengths(out), _lengths(src), atol=atol,
                               rtol=0)
    # Left/right symmetry as in the source (the mocap's own).
    left, right = (torch.tensor(s) - 1 for s in zip(*LEFT_RIGHT_BONES))
    asym = (lambda p: _lengths(p)[:, left] - _lengths(p)[:, right])  # noqa
    torch.testing.assert_close(asym(out), asym(src), atol=2 * atol, rtol=0)
    torch.testing.assert_close(out[:, 0], src[:, 0])
    back = -knee_flexion(out)
    allowed = torch.clamp(-knee_flexion(src), min=KNEE_HYPEREXTENSION_LIMIT)
    if not own_knees:
        allowed = allowed.max()
    assert (back <= allowed + 1e-3).all()


def test_knee_flexion_sign_on_real_mocap(all_poses):
    """Real knees bend forwards: the measure is positive when they bend,
    and hardly ever below -10 degrees."""
    k = knee_flexion(all_poses)
    assert (k > -KNEE_LIMIT).float().mean() > 0.99
    assert (k > 20).float().mean() > 0.2  # many bent knees, positive
    # Bending a straight leg the human way (shin backwards) is positive.
    leg = torch.tensor([[0., 0., 0.], [-.1, 0., 0.], [-.1, -.45, 0.],
                        [-.1, -.9, 0.], [.1, 0., 0.], [.1, -.45, 0.],
                        [.1, -.9, 0.]] + [[0., .5, 0.]] * 10)[None]
    # Left is +x and up +y, so this body faces +z: a human bend sends the
    # right ankle backwards, to -z; the other way is a hyperextension.
    bent, back = leg.clone(), leg.clone()
    bent[0, 3] = torch.tensor([-.1, -.45 - .45 * np.cos(.5),
                               -.45 * np.sin(.5)])
    back[0, 3] = bent[0, 3] * torch.tensor([1., 1., -1.])
    assert knee_flexion(bent)[0, 0] == pytest.approx(np.rad2deg(.5), abs=.1)
    assert knee_flexion(back)[0, 0] == pytest.approx(-np.rad2deg(.5), abs=.1)
    assert abs(float(knee_flexion(leg)[0, 1])) < 1e-4


KNEE_LIMIT = 10.


def test_part_mixing_takes_a_donors_limbs_in_the_body_frame(all_poses):
    g = torch.Generator().manual_seed(0)
    x = all_poses
    out = mix_parts(x, prob=1.0, parts=('legs', ), generator=g)
    _assert_valid_human(out, x, own_knees=False)
    # A mixed pose's knees are its donor's: as often bent backwards as the
    # real poses'.
    worse = (-knee_flexion(out) > KNEE_LIMIT).float().mean()
    assert worse <= (-knee_flexion(x) > KNEE_LIMIT).float().mean() + 0.01
    legs, frame = BODY_PARTS['legs']
    # The upper body is untouched.
    upper = [j for j in range(17) if j not in legs]
    torch.testing.assert_close(out[:, upper], x[:, upper])
    # Each pose's leg bones, seen in its pelvis frame, are some pose's.
    from mmzedo.utils import PARENTS

    def local_dirs(p):
        b = p[:, list(legs)] - p[:, PARENTS[list(legs)]]
        b = b / b.norm(dim=-1, keepdim=True)
        return b @ body_frame(p, frame)  # [N, 4, 3] in the frame's axes
    d_out, d_in = local_dirs(out), local_dirs(x)
    gap = (d_out[:, None] - d_in[None]).norm(dim=-1).amax(-1).amin(1)
    assert gap.max() < 1e-3
    # ... and mostly another pose's: the legs really change.
    changed = (out - x).abs().flatten(1).amax(1) > 1e-3
    assert changed.float().mean() > 0.9
    half = mix_parts(x, prob=0.5, generator=g)
    _assert_valid_human(half, x, own_knees=False)
    changed = (half - x).abs().flatten(1).amax(1) > 1e-3
    assert 0.4 < changed.float().mean() < 0.6
    arms = mix_parts(x, prob=1.0, parts=('arms', ), generator=g)
    moved = ((arms - x).abs().amax(-1) > 1e-4).any(0).nonzero().ravel()
    assert set(moved.tolist()) == set(BODY_PARTS['arms'][0])
    with pytest.raises(ValueError, match='unknown body parts'):
        mix_parts(x, parts=('tail', ))
    with pytest.raises(ValueError, match='17 joints'):
        mix_parts(x[:, :16])


def test_joint_angle_perturbation_stays_human(all_poses):
    g = torch.Generator().manual_seed(0)
    x = all_poses
    out = perturb_joint_angles(x, prob=1.0, std=10., clip=25., generator=g)
    _assert_valid_human(out, x)
    from mmzedo.utils import PARENTS
    bones_in = x[:, 1:] - x[:, PARENTS[1:]]
    bones_out = out[:, 1:] - out[:, PARENTS[1:]]
    angle = torch.rad2deg(torch.acos(
        torch.nn.functional.cosine_similarity(bones_in, bones_out,
                                              dim=-1).clamp(-1, 1)))
    # The torso and hips do not turn; a limb turns at most by the clips
    # of its chain (two joints: 50 degrees); the thighs by about std.
    torso = [0, 3, 6, 7, 10, 13]  # bones ending at 1, 4, 7, 8, 11, 14
    assert angle[:, torso].max() < 0.05
    assert angle.max() <= 50. + 0.05
    thighs = angle[:, [1, 4]]
    kept = (out - x).abs().flatten(1).amax(1) < 1e-6
    assert 5. < thighs[~kept].mean() < 15.
    # Few poses fall back to their own angles (knee past the limit).
    assert kept.float().mean() < 0.3
    some = perturb_joint_angles(x, prob=0.5, generator=g)
    changed = (some - x).abs().flatten(1).amax(1) > 1e-6
    assert 0.3 < changed.float().mean() < 0.6


def test_tilt_pitches_and_rolls_the_whole_body(all_poses):
    g = torch.Generator().manual_seed(0)
    x = all_poses
    out = tilt_poses(x, prob=1.0, max_tilt=30., generator=g)
    _assert_valid_human(out, x, atol=1e-4)
    up_in, up_out = x[:, 8] - x[:, 0], out[:, 8] - out[:, 0]
    angle = torch.rad2deg(torch.acos(torch.nn.functional.cosine_similarity(
        up_in, up_out, dim=-1).clamp(-1, 1)))
    assert angle.max() <= 42.5  # two 30-degree turns: at most 42.4
    assert angle.mean() > 10.
    # The body's shape is kept: a rigid turn about the root.
    torch.testing.assert_close(torch.cdist(out, out), torch.cdist(x, x),
                               atol=1e-4, rtol=0)
    torch.testing.assert_close(tilt_poses(x, prob=0.), x)


def _thigh_forward(p):
    """How far each thigh points forwards ``[N, 2]`` (cosine; forwards is
    left x up, the side to which real knees bend)."""
    up = torch.nn.functional.normalize(p[:, 8] - p[:, 0], dim=-1)
    left = torch.nn.functional.normalize(p[:, 4] - p[:, 1], dim=-1)
    fwd = torch.cross(left, up, dim=-1)
    thighs = [torch.nn.functional.normalize(p[:, k] - p[:, h], dim=-1)
              for h, k in ((1, 2), (4, 5))]
    return torch.stack([(t * fwd).sum(-1) for t in thighs], -1)


def test_seated_legs_stay_human_and_look_like_real_sitting(all_poses):
    from mmzedo.core.augment import HIP_FLEXION_LIMIT, KNEE_FLEXION_LIMIT
    g = torch.Generator().manual_seed(0)
    x = all_poses
    out = seat_poses(x, prob=1.0, generator=g)
    _assert_valid_human(out, x)
    # Only the knees and ankles move; the trunk, arms and hips stay.
    moved = ((out - x).abs().amax(-1) > 1e-6).any(0).nonzero().ravel()
    assert set(moved.tolist()) == {2, 3, 5, 6}
    changed = (out - x).abs().flatten(1).amax(1) > 1e-6
    assert changed.float().mean() > 0.6  # few fall back at the limits
    # Changed legs stay within the limits (some real poses are past them:
    # high kicks; those keep their legs).
    assert (hip_flexion(out[changed]) <= HIP_FLEXION_LIMIT + 1e-3).all()
    assert (knee_flexion(out[changed]) <= KNEE_FLEXION_LIMIT + 1e-3).all()
    # The real mocap has few sitting or crouching poses; the lever makes
    # many, and their thighs point forwards as in the real ones.
    low_in, low_out = low_pose_mask(x), low_pose_mask(out)
    assert low_in.float().mean() < 0.05 and low_out.float().mean() > 0.3
    real = _thigh_forward(x[low_in]).mean()
    made = _thigh_forward(out[low_out & ~low_in]).mean()
    assert real > 0.6 and made > 0.6
    # Hips flex by about the sampled angle (30-100 degrees, mean 65).
    gain = (hip_flexion(out) - hip_flexion(x))[changed].mean()
    assert 40. < gain < 80.
    torch.testing.assert_close(seat_poses(x, prob=0.), x)
    half = seat_poses(x, prob=0.5, generator=g)
    share = ((half - x).abs().flatten(1).amax(1) > 1e-6).float().mean()
    assert 0.3 < share < 0.55


def test_augment_poses_with_every_lever(all_poses):
    g = torch.Generator().manual_seed(0)
    # (no flip: it swaps left and right bones, tested above)
    out = augment_poses(all_poses, generator=g, flip_prob=0., mix_prob=0.5,
                        angle_prob=0.5, tilt_prob=0.3, seat_prob=0.2)
    _assert_valid_human(out, all_poses, atol=1e-4, own_knees=False)
    assert not torch.allclose(out, all_poses)
