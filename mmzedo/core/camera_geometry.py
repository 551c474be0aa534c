# Copyright (c) mmzedo contributors. All rights reserved.
"""Pinhole-camera geometry used by the ZeDO loop (plain torch, batched).

Shapes: ``N`` poses, ``J`` joints. ``uv`` are pixels, ``f``/``c`` are
``[N, 2]`` focal lengths and principal points, poses are camera-frame
metres (x right, y down, z forward).
"""
from typing import Optional

import torch
from torch import Tensor


def unit_rays(uv: Tensor, f: Tensor, c: Tensor) -> Tensor:
    """Unit camera rays ``K^-1 [u, v, 1]`` / norm, ``[N, J, 3]``."""
    xy = (uv - c[:, None]) / f[:, None]
    d = torch.cat([xy, torch.ones_like(xy[..., :1])], dim=-1)
    return d / d.norm(dim=-1, keepdim=True)


def project(points: Tensor, f: Tensor, c: Tensor,
            min_depth: float = 1e-3) -> Tensor:
    """Pixels of camera-frame points ``[N, J, 3]`` -> ``[N, J, 2]``."""
    z = points[..., 2:3].clamp(min=min_depth)
    return points[..., :2] / z * f[:, None] + c[:, None]


def project_onto_rays(points: Tensor, rays: Tensor,
                      weights: Optional[Tensor] = None,
                      relaxation: float = 1.0) -> Tensor:
    """Closest point of each unit ray to each point: ``(X . r) r``.

    With ``weights`` [N, J], joints of weight 0 (missing in the 2D) keep
    their position: their rays are meaningless. ``relaxation`` ``w`` moves
    each point ``X + w ((X . r) r - X)``: 1 onto its ray, in (1, 2) past it
    (over-relaxed projection, which speeds up alternating projections).
    """
    proj = (points * rays).sum(-1, keepdim=True).clamp(min=0) * rays
    if relaxation != 1.0:
        proj = points + relaxation * (proj - points)
    if weights is None:
        return proj
    return torch.where(weights[..., None] > 0, proj, points)


def ray_translation(pose: Tensor, rays: Tensor, weights: Tensor) -> Tensor:
    """Closed-form translation ``T`` ``[N, 3]`` minimising the
    confidence-weighted squared distances of ``pose + T`` from the rays:

    ``T* = argmin_T sum_j w_j |(I - r_j r_j^T)(P_j + T)|^2
         = -(sum_j w_j A_j)^-1 sum_j w_j A_j P_j``, ``A_j = I - r_j r_j^T``.

    This is the same objective that :func:`project_onto_rays` minimises
    over the joints for a fixed ``T``.
    """
    eye = torch.eye(3, dtype=pose.dtype, device=pose.device)
    A = eye - rays[..., :, None] * rays[..., None, :]  # [N, J, 3, 3]
    wA = weights[..., None, None] * A
    lhs = wA.sum(1)
    rhs = -(wA @ pose[..., None]).sum(1)
    # solve_ex: no device synchronisation to check for singular systems
    # (called every loop step; rays of a real 2D pose are never parallel).
    return torch.linalg.solve_ex(lhs, rhs)[0][..., 0]


def image_plane_translation(pose: Tensor, xy1: Tensor,
                            weights: Tensor) -> Tensor:
    """The official release's translation: least squares [N, 3] on the
    image-plane residuals ``(P + T)_xy - (P + T)_z * xy`` of normalised
    coordinates ``xy1 = [x, y, 1]``, weighted by confidence squared, with
    ``T`` flipped when its depth comes out negative."""
    w2 = (weights**2)[..., None]
    # residual_k = P_k + T_k - (P_z + T_z) xy_k, k in {x, y}: linear in T
    rows = []
    rhs = []
    for k in (0, 1):
        a = torch.zeros(*xy1.shape[:2], 3, dtype=pose.dtype,
                        device=pose.device)
        a[..., k] = 1
        a[..., 2] = -xy1[..., k]
        rows.append(a)
        rhs.append(-(pose[..., k] - pose[..., 2] * xy1[..., k]))
    A = torch.cat(rows, 1)  # [N, 2J, 3]
    b = torch.cat(rhs, 1)[..., None]  # [N, 2J, 1]
    W = torch.cat([w2, w2], 1)
    T = torch.linalg.solve_ex(A.transpose(1, 2) @ (W * A),
                              A.transpose(1, 2) @ (W * b))[0][..., 0]
    return torch.where(T[:, 2:3] < 0, -T, T)
