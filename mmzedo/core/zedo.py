# Copyright (c) mmzedo contributors. All rights reserved.
"""ZeDO test-time optimisation (Jiang et al., WACV 2024, Algorithm 1), plain
torch, batched over samples x hypotheses.

Per 2D pose ``p`` (pixels, confidences ``w``) with intrinsics ``f, c``::

    for each anchor pose A_s (s = 1..S):                     # hypotheses
        R, T <- initial_pose_optimiser(A_s, p)     # stage init: Adam
        P <- R A_s
        for each loop stage (main, then polish):          # stages loops
          for i = 0..K-1:                                # K = steps (39)
            t_i <- t_max + (t_min - t_max) i / (K - 1)      # 0.1 -> 0.01
            if i >= warmup: T <- argmin_T sum_j w_j d(P_j + T, ray_j)^2
            X <- move P + T onto the camera rays: ray_relaxation times
                 the way (1: onto them; main 1.7: past them, over-
                 relaxed); joints of confidence 0 stay where they are
            P <- X - T       (not re-centred on the root: recentre_root)
            (opt.: each left/right pair of bones of P drawn towards its
            mean length: bone_symmetry; 0 by default, as the paper)
            P <- one reverse step of the prior (step_rule) at t_i,
                 dt = loop_time / K
          (polish: 10 more steps from t = 0.05 with the plain projection
          and a smaller dt, as ZeDO's refinement mode)
    energy_s <- reprojection error (px) + lambda * |predicted noise at t_e|
    output: all S hypotheses, their energies, the one the choice rule
            picks (stage choice; default: the lowest energy) and its
            validity flags (stage valid)

The stages and their settings are composed by
:class:`~mmzedo.core.solver.ZeDOSolver`; the functions here are the
stages.

Everything stays on the prior's device; nothing is copied to the host inside
the loops.
"""
import math
from typing import Callable, Dict, Optional

import torch
from torch import Tensor

from .augment import with_bone_lengths
from .camera_geometry import (image_plane_translation, project,
                              project_onto_rays, ray_translation, unit_rays)
from .inputs import _weighted_spread, off_axis_angle, weighted_2d_aspect
from .rotations import _axis_quaternion, quaternion_to_matrix
from .schedule import TimeSchedule
from .zedo_settings import ZEDO_DEFAULTS
from mmzedo.utils.skeleton import FLIP_INDICES, H36M_BONE_LENGTHS, PARENTS

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
                           init: Optional[dict] = None,
                           root_index: int = 0):
    """The initial-pose fit: a rotation and a translation of each anchor
    fitted to the 2D pose.

    Adam (``steps`` steps at ``lr``) over a quaternion (about ``axes``: one
    axis letter, or ``'xyz'`` for a free rotation) and a translation scale
    ``s`` clamped to ``scale_range``: ``T = s * d0 * [u_root, v_root, 1]``
    with ``d0`` from :func:`initial_depth` (or the fixed ``depth``),
    minimising the (``weighted``: confidence-weighted) L1 reprojection
    error (pixels) of ``joints``.

    Args:
        anchors: Root-relative anchor poses [N, J, 3].
        uv, weights, f, c: [N, J, 2], [N, J], [N, 2], [N, 2].
        init: The solver's ``init`` settings (all of them; default
            :data:`ZEDO_DEFAULTS`'s).
        root_index: The root joint.

    Returns:
        tuple: rotated root-relative poses [N, J, 3] and translations
        [N, 3].
    """
    init = ZEDO_DEFAULTS['init'] if init is None else init
    steps, lr, axes = init['steps'], init['lr'], init['axes']
    joints, (lo, hi) = init['joints'], init['scale_range']
    n = len(anchors)
    if init['depth'] is None:
        d0 = initial_depth(anchors, uv, f, weights).detach()
    else:
        d0 = torch.full_like(f[:, 0], float(init['depth']))
    root_dir = torch.cat([(uv[:, root_index] - c) / f,
                          torch.ones_like(f[:, :1])], -1)
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
        w = (weights[:, sel] if init['weighted'] else
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


def symmetrise_bones(pose: Tensor, weight: float) -> Tensor:
    """Human3.6M-17 poses [N, 17, 3] with each left/right pair of bones
    drawn ``weight`` (0..1) of the way to the pair's mean length; the bone
    directions, the bones of the spine and head, and the root are kept."""
    lengths = bone_vectors(pose).norm(dim=-1)
    mirrored = lengths[:, (FLIP_INDICES[1:] - 1).tolist()]
    return with_bone_lengths(
        pose, torch.lerp(lengths, 0.5 * (lengths + mirrored), weight))


def pose_validity(pose: Tensor, T: Tensor, uv: Tensor, weights: Tensor,
                  f: Tensor, c: Tensor, valid: Optional[dict] = None,
                  root_index: int = 0,
                  reprojection: Optional[Tensor] = None
                  ) -> Dict[str, Tensor]:
    """The validity check: flag degenerate results, a pose collapsed
    towards a point, blown up, behind the camera, far from its 2D, fitted
    to fewer than ``min_joints`` confident joints, to 2D nearly on one line
    (``min_2d_aspect``), or to 2D too far off the optical axis for its
    intrinsics (``max_off_axis``: f and c swapped?). ``valid``: the
    solver's ``valid`` settings (default :data:`ZEDO_DEFAULTS`'s);
    ``reprojection``: the :func:`reprojection_error` when the caller has it
    already.

    Returns:
        dict: ``valid`` (bool), ``reprojection_rel`` (weighted mean pixel
        error over the 2D pose's weighted RMS spread), ``bone_ratio`` (mean
        bone length over the Human3.6M skeleton's) and ``depth`` (root z),
        each [N].
    """
    valid = ZEDO_DEFAULTS['valid'] if valid is None else valid
    spread = _weighted_spread(uv, weights)
    if reprojection is None:
        reprojection = reprojection_error(pose, T, uv, weights, f, c)
    rel = reprojection / spread.clamp(min=1e-6)
    ratio = bone_vectors(pose).norm(dim=-1).mean(-1) / _MEAN_BONE_LENGTH
    lo, hi = valid['bone_ratio']
    depth = T[:, 2] + pose[:, root_index, 2]
    ok = ((rel <= valid['max_reprojection']) & (ratio >= lo)
          & (ratio <= hi) & (depth > 0) & (spread > 1e-6)
          & ((weights > 0).sum(1) >= valid['min_joints'])
          & (weighted_2d_aspect(uv, weights) >= valid['min_2d_aspect'])
          & (off_axis_angle(uv, weights, f, c) <= valid['max_off_axis'])
          & torch.isfinite(pose).flatten(1).all(1))
    return dict(valid=ok, reprojection_rel=rel, bone_ratio=ratio,
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
              loop: Optional[dict] = None,
              root_index: int = 0,
              translation_solve: str = 'rays',
              solve_translation: bool = True,
              progress: Optional[Callable[[int], None]] = None):
    """One loop stage from a given pose and translation (Algorithm 1,
    lines 4-10).

    Args:
        prior: Object with ``denoise_step(x, t, dt, mode, t_next=, state=)``
            (a :class:`~mmzedo.core.ScorePrior` or mmzedo's ``PosePrior``).
        pose: Root-relative poses [N, J, 3]; T: translations [N, 3].
        uv, weights, f, c: 2D keypoints, confidences and intrinsics.
        loop: The stage's settings (all of :data:`LOOP_SETTINGS`; default
            the main loop of :data:`ZEDO_DEFAULTS`): ``steps``, ``warmup``
            (steps with ``T`` fixed), ``t_max``/``t_min`` (the truncated
            time range, linear), ``step_rule`` (a rule of
            :mod:`mmzedo.core.steps`), ``loop_time`` (pseudo-time of the
            loop: ``dt = loop_time / steps``; ``None``: the textbook
            ``dt = (t_max - t_min) / (steps - 1)``), ``ray_relaxation``,
            ``recentre_root`` and ``bone_symmetry`` (after the projection,
            :func:`symmetrise_bones` by that weight; 0: off).
        root_index, translation_solve: The solver's shared settings.
        solve_translation: Use the closed-form ``T`` after the warm-up.
        progress: Called with the number of steps done after each step.

    Returns:
        tuple: poses [N, J, 3] (root-relative) and translations [N, 3].
    """
    loop = ZEDO_DEFAULTS['loops']['main'] if loop is None else loop
    warmup, relax = loop['warmup'], loop['ray_relaxation']
    rays = unit_rays(uv, f, c)
    if translation_solve == 'rays':
        solve = (lambda pose, T: ray_translation(pose, rays, weights))  # noqa
    else:
        xy1 = torch.cat([(uv - c[:, None]) / f[:, None],
                         torch.ones_like(uv[..., :1])], -1)
        solve = (lambda pose, T: image_plane_translation(  # noqa: E731
            pose, xy1, weights))
    # The time schedule lives on the device: no host-device copy per step.
    schedule = TimeSchedule.truncated(loop['t_max'], loop['t_min'],
                                      loop['steps'], loop['loop_time'],
                                      device=pose.device, dtype=pose.dtype)
    state = {}  # the step rule's, for this loop
    for i, (t, t_next, dt) in enumerate(schedule):
        if solve_translation and i >= warmup:
            T = solve(pose, T)
        x = project_onto_rays(pose + T[:, None], rays, weights,
                              relax) - T[:, None]
        if loop['recentre_root']:
            x = x - x[:, root_index:root_index + 1]
        if loop['bone_symmetry']:
            x = symmetrise_bones(x, loop['bone_symmetry'])
        pose = prior.denoise_step(x, t, dt, loop['step_rule'],
                                  t_next=t_next, state=state)
        if progress is not None:
            progress(i + 1)
    # The last prior step moves the root slightly: make the pose exactly
    # root-relative again, keeping pose + T unchanged.
    root = pose[:, root_index:root_index + 1]
    return pose - root, T + root[:, 0]


def score_result(prior, pose: Tensor, T: Tensor, uv: Tensor,
                 weights: Tensor, f: Tensor, c: Tensor,
                 choice: Optional[dict] = None, valid: Optional[dict] = None,
                 root_index: int = 0) -> Dict[str, Tensor]:
    """ZeDO's energy and :func:`pose_validity` of results [N].

    ``energy = reprojection_error`` (px) ``+ prior_weight * score_norm``,
    where ``score_norm`` (implausibility under the prior) is the RMS of the
    predicted noise at time ``energy_t`` (``choice``: the solver's
    ``choice`` settings, default :data:`ZEDO_DEFAULTS`'s).
    """
    choice = ZEDO_DEFAULTS['choice'] if choice is None else choice
    reproj = reprojection_error(pose, T, uv, weights, f, c)
    noise = prior.predicted_noise(pose, choice['energy_t'])
    score_norm = noise.flatten(1).norm(dim=1) / math.sqrt(pose[0].numel())
    out = dict(reprojection_error=reproj, score_norm=score_norm,
               energy=reproj + choice['prior_weight'] * score_norm)
    out.update(pose_validity(pose, T, uv, weights, f, c, valid, root_index,
                             reproj))
    return out


def zedo_lift(prior,
              keypoints: Tensor,
              scores: Tensor,
              f: Tensor,
              c: Tensor,
              anchors: Tensor,
              progress: Optional[Callable[[int], None]] = None,
              solver=None,
              **overrides) -> Dict[str, Tensor]:
    """Lift 2D poses to 3D with ZeDO: :meth:`ZeDOSolver.lift
    <mmzedo.core.solver.ZeDOSolver.lift>` of ``solver`` (default the
    default solver; or a preset's name, or a settings dict) with nested
    ``overrides`` of its settings, e.g. ``loops=dict(main=dict(steps=20))``.
    """
    from .solver import ZeDOSolver
    return ZeDOSolver.build(solver, **overrides).lift(
        prior, keypoints, scores, f, c, anchors, progress=progress)
