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
- :func:`augment_poses`: the three in that order, from one settings dict.
"""
from functools import lru_cache
from typing import Optional, Sequence

import torch
from torch import Tensor

from mmzedo.utils.skeleton import FLIP_INDICES, PARENTS
from .settings import merge_settings
from .zedo import _AXES, _axis_quaternion, quaternion_to_matrix

#: :func:`augment_poses`' settings and their defaults (the shipped recipe:
#: flips and yaw rotations; bone scaling is off, see the README).
AUGMENT_DEFAULTS = dict(
    flip_prob=0.5,
    rotation_axis='y',
    max_angle=180.,
    bone_scale_prob=0.,
    global_std=0.05,
    bone_std=0.05,
    clip=0.2)


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
    b, j = x.shape[:2]
    if j != len(parents):
        raise ValueError(f'scale_bones expects {len(parents)} joints, got '
                         f'{j}.')
    per_bone = 1 + bone_std * _randn((b, j), x, generator)
    per_bone = (per_bone + per_bone[:, list(flip_indices)]) / 2
    factor = per_bone * (1 + global_std * _randn((b, 1), x, generator))
    factor = factor.clamp(1 - clip, 1 + clip)
    factor = torch.where(_rand((b, 1), x, generator) < prob, factor,
                         torch.ones_like(factor))
    par = torch.as_tensor(parents, device=x.device).clamp(min=0)
    bones = (x - x[:, par]) * factor[..., None]  # root's "bone" is zero
    M = _path_matrix(tuple(parents)).to(x.device, x.dtype)
    return x[:, :1] + M @ bones


def resolve_augment_cfg(settings: Optional[dict] = None) -> dict:
    """:data:`AUGMENT_DEFAULTS` updated with ``settings``; unknown names are
    an error (a misspelt setting would otherwise be ignored)."""
    return merge_settings(AUGMENT_DEFAULTS, settings, 'augmentation')


def augment_poses(x: Tensor,
                  generator: Optional[torch.Generator] = None,
                  **settings) -> Tensor:
    """Flip, rotate and bone-scale a batch of root-relative poses with
    :data:`AUGMENT_DEFAULTS` updated by ``settings`` (see
    :func:`resolve_augment_cfg`). A probability or angle of 0 switches that
    step off."""
    s = resolve_augment_cfg(settings)
    if s['flip_prob'] > 0:
        x = flip_poses(x, s['flip_prob'], generator=generator)
    rotate = s['rotation_axis'] == 'full' or s['max_angle'] > 0
    if s['rotation_axis'] is not None and rotate:
        x = rotate_poses(x, s['rotation_axis'], s['max_angle'], generator)
    if s['bone_scale_prob'] > 0:
        x = scale_bones(x, s['bone_scale_prob'], s['global_std'],
                        s['bone_std'], s['clip'], generator=generator)
    return x
