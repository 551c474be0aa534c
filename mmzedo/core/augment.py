# Copyright (c) mmzedo contributors. All rights reserved.
"""Batched 3D pose augmentation for training the prior (plain torch).

Each function takes root-relative poses ``[B, J, 3]`` (camera frame, metres;
Human3.6M layout for the skeleton-aware ones), works on their device and
returns new poses; randomness comes from an optional ``torch.Generator``.
They are the batched counterparts of mmpose's ``RandomFlipAroundRoot`` and
mmzedo's ``RandomRotation3D`` / ``RandomBoneScale`` transforms:

- :func:`flip_poses`: mirror ``x`` about the root and swap left/right.
- :func:`rotate_poses`: rotate about the root (one axis or all of SO(3)).
- :func:`scale_bones`: a global body scale times symmetric per-bone
  factors, keeping every bone's direction.
- :func:`mix_parts`: one pose's legs or arms on another pose's body (the
  donor's limb directions turned into the body's pelvis or chest frame,
  the body's own bone lengths kept).
- :func:`perturb_joint_angles`: small random rotations of the limbs and
  the head about their parent joints, bone lengths kept, knees never bent
  backwards further than :data:`KNEE_HYPEREXTENSION_LIMIT`.
- :func:`tilt_poses`: pitch and roll of the whole body (leaning, bending,
  lying).
- :func:`seat_poses`: both legs flexed at hips and knees (sitting,
  crouching, squatting), within human joint limits.
- :func:`augment_poses`: all of them, from one settings dict.
"""
from functools import lru_cache
from typing import Optional, Sequence

import torch
from torch import Tensor

from mmzedo.utils.skeleton import FLIP_INDICES, PARENTS
from .settings import merge_settings
from .rotations import _AXES, _axis_quaternion, quaternion_to_matrix

#: Joints whose parent bone (and everything below it) may turn under
#: :func:`perturb_joint_angles`: hips' children (thighs, shins), neck and
#: head, upper arms and forearms.
LIMB_JOINTS = (2, 3, 5, 6, 9, 10, 12, 13, 15, 16)
#: The body parts :func:`mix_parts` moves: (joints taken from the donor,
#: the frame they are expressed in as (root, left, right, up) joints).
BODY_PARTS = dict(
    legs=((2, 3, 5, 6), (0, 4, 1, 7)),
    arms=((12, 13, 15, 16), (8, 11, 14, 9)))
#: The furthest a knee may bend backwards (degrees) after
#: :func:`perturb_joint_angles`; poses past it keep their original angles.
KNEE_HYPEREXTENSION_LIMIT = 10.
#: The most a knee may bend (degrees) after :func:`seat_poses`.
KNEE_FLEXION_LIMIT = 150.
#: The most a hip may flex (degrees, thigh against the trunk's downward
#: direction) after :func:`seat_poses`.
HIP_FLEXION_LIMIT = 130.

#: :func:`augment_poses`' settings and their defaults (flips and yaw
#: rotations; every other step is off unless a config switches it on).
AUGMENT_DEFAULTS = dict(
    flip_prob=0.5,
    rotation_axis='y',
    max_angle=180.,
    bone_scale_prob=0.,
    global_std=0.05,
    bone_std=0.05,
    clip=0.2,
    mix_prob=0.,
    mix_parts=('legs', 'arms'),
    angle_prob=0.,
    angle_std=10.,
    angle_clip=25.,
    tilt_prob=0.,
    max_tilt=30.,
    seat_prob=0.,
    seat_hip=(30., 100.),
    seat_knee=(0.7, 1.6))


def _rand(shape, x: Tensor, generator: Optional[torch.Generator]) -> Tensor:
    return torch.rand(shape, generator=generator, device=x.device,
                      dtype=x.dtype)


def _randn(shape, x: Tensor, generator: Optional[torch.Generator]) -> Tensor:
    return torch.randn(shape, generator=generator, device=x.device,
                       dtype=x.dtype)


def flip_poses(x: Tensor,
               prob: float = 0.5,
               flip_indices: Sequence[int] = tuple(FLIP_INDICES),
               generator: Optional[torch.Generator] = None) -> Tensor:
    """Mirror each pose with probability ``prob``: negate ``x`` (about the
    root, which is at the origin) and swap left and right joints."""
    flipped = x[:, list(flip_indices)] * x.new_tensor([-1., 1., 1.])
    mask = _rand((len(x), 1, 1), x, generator) < prob
    return torch.where(mask, flipped, x)


def rotation_matrices(n: int, x: Tensor, axis: str = 'y',
                      max_angle: float = 180.,
                      generator: Optional[torch.Generator] = None) -> Tensor:
    """``n`` random rotations ``[n, 3, 3]`` (like ``x``): about one
    coordinate ``axis`` by an angle uniform in ``[-max_angle, max_angle]``
    degrees, or uniform over SO(3) for ``axis='full'``."""
    if axis == 'full':  # a normalised Gaussian 4-vector: uniform on SO(3)
        q = _axis_quaternion(_randn((n, 4), x, generator), 'xyz')
    elif axis in _AXES:
        angle = (2 * _rand((n, 1), x, generator) - 1) * torch.deg2rad(
            x.new_tensor(max_angle))
        q = _axis_quaternion(angle, axis)
    else:
        raise ValueError(f'rotation axis must be x, y, z or full, got '
                         f'"{axis}".')
    return quaternion_to_matrix(q)


def rotate_poses(x: Tensor,
                 axis: str = 'y',
                 max_angle: float = 180.,
                 generator: Optional[torch.Generator] = None) -> Tensor:
    """Rotate each root-relative pose about the root by its own random
    rotation (see :func:`rotation_matrices`)."""
    R = rotation_matrices(len(x), x, axis, max_angle, generator)
    return x @ R.transpose(1, 2)


@lru_cache(maxsize=None)
def _path_matrix(parents: Sequence[int]) -> Tensor:
    """``M[j, k] = 1`` where the bone ending at joint ``k`` lies on the path
    from the root to joint ``j`` (so ``pose = root + M @ bones``); built
    once per skeleton (``parents`` a tuple)."""
    n = len(parents)
    M = torch.zeros(n, n)
    for j in range(n):
        k = j
        while parents[k] >= 0:
            M[j, k] = 1
            k = parents[k]
    return M


def _bones(x: Tensor, parents: Sequence[int]) -> Tensor:
    """Bone vectors ``[B, J, 3]`` (joint minus parent; the root's is 0)."""
    par = torch.as_tensor(parents, device=x.device).clamp(min=0)
    return x - x[:, par]


def _from_bones(root: Tensor, bones: Tensor,
                parents: Sequence[int]) -> Tensor:
    """Poses from a root ``[B, 1, 3]`` and bone vectors ``[B, J, 3]``."""
    M = _path_matrix(tuple(int(p) for p in parents)).to(bones.device,
                                                        bones.dtype)
    return root + M @ bones


def _check_joints(x: Tensor, parents: Sequence[int], what: str) -> None:
    if x.ndim != 3 or x.shape[1:] != (len(parents), 3):
        raise ValueError(f'{what} expects {len(parents)} joints (poses '
                         f'[B, {len(parents)}, 3]), got {list(x.shape)}.')


def with_bone_lengths(x: Tensor,
                      lengths: Tensor,
                      parents: Sequence[int] = tuple(PARENTS)) -> Tensor:
    """Poses ``[B, J, 3]`` with their bone directions and root kept and
    their bones set to ``lengths`` (``[J - 1]`` or ``[B, J - 1]``: the bones
    ending at joints 1..J-1, as :func:`mmzedo.utils.bone_lengths`)."""
    _check_joints(x, parents, 'with_bone_lengths')
    bones = _bones(x, parents)
    norm = bones[:, 1:].norm(dim=-1, keepdim=True).clamp(min=1e-9)
    lengths = torch.as_tensor(lengths, dtype=x.dtype, device=x.device)
    bones = torch.cat([bones[:, :1], bones[:, 1:] / norm *
                       lengths.expand(len(x), -1)[..., None]], 1)
    return _from_bones(x[:, :1], bones, parents)


def scale_bones(x: Tensor,
                prob: float = 0.5,
                global_std: float = 0.05,
                bone_std: float = 0.05,
                clip: float = 0.2,
                parents: Sequence[int] = tuple(PARENTS),
                flip_indices: Sequence[int] = tuple(FLIP_INDICES),
                generator: Optional[torch.Generator] = None) -> Tensor:
    """With probability ``prob`` per pose, multiply every bone by a global
    factor ``N(1, global_std)`` times a per-bone factor ``N(1, bone_std)``
    that is the same for a bone and its mirror image (bodies stay
    symmetric), each product clipped to ``[1 - clip, 1 + clip]``; bone
    directions and the root are kept."""
    _check_joints(x, parents, 'scale_bones')
    b, j = x.shape[:2]
    per_bone = 1 + bone_std * _randn((b, j), x, generator)
    per_bone = (per_bone + per_bone[:, list(flip_indices)]) / 2
    factor = per_bone * (1 + global_std * _randn((b, 1), x, generator))
    factor = factor.clamp(1 - clip, 1 + clip)
    factor = torch.where(_rand((b, 1), x, generator) < prob, factor,
                         torch.ones_like(factor))
    return _from_bones(x[:, :1], _bones(x, parents) * factor[..., None],
                       parents)


def body_frame(x: Tensor, joints: Sequence[int]) -> Tensor:
    """Orthonormal frames ``[B, 3, 3]`` (columns: left, up, forward) of
    poses ``[B, J, 3]`` from four joints ``(root, left, right, up)``: the
    first axis points from ``right`` to ``left``, the second towards ``up``
    from ``root`` (made orthogonal to the first)."""
    root, left, right, up = joints
    e1 = torch.nn.functional.normalize(x[:, left] - x[:, right], dim=-1)
    u = x[:, up] - x[:, root]
    e2 = torch.nn.functional.normalize(
        u - (u * e1).sum(-1, keepdim=True) * e1, dim=-1)
    return torch.stack([e1, e2, torch.cross(e1, e2, dim=-1)], -1)


def mix_parts(x: Tensor,
              prob: float = 0.5,
              parts: Sequence[str] = ('legs', 'arms'),
              parents: Sequence[int] = tuple(PARENTS),
              generator: Optional[torch.Generator] = None) -> Tensor:
    """With probability ``prob`` per pose, give it one body part (chosen
    uniformly from ``parts``, names of :data:`BODY_PARTS`) of another pose
    of the batch: the donor's limb directions, turned from the donor's
    pelvis (legs) or chest (arms) frame into the pose's own, with the
    pose's own bone lengths. The rest of the pose and its root are kept."""
    _check_joints(x, parents, 'mix_parts')
    unknown = [p for p in parts if p not in BODY_PARTS]
    if unknown or not parts:
        raise ValueError(f'mix_parts: unknown body parts {unknown or parts}; '
                         f'known: {sorted(BODY_PARTS)}.')
    b = len(x)
    bones = _bones(x, parents)
    lengths = bones.norm(dim=-1, keepdim=True)
    donor = torch.randint(b, (b, ), generator=generator, device=x.device)
    which = torch.randint(len(parts), (b, ), generator=generator,
                          device=x.device)
    mixed = _rand((b, ), x, generator) < prob
    new = bones.clone()
    for k, name in enumerate(parts):
        joints, frame = BODY_PARTS[name]
        joints = list(joints)
        R = body_frame(x, frame) @ body_frame(x[donor],
                                              frame).transpose(1, 2)
        direction = bones[donor][:, joints] / lengths[donor][:, joints].clamp(
            min=1e-9)
        moved = direction @ R.transpose(1, 2) * lengths[:, joints]
        take = (mixed & (which == k))[:, None, None]
        new[:, joints] = torch.where(take, moved, new[:, joints])
    return _from_bones(x[:, :1], new, parents)


def knee_flexion(x: Tensor) -> Tensor:
    """Signed knee angles ``[B, 2]`` (right, left; degrees) of Human3.6M
    poses: the thigh-to-shin angle seen along the hip axis, positive for a
    knee bent the human way, negative for one bent backwards."""
    lateral = torch.nn.functional.normalize(x[:, 4] - x[:, 1], dim=-1)
    out = []
    for hip, knee, ankle in ((1, 2, 3), (4, 5, 6)):
        thigh, shin = x[:, knee] - x[:, hip], x[:, ankle] - x[:, knee]
        side = (torch.cross(thigh, shin, dim=-1) * lateral).sum(-1)
        out.append(torch.rad2deg(torch.atan2(side, (thigh * shin).sum(-1))))
    return torch.stack(out, -1)


def hip_flexion(x: Tensor) -> Tensor:
    """Hip flexion angles ``[B, 2]`` (right, left; degrees) of Human3.6M
    poses: the angle between each thigh and the trunk's downward direction
    (thorax to pelvis); about 0 standing, 90 sitting."""
    down = torch.nn.functional.normalize(x[:, 0] - x[:, 8], dim=-1)
    out = []
    for hip, knee in ((1, 2), (4, 5)):
        thigh = torch.nn.functional.normalize(x[:, knee] - x[:, hip], dim=-1)
        out.append(torch.rad2deg(torch.arccos(
            (thigh * down).sum(-1).clamp(-1, 1))))
    return torch.stack(out, -1)


def low_pose_mask(x: Tensor, angle: float = 60.) -> Tensor:
    """``[B]`` bool: poses with both hips and both knees flexed by more than
    ``angle`` degrees (sitting, crouching, squatting, kneeling)."""
    return ((hip_flexion(x) > angle).all(-1)
            & (knee_flexion(x) > angle).all(-1))


def _rotate_about(v: Tensor, axis: Tensor, angle: Tensor) -> Tensor:
    """Rodrigues: vectors ``v [B, 3]`` turned about unit ``axis [B, 3]`` by
    ``angle [B]`` radians (right-handed)."""
    c, s = torch.cos(angle)[:, None], torch.sin(angle)[:, None]
    return (v * c + torch.cross(axis, v, dim=-1) * s +
            axis * (axis * v).sum(-1, keepdim=True) * (1 - c))


def seat_poses(x: Tensor,
               prob: float = 0.2,
               hip: Sequence[float] = (30., 100.),
               knee: Sequence[float] = (0.7, 1.6),
               jitter: float = 10.,
               generator: Optional[torch.Generator] = None) -> Tensor:
    """With probability ``prob`` per pose, flex both legs as in sitting,
    crouching or squatting: each thigh (with its shin) swings forward about
    the hip axis by an angle uniform in ``hip`` degrees (one per pose, plus
    ``N(0, jitter)`` per leg), and each knee bends by that angle times a
    factor uniform in ``knee`` (about 1: shins hang as on a chair; up to 2:
    feet under the body, a squat). Bone lengths, the root, the trunk and
    the arms are kept. A pose whose hips would flex past
    :data:`HIP_FLEXION_LIMIT` or whose knees would bend past
    :data:`KNEE_FLEXION_LIMIT` keeps its original legs."""
    _check_joints(x, PARENTS, 'seat_poses')
    b = len(x)
    lateral = torch.nn.functional.normalize(x[:, 4] - x[:, 1], dim=-1)
    base = hip[0] + (hip[1] - hip[0]) * _rand((b, ), x, generator)
    factor = knee[0] + (knee[1] - knee[0]) * _rand((b, ), x, generator)
    y = x.clone()
    for h, k, a in ((1, 2, 3), (4, 5, 6)):
        flex = torch.deg2rad(base + jitter * _randn((b, ), x, generator))
        bend = torch.deg2rad(base * factor +
                             jitter * _randn((b, ), x, generator))
        # Turning about the left-pointing hip axis by a negative angle
        # swings a hanging thigh forward; a positive one swings a shin back.
        thigh = _rotate_about(x[:, k] - x[:, h], lateral, -flex)
        shin = _rotate_about(_rotate_about(x[:, a] - x[:, k], lateral,
                                           -flex), lateral, bend)
        y[:, k] = x[:, h] + thigh
        y[:, a] = y[:, k] + shin
    ok = ((hip_flexion(y) <= HIP_FLEXION_LIMIT).all(-1)
          & (knee_flexion(y) <= KNEE_FLEXION_LIMIT).all(-1)
          & (knee_flexion(y) >= -KNEE_HYPEREXTENSION_LIMIT).all(-1))
    take = ok & (_rand((b, ), x, generator) < prob)
    return torch.where(take[:, None, None], y, x)


def perturb_joint_angles(x: Tensor,
                         prob: float = 0.5,
                         std: float = 10.,
                         clip: float = 25.,
                         joints: Sequence[int] = LIMB_JOINTS,
                         parents: Sequence[int] = tuple(PARENTS),
                         generator: Optional[torch.Generator] = None
                         ) -> Tensor:
    """With probability ``prob`` per pose, turn the bone ending at each of
    ``joints`` (and everything below it) about its parent joint by a random
    rotation: a uniform axis and an angle ``N(0, std)`` degrees clipped to
    ``[-clip, clip]``. Bone lengths and the root are kept. A perturbed pose
    whose knee would bend backwards past
    :data:`KNEE_HYPEREXTENSION_LIMIT` (and further than it did) keeps its
    original angles."""
    _check_joints(x, parents, 'perturb_joint_angles')
    b, n = x.shape[:2]
    bones = _bones(x, parents)
    axis = torch.nn.functional.normalize(_randn((b, n, 3), x, generator),
                                         dim=-1)
    angle = torch.deg2rad((std * _randn((b, n), x, generator)).clamp(
        -clip, clip))
    active = torch.zeros(n, dtype=torch.bool, device=x.device)
    active[list(joints)] = True
    angle = torch.where(active & (_rand((b, 1), x, generator) < prob), angle,
                        torch.zeros_like(angle))
    q = torch.cat([torch.cos(angle / 2)[..., None],
                   torch.sin(angle / 2)[..., None] * axis], -1)
    local = quaternion_to_matrix(q)  # [B, J, 3, 3]
    turn = [torch.eye(3, dtype=x.dtype, device=x.device).expand(b, 3, 3)]
    new = [bones[:, 0]]
    for j in range(1, n):  # parents come before children
        turn.append(turn[int(parents[j])] @ local[:, j])
        new.append((turn[j] @ bones[:, j, :, None])[..., 0])
    y = _from_bones(x[:, :1], torch.stack(new, 1), parents)
    limit = torch.clamp(-knee_flexion(x), min=KNEE_HYPEREXTENSION_LIMIT)
    ok = (-knee_flexion(y) <= limit).all(-1)
    return torch.where(ok[:, None, None], y, x)


def tilt_poses(x: Tensor,
               prob: float = 0.5,
               max_tilt: float = 30.,
               generator: Optional[torch.Generator] = None) -> Tensor:
    """With probability ``prob`` per pose, pitch (about ``x``) and then roll
    (about ``z``) it about the root, each by an angle uniform in
    ``[-max_tilt, max_tilt]`` degrees (``y`` is the camera's vertical)."""
    n = len(x)
    R = (rotation_matrices(n, x, 'z', max_tilt, generator)
         @ rotation_matrices(n, x, 'x', max_tilt, generator))
    R = torch.where((_rand((n, 1, 1), x, generator) < prob), R,
                    torch.eye(3, dtype=x.dtype, device=x.device))
    return x @ R.transpose(1, 2)


def resolve_augment_cfg(settings: Optional[dict] = None) -> dict:
    """:data:`AUGMENT_DEFAULTS` updated with ``settings``; unknown names are
    an error (a misspelt setting would otherwise be ignored)."""
    return merge_settings(AUGMENT_DEFAULTS, settings, 'augmentation')


def augment_poses(x: Tensor,
                  generator: Optional[torch.Generator] = None,
                  **settings) -> Tensor:
    """Augment a batch of root-relative poses with :data:`AUGMENT_DEFAULTS`
    updated by ``settings`` (see :func:`resolve_augment_cfg`), in this
    order: part mixing, seated legs, joint-angle perturbation, flip, yaw
    rotation, bone scaling, tilt. A probability or angle of 0 switches
    that step off."""
    s = resolve_augment_cfg(settings)
    if s['mix_prob'] > 0:
        x = mix_parts(x, s['mix_prob'], tuple(s['mix_parts']),
                      generator=generator)
    if s['seat_prob'] > 0:
        x = seat_poses(x, s['seat_prob'], tuple(s['seat_hip']),
                       tuple(s['seat_knee']), generator=generator)
    if s['angle_prob'] > 0:
        x = perturb_joint_angles(x, s['angle_prob'], s['angle_std'],
                                 s['angle_clip'], generator=generator)
    if s['flip_prob'] > 0:
        x = flip_poses(x, s['flip_prob'], generator=generator)
    rotate = s['rotation_axis'] == 'full' or s['max_angle'] > 0
    if s['rotation_axis'] is not None and rotate:
        x = rotate_poses(x, s['rotation_axis'], s['max_angle'], generator)
    if s['bone_scale_prob'] > 0:
        x = scale_bones(x, s['bone_scale_prob'], s['global_std'],
                        s['bone_std'], s['clip'], generator=generator)
    if s['tilt_prob'] > 0 and s['max_tilt'] > 0:
        x = tilt_poses(x, s['tilt_prob'], s['max_tilt'], generator)
    return x
