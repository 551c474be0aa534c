# Copyright (c) mmzedo contributors. All rights reserved.
"""ZeDO over tracked sequences with a warm start (plain torch).

The first frame of each track is lifted in full (:meth:`ZeDOSolver.lift
<mmzedo.core.solver.ZeDOSolver.lift>`); every later frame starts from the
previous frame's pose and translation and runs the solver's loop stages
with the warm start's loops over them (:meth:`ZeDOSolver.warm_start`: no
initial-pose fit, fewer steps at low noise, no polish; the settings group
``sequence`` of :data:`~mmzedo.core.ZEDO_DEFAULTS`). Consecutive frames
differ little, so this costs a fraction of lifting each frame from the
anchor, and it carries the previous solution (depth, facing, limb choice)
forward, which makes the motion smoother.

Started from the previous pose alone, a frame also inherits the previous
frame's error, and errors pile up along the track (MPJPE grows with the
frame index). So each start is drawn back a little towards the track's
anchor (the K-Means centre that the first frame started from), turned to
the previous pose's facing (:func:`warm_start_pose`): the start keeps
``1 - anchor_weight`` of the previous pose, and an error carried from ``k``
frames back is damped by ``(1 - anchor_weight)^k``.

A track whose identity switches (the tracker swaps two people) or whose
person moves abruptly is restarted: a frame is lifted in full where its 2D
moved more than ``restart_jump`` times the previous frame's 2D spread (mean
over the joints confident in both frames; None: never). On the open
benchmark's 10 fps test runs the jump stays below 0.46 with GT 2D (99th
percentile 0.40) and a switch to another person gives 1.0 (median); the
warm start's reprojection error does not tell a switch apart (it fits the
other person's 2D as closely): tools/analysis/identity_switch_benchmark.py,
docs/bad_input.md.
"""
from typing import Callable, Dict, Optional

import torch
from torch import Tensor

from .inputs import ZeDOInputError, _weighted_spread, check_zedo_inputs
from .solver import ZeDOSolver


def rotation_onto(source: Tensor, target: Tensor) -> Tensor:
    """Rotations [N, 3, 3] that turn root-relative poses ``source`` onto
    ``target`` [N, J, 3] in the least-squares sense (Kabsch: SVD of the
    3x3 cross-covariance, reflections excluded); ``source @ R.mT``."""
    U, _, Vh = torch.linalg.svd(source.transpose(1, 2) @ target)
    # R = V diag(1, 1, det(V U^T)) U^T: a proper rotation.
    d = torch.linalg.det(Vh.transpose(1, 2) @ U.transpose(1, 2))
    D = torch.diag_embed(torch.stack([torch.ones_like(d)] * 2 + [d], -1))
    return Vh.transpose(1, 2) @ D @ U.transpose(1, 2)


def two_d_jump(previous: Tensor, current: Tensor, prev_scores: Tensor,
               scores: Tensor) -> Tensor:
    """How far each 2D pose moved between two frames [N]: the mean
    displacement of the joints confident in both frames over the previous
    frame's confidence-weighted RMS spread (inf where no joint is confident
    in both)."""
    both = ((prev_scores > 0) & (scores > 0)).to(previous.dtype)
    moved = (current - previous).norm(dim=-1)
    mean = (both * moved).sum(1) / both.sum(1).clamp(min=1)
    jump = mean / _weighted_spread(previous, prev_scores).clamp(min=1e-6)
    return torch.where(both.sum(1) > 0, jump,
                       torch.full_like(jump, float('inf')))


def warm_start_pose(previous: Tensor, anchor: Tensor,
                    anchor_weight: float) -> Tensor:
    """Start of a warm-started frame: ``(1 - anchor_weight) * previous +
    anchor_weight * R anchor``, with ``R`` turning the (root-relative)
    ``anchor`` [N, J, 3] onto the ``previous`` pose [N, J, 3]."""
    if anchor_weight == 0:
        return previous
    turned = anchor @ rotation_onto(anchor, previous).transpose(1, 2)
    return (1 - anchor_weight) * previous + anchor_weight * turned


@torch.no_grad()
def zedo_lift_sequence(prior,
                       keypoints: Tensor,
                       scores: Tensor,
                       f: Tensor,
                       c: Tensor,
                       anchors: Tensor,
                       solver=None,
                       progress: Optional[Callable[[int], None]] = None,
                       **overrides) -> Dict[str, Tensor]:
    """Lift ``N`` tracks of ``L`` frames each.

    Args:
        prior, anchors: As :meth:`ZeDOSolver.lift
            <mmzedo.core.solver.ZeDOSolver.lift>`.
        keypoints: 2D keypoints [N, L, J, 2] (pixels).
        scores: Confidences [N, L, J].
        f, c: Intrinsics of each track's camera [N, 2].
        solver: The solver (as ``ZeDOSolver.build`` takes it; default the
            default solver), with nested ``overrides`` of its settings. All
            of them reach every frame: the first frames (and restarts) run
            it, the later ones its :meth:`~ZeDOSolver.warm_start` (the
            settings of ``sequence``).
        progress: Called with the frame index after each frame.

    Returns:
        dict: ``pose`` [N, L, J, 3] (root-relative), ``translation``
        [N, L, 3], ``restarted`` [N, L] (frames lifted in full again after
        a suspected identity switch), and ``energy``,
        ``reprojection_error``, ``score_norm``, ``valid``,
        ``reprojection_rel``, ``bone_ratio``, ``depth`` [N, L] (see
        :func:`~mmzedo.core.zedo.score_result`).
    """
    solver = ZeDOSolver.build(solver, **overrides)
    warm = solver.warm_start()
    anchor_weight = solver.cfg['sequence']['anchor_weight']
    jump_limit = solver.cfg['sequence']['restart_jump']
    device = next(prior.parameters()).device
    keypoints, scores, f, c, anchors = (
        torch.as_tensor(v, dtype=torch.float32).to(device)
        for v in (keypoints, scores, f, c, anchors))
    if keypoints.dim() != 4 or scores.dim() != 3:
        raise ValueError('Sequences need keypoints [N, L, J, 2] and scores '
                         f'[N, L, J], got {list(keypoints.shape)} and '
                         f'{list(scores.shape)}.')
    n, length = keypoints.shape[:2]
    if n == 0 or length == 0:
        raise ZeDOInputError(f'Sequences need at least one track of at '
                             f'least one frame, got {n} tracks of {length} '
                             'frames.')
    if scores.shape != keypoints.shape[:3]:
        raise ZeDOInputError(f'Scores {list(scores.shape)} do not match the '
                             f'keypoints {list(keypoints.shape[:3])} (tracks, '
                             'frames, joints).')
    for i in range(length):
        check_zedo_inputs(keypoints[:, i], scores[:, i], f, c, anchors)
    first = solver.lift(prior, keypoints[:, 0], scores[:, 0], f, c, anchors)
    poses, Ts = [first['pose']], [first['translation']]
    root = solver.root_index
    centred = anchors - anchors[:, root:root + 1]
    anchor = centred[first['choice']]  # the anchor each track started from
    if progress is not None:
        progress(0)
    restarted = torch.zeros(n, length, dtype=torch.bool, device=device)
    for i in range(1, length):
        kp, sc = keypoints[:, i], scores[:, i]
        if jump_limit is not None:  # a suspected identity switch
            restarted[:, i] = two_d_jump(keypoints[:, i - 1], kp,
                                         scores[:, i - 1], sc) > jump_limit
        start = warm_start_pose(poses[-1], anchor, anchor_weight)
        pose, T = warm.run_loops(prior, start, Ts[-1], kp, sc, f, c)
        if restarted[:, i].any():  # a full lift, as a track's first frame
            k = restarted[:, i].nonzero().flatten()
            new = solver.lift(prior, kp[k], sc[k], f[k], c[k], anchors)
            pose, T = pose.clone(), T.clone()  # never the previous frame's
            pose[k], T[k] = new['pose'], new['translation']
            anchor = anchor.clone()
            anchor[k] = centred[new['choice']]
        poses.append(pose)
        Ts.append(T)
        if progress is not None:
            progress(i)
    # Energies and validity of all frames in one batch.
    pose, T = torch.stack(poses, 1), torch.stack(Ts, 1)
    rep = (lambda v: v[:, None].expand(n, length, *v.shape[1:]).flatten(
        0, 1))  # noqa: E731
    scored = solver.score(prior, pose.flatten(0, 1), T.flatten(0, 1),
                          keypoints.flatten(0, 1), scores.flatten(0, 1),
                          rep(f), rep(c))
    out = dict(pose=pose, translation=T, restarted=restarted,
               **{k: v.reshape(n, length) for k, v in scored.items()})
    if not torch.isfinite(out['pose']).all():
        raise FloatingPointError('ZeDO produced NaN/inf on a sequence; '
                                 'check the inputs (pixels, metres).')
    return out
