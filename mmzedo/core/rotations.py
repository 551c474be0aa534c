# Copyright (c) mmzedo contributors. All rights reserved.
"""Rotations for the ZeDO loop and the augmentation (plain torch): unit
quaternions about one coordinate axis or free, and their matrices."""
import torch
from torch import Tensor

_AXES = {'x': 0, 'y': 1, 'z': 2}


def _axis_quaternion(angles: Tensor, axes: str) -> Tensor:
    """Unit quaternions [N, 4] (w, x, y, z) from per-axis parameters.

    ``axes`` of one letter: ``angles`` [N, 1] is a rotation angle about that
    axis. ``'xyz'``: ``angles`` [N, 4] is a free quaternion (normalised).
    """
    if axes == 'xyz':
        return angles / angles.norm(dim=-1, keepdim=True).clamp(min=1e-8)
    half = angles[:, 0] / 2
    q = torch.zeros(len(angles), 4, dtype=angles.dtype, device=angles.device)
    q[:, 0] = torch.cos(half)
    q[:, 1 + _AXES[axes]] = torch.sin(half)
    return q


def quaternion_to_matrix(q: Tensor) -> Tensor:
    """Rotation matrices [N, 3, 3] of unit quaternions [N, 4] (w, x, y, z)."""
    w, x, y, z = q.unbind(-1)
    return torch.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
        2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
        2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)
    ], -1).reshape(*q.shape[:-1], 3, 3)
