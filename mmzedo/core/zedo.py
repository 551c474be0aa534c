# Copyright (c) mmzedo contributors. All rights reserved.
"""ZeDO test-time optimisation (Jiang et al., WACV 2024, Algorithm 1), plain
torch, batched over samples x hypotheses.

Per 2D pose ``p`` (pixels, confidences ``w``) with intrinsics ``f, c``::

    for each anchor pose A_s (s = 1..S):                     # hypotheses
        R, T <- initial_pose_optimiser(A_s, p)                # Adam
        P <- R A_s
        for i = 0..K-1:                                  # K = steps (39)
            t_i <- t_max + (t_min - t_max) i / (K - 1)        # 0.1 -> 0.01
            if i >= warmup: T <- argmin_T sum_j w_j d(P_j + T, ray_j)^2
            X <- move P + T onto the camera rays: ray_relaxation times
                 the way (1: onto them; default 1.7: past them, over-
                 relaxed); joints of confidence 0 stay where they are
            P <- X - T         (not re-centred on the root: recentre_root)
            P <- one reverse step of the prior at t_i, dt = loop_time / K
        the same loop for polish_steps (10) more steps from t = 0.05 with
        the plain projection and a smaller dt (ZeDO's refinement mode)
    energy_s <- reprojection error (px) + lambda * |predicted noise at t_e|
    output: all S hypotheses, their energies, and the one the choice rule
            picks (mmzedo.core.choice; default: the lowest energy)

Everything stays on the prior's device; nothing is copied to the host inside
the loops.
"""
import math
from typing import Callable, Dict, Optional

import torch
from torch import Tensor

from .camera_geometry import (image_plane_translation, project,
                              project_onto_rays, ray_translation, unit_rays)
from .choice import get_choice_rule
from .inputs import (_weighted_spread, as_float_tensor, check_joint_indices,
                     check_zedo_inputs, off_axis_angle, weighted_2d_aspect)
from .rotations import _AXES, _axis_quaternion, quaternion_to_matrix
from .schedule import TimeSchedule
from .zedo_settings import resolve_zedo_cfg
from mmzedo.utils.skeleton import H36M_BONE_LENGTHS, PARENTS

_MEAN_BONE_LENGTH = float(H36M_BONE_LENGTHS[1:].mean())


def initial_depth(pose: Tensor, uv: Tensor, f: Tensor,
                  weights: Tensor) -> Tensor:
    """Depth [N] at which ``pose`` has the 2D spread of ``uv``: the ratio of
    their weighted RMS spreads times the mean focal length."""
    return f.mean(-1) * _weighted_spread(pose[..., :2], weights) / \
        _weighted_spread(uv, weights).clamp(min=1e-6)


def initial_pose_optimiser(anchors: Tensor,
                           uv: Tensor,
                           weights: Tensor,
                           f: Tensor,
                           c: Tensor,
                           cfg: Optional[dict] = None):
    """Fit a rotation and a translation of each anchor to the 2D pose.

    Adam (``init_steps`` steps at ``init_lr``) over a quaternion (about
    ``init_axes``: one axis letter, or ``'xyz'`` for a free rotation) and a
    translation scale ``s`` clamped to ``init_scale_range``:
    ``T = s * d0 * [u_root, v_root, 1]`` with ``d0`` from
    :func:`initial_depth`, minimising the confidence-weighted L1
    reprojection error (pixels) of ``init_joints``.

    Args:
        anchors: Root-relative anchor poses [N, J, 3].
        uv, weights, f, c: [N, J, 2], [N, J], [N, 2], [N, 2].
        cfg: Overrides of :data:`ZEDO_DEFAULTS` (its ``init_*`` settings
            and ``root_index`` are used).

    Returns:
        tuple: rotated root-relative poses [N, J, 3] and translations
        [N, 3].
    """
    cfg = resolve_zedo_cfg(cfg)
    steps, lr, axes = cfg['init_steps'], cfg['init_lr'], cfg['init_axes']
    joints, scale_range = cfg['init_joints'], cfg['init_scale_range']
    root_index = cfg['root_index']
    if axes != 'xyz' and axes not in _AXES:
        raise ValueError(f'init_axes must be x, y, z or xyz, got "{axes}".')
    n = len(anchors)
    if cfg['init_depth'] is None:
        d0 = initial_depth(anchors, uv, f, weights).detach()
    else:
        d0 = torch.full_like(f[:, 0], float(cfg['init_depth']))
    root_dir = torch.cat([(uv[:, root_index] - c) / f,
                          torch.ones_like(f[:, :1])], -1)
    lo, hi = scale_range
    with torch.enable_grad():
        if axes == 'xyz':
            angles = torch.zeros(n, 4, dtype=anchors.dtype,
                                 device=anchors.device)
            angles[:, 0] = 1
        else:
            angles = torch.zeros(n, 1, dtype=anchors.dtype,
                                 device=anchors.device)
        angles.requires_grad_(True)
        scale = torch.ones(n, 1, dtype=anchors.dtype, device=anchors.device,
                           requires_grad=True)
        opt = torch.optim.Adam([angles, scale], lr=lr)
        sel = list(joints)
        w = (weights[:, sel] if cfg['init_weighted'] else
             (weights[:, sel] > 0).to(weights.dtype))
        for _ in range(steps):
            R = quaternion_to_matrix(_axis_quaternion(angles, axes))
            T = scale.clamp(lo, hi) * d0[:, None] * root_dir
            pts = anchors[:, sel] @ R.transpose(1, 2) + T[:, None]
            err = (project(pts, f, c) - uv[:, sel]).abs().sum(-1)
            loss = (w * err).sum() / w.sum().clamp(min=1e-8)
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        R = quaternion_to_matrix(_axis_quaternion(angles, axes))
        T = scale.clamp(lo, hi) * d0[:, None] * root_dir
        return anchors @ R.transpose(1, 2), T


def bone_vectors(pose: Tensor) -> Tensor:
    """Bones [N, 16, 3] of Human3.6M-17 poses (child minus parent, children
    1..16 in joint order, as :func:`mmzedo.utils.bone_lengths`)."""
    return pose[:, 1:] - pose[:, PARENTS[1:].tolist()]


def pose_validity(pose: Tensor, T: Tensor, uv: Tensor, weights: Tensor,
                  f: Tensor, c: Tensor, cfg: Optional[dict] = None,
                  reprojection: Optional[Tensor] = None
                  ) -> Dict[str, Tensor]:
    """Flag degenerate results: a pose collapsed towards a point, blown
    up, behind the camera, far from its 2D, fitted to fewer than
    ``valid_min_joints`` confident joints, to 2D nearly on one line
    (``valid_min_2d_aspect``), or to 2D too far off the optical axis for
    its intrinsics (``valid_max_off_axis``: f and c swapped?).
    ``reprojection``: the :func:`reprojection_error` when the caller has it
    already.

    Returns:
        dict: ``valid`` (bool), ``reprojection_rel`` (weighted mean pixel
        error over the 2D pose's weighted RMS spread), ``bone_ratio`` (mean
        bone length over the Human3.6M skeleton's) and ``depth`` (root z),
        each [N].
    """
    cfg = resolve_zedo_cfg(cfg)
    spread = _weighted_spread(uv, weights)
    if reprojection is None:
        reprojection = reprojection_error(pose, T, uv, weights, f, c)
    rel = reprojection / spread.clamp(min=1e-6)
    ratio = bone_vectors(pose).norm(dim=-1).mean(-1) / _MEAN_BONE_LENGTH
    lo, hi = cfg['valid_bone_ratio']
    depth = T[:, 2] + pose[:, cfg['root_index'], 2]
    valid = ((rel <= cfg['valid_max_reprojection']) & (ratio >= lo)
             & (ratio <= hi) & (depth > 0) & (spread > 1e-6)
             & ((weights > 0).sum(1) >= cfg['valid_min_joints'])
             & (weighted_2d_aspect(uv, weights) >= cfg['valid_min_2d_aspect'])
             & (off_axis_angle(uv, weights, f, c)
                <= cfg['valid_max_off_axis'])
             & torch.isfinite(pose).flatten(1).all(1))
    return dict(valid=valid, reprojection_rel=rel, bone_ratio=ratio,
                depth=depth)


def reprojection_error(pose: Tensor, T: Tensor, uv: Tensor, weights: Tensor,
                       f: Tensor, c: Tensor) -> Tensor:
    """Confidence-weighted mean pixel error [N] of ``pose + T``."""
    err = (project(pose + T[:, None], f, c) - uv).norm(dim=-1)
    return (weights * err).sum(1) / weights.sum(1).clamp(min=1e-8)


def zedo_loop(prior,
              pose: Tensor,
              T: Tensor,
              uv: Tensor,
              weights: Tensor,
              f: Tensor,
              c: Tensor,
              cfg: Optional[dict] = None,
              solve_translation: bool = True,
              progress: Optional[Callable[[int], None]] = None):
    """The ZeDO loop from a given pose and translation (Algorithm 1,
    lines 4-10). Shared by the lifter and the refinement hook.

    Args:
        prior: Object with ``denoise_step(x, t, dt, mode, t_next=, state=)``
            (a
            :class:`~mmzedo.core.ScorePrior` or mmzedo's ``PosePrior``).
        pose: Root-relative poses [N, J, 3]; T: translations [N, 3].
        uv, weights, f, c: 2D keypoints, confidences and intrinsics.
        cfg: Overrides of :data:`ZEDO_DEFAULTS`; used: ``steps``,
            ``warmup`` (steps with ``T`` fixed), ``t_max``/``t_min`` (the
            truncated time range, linear), ``step_mode`` (a rule of
            :mod:`mmzedo.core.steps`), ``loop_time`` (pseudo-time of the
            loop: ``dt = loop_time / steps``; ``None``: the textbook
            ``dt = (t_max - t_min) / (steps - 1)``) and ``root_index``.
        solve_translation: Use the closed-form ``T`` after the warm-up.
        progress: Called with the number of steps done after each step.

    Returns:
        tuple: poses [N, J, 3] (root-relative) and translations [N, 3].
    """
    cfg = resolve_zedo_cfg(cfg)
    steps, warmup = cfg['steps'], cfg['warmup']
    t_max, t_min, loop_time = cfg['t_max'], cfg['t_min'], cfg['loop_time']
    step_mode, root_index = cfg['step_mode'], cfg['root_index']
    ray_relaxation = cfg['ray_relaxation']
    rays = unit_rays(uv, f, c)
    if cfg['translation_solve'] == 'rays':
        solve = (lambda pose, T: ray_translation(pose, rays, weights))  # noqa
    else:
        xy1 = torch.cat([(uv - c[:, None]) / f[:, None],
                         torch.ones_like(uv[..., :1])], -1)
        solve = (lambda pose, T: image_plane_translation(  # noqa: E731
            pose, xy1, weights))
    # The time schedule lives on the device: no host-device copy per step.
    schedule = TimeSchedule.truncated(t_max, t_min, steps, loop_time,
                                      device=pose.device, dtype=pose.dtype)
    state = {}  # the step rule's, for this loop
    for i, (t, t_next, dt) in enumerate(schedule):
        if solve_translation and i >= warmup:
            T = solve(pose, T)
        x = project_onto_rays(pose + T[:, None], rays, weights,
                              ray_relaxation) - T[:, None]
        if cfg['recentre_root']:
            x = x - x[:, root_index:root_index + 1]
        pose = prior.denoise_step(x, t, dt, step_mode, t_next=t_next,
                                  state=state)
        if progress is not None:
            progress(i + 1)
    # The last prior step moves the root slightly: make the pose exactly
    # root-relative again, keeping pose + T unchanged.
    root = pose[:, root_index:root_index + 1]
    return pose - root, T + root[:, 0]


def polish_cfg(cfg: dict) -> dict:
    """The :func:`zedo_loop` settings of the lifter's polish stage:
    ``polish_steps`` steps from ``polish_t_max`` to ``t_min`` over a
    pseudo-time of ``polish_loop_time``, plain projection, no warm-up."""
    return dict(cfg, steps=cfg['polish_steps'], warmup=0,
                t_max=cfg['polish_t_max'], loop_time=cfg['polish_loop_time'],
                ray_relaxation=1.0, polish_steps=0)


def score_result(prior, pose: Tensor, T: Tensor, uv: Tensor,
                 weights: Tensor, f: Tensor, c: Tensor,
                 cfg: Optional[dict] = None) -> Dict[str, Tensor]:
    """ZeDO's energy and :func:`pose_validity` of results [N].

    ``energy = reprojection_error`` (px) ``+ energy_prior_weight *
    score_norm``, where ``score_norm`` (implausibility under the prior) is
    the RMS of the predicted noise at time ``energy_t``.
    """
    cfg = resolve_zedo_cfg(cfg)
    reproj = reprojection_error(pose, T, uv, weights, f, c)
    noise = prior.predicted_noise(pose, cfg['energy_t'])
    score_norm = noise.flatten(1).norm(dim=1) / math.sqrt(pose[0].numel())
    out = dict(reprojection_error=reproj, score_norm=score_norm,
               energy=reproj + cfg['energy_prior_weight'] * score_norm)
    out.update(pose_validity(pose, T, uv, weights, f, c, cfg, reproj))
    return out


@torch.no_grad()
def zedo_lift(prior,
              keypoints: Tensor,
              scores: Tensor,
              f: Tensor,
              c: Tensor,
              anchors: Tensor,
              progress: Optional[Callable[[int], None]] = None,
              **cfg) -> Dict[str, Tensor]:
    """Lift 2D poses to 3D with ZeDO.

    Args:
        prior: The pose prior (``denoise_step`` and ``predicted_noise``).
        keypoints: 2D keypoints [B, J, 2] (pixels).
        scores: Confidences [B, J] (>= 0, not all zero per sample).
        f, c: Focal lengths and principal points [B, 2] (pixels).
        anchors: Initial poses [S, J, 3] (root-relative metres).
        progress: Progress callback (see :func:`zedo_loop`).
        **cfg: Overrides of :data:`ZEDO_DEFAULTS`.

    Returns:
        dict: ``pose`` [B, J, 3] (the hypothesis of the ``choice`` rule,
        default the lowest energy; root-relative),
        ``translation`` [B, 3], ``hypotheses`` [B, S, J, 3],
        ``translations`` [B, S, 3], ``energy``, ``reprojection_error``
        (px), ``score_norm`` [B, S], ``choice`` [B] and the chosen pose's
        :func:`pose_validity` (``valid``, ``reprojection_rel``,
        ``bone_ratio``, ``depth``, [B]).
    """
    cfg = resolve_zedo_cfg(cfg)
    device = next(prior.parameters()).device
    keypoints, scores, f, c, anchors = (
        as_float_tensor(v, name).to(device)
        for v, name in ((keypoints, 'keypoints'), (scores, 'scores'),
                        (f, 'f'), (c, 'c'), (anchors, 'anchors')))
    check_zedo_inputs(keypoints, scores, f, c, anchors)
    check_joint_indices(cfg, keypoints.shape[1])
    b, j = keypoints.shape[:2]
    s = anchors.shape[0]
    rep = (lambda v: v.repeat_interleave(s, dim=0))  # noqa: E731
    uv, w, ff, cc = rep(keypoints), rep(scores), rep(f), rep(c)
    init = anchors - anchors[:, cfg['root_index']:cfg['root_index'] + 1]
    init = init.repeat(b, 1, 1)
    pose, T = initial_pose_optimiser(init, uv, w, ff, cc, cfg)
    pose, T = zedo_loop(prior, pose, T, uv, w, ff, cc, cfg,
                        progress=progress)
    if cfg['polish_steps']:
        pose, T = zedo_loop(prior, pose, T, uv, w, ff, cc, polish_cfg(cfg))
    scored = score_result(prior, pose, T, uv, w, ff, cc, cfg)
    out = dict(
        hypotheses=pose.reshape(b, s, j, 3),
        translations=T.reshape(b, s, 3),
        **{k: scored.pop(k).reshape(b, s)
           for k in ('reprojection_error', 'score_norm', 'energy')})
    if not all(torch.isfinite(v).all() for v in out.values()):
        raise FloatingPointError('ZeDO produced NaN/inf; check the inputs '
                                 '(units: pixels and metres) and the prior.')
    choice = get_choice_rule(cfg['choice'])(out, prior).argmin(1)
    idx = torch.arange(b, device=device)
    out.update(
        choice=choice,
        pose=out['hypotheses'][idx, choice],
        translation=out['translations'][idx, choice])
    out.update({k: v.reshape(b, s)[idx, choice] for k, v in scored.items()})
    return out
