# Copyright (c) mmzedo contributors. All rights reserved.
"""ZeDO over tracked sequences with a warm start (plain torch).

The first frame of each track is lifted in full (:func:`zedo_lift`); every
later frame starts from the previous frame's pose and translation and runs
a short refinement loop (:func:`zedo_loop` with :data:`WARM_START_DEFAULTS`:
no initial-pose fit, fewer steps at low noise). Consecutive frames differ
little, so this costs a fraction of lifting each frame from the anchor, and
it carries the previous solution (depth, facing, limb choice) forward, which
makes the motion smoother.
"""
from typing import Callable, Dict, Optional

import torch
from torch import Tensor

from .zedo import (ZEDO_DEFAULTS, check_zedo_inputs, resolve_zedo_cfg,
                   score_result, zedo_lift, zedo_loop)

#: Later frames of a track: the lifter's loop (:data:`ZEDO_DEFAULTS`, its
#: over-relaxed ray projection and step rule) cut to 25 steps of
#: dt = 0.01 (pseudo-time 0.25) from t = 0.07 down (less noise than a lift
#: from the anchor: the previous frame's pose is close), translation solved
#: from the first step. Chosen on 120 open-benchmark test sequences apart
#: from those the README reports (tools/analysis/in_the_wild_benchmark.py
#: --sequence-offset 3). Later frames get no polish (zedo_lift's last
#: stage): after a warm start it made MPJPE worse there (61.4 vs 59.5 mm
#: with GT 2D).
WARM_START_DEFAULTS = dict(ZEDO_DEFAULTS, steps=25, warmup=0, t_max=0.07,
                           loop_time=0.25, polish_steps=0)


@torch.no_grad()
def zedo_lift_sequence(prior,
                       keypoints: Tensor,
                       scores: Tensor,
                       f: Tensor,
                       c: Tensor,
                       anchors: Tensor,
                       cfg: Optional[dict] = None,
                       warm_cfg: Optional[dict] = None,
                       progress: Optional[Callable[[int], None]] = None
                       ) -> Dict[str, Tensor]:
    """Lift ``N`` tracks of ``L`` frames each.

    Args:
        prior, anchors: As :func:`zedo_lift`.
        keypoints: 2D keypoints [N, L, J, 2] (pixels).
        scores: Confidences [N, L, J].
        f, c: Intrinsics of each track's camera [N, 2].
        cfg: Overrides of :data:`ZEDO_DEFAULTS` for the first frame.
        warm_cfg: Overrides of :data:`WARM_START_DEFAULTS` for the others.
        progress: Called with the frame index after each frame.

    Returns:
        dict: ``pose`` [N, L, J, 3] (root-relative), ``translation``
        [N, L, 3], and ``energy``, ``reprojection_error``, ``score_norm``,
        ``valid``, ``reprojection_rel``, ``bone_ratio``, ``depth``
        [N, L] (see :func:`score_result`).
    """
    warm = resolve_zedo_cfg(warm_cfg, WARM_START_DEFAULTS)
    device = next(prior.parameters()).device
    keypoints, scores, f, c, anchors = (
        torch.as_tensor(v, dtype=torch.float32).to(device)
        for v in (keypoints, scores, f, c, anchors))
    if keypoints.dim() != 4 or scores.dim() != 3:
        raise ValueError('Sequences need keypoints [N, L, J, 2] and scores '
                         f'[N, L, J], got {list(keypoints.shape)} and '
                         f'{list(scores.shape)}.')
    n, length = keypoints.shape[:2]
    for i in range(length):
        check_zedo_inputs(keypoints[:, i], scores[:, i], f, c, anchors)
    first = zedo_lift(prior, keypoints[:, 0], scores[:, 0], f, c, anchors,
                      **(cfg or {}))
    poses, Ts = [first['pose']], [first['translation']]
    if progress is not None:
        progress(0)
    for i in range(1, length):
        pose, T = zedo_loop(prior, poses[-1], Ts[-1], keypoints[:, i],
                            scores[:, i], f, c, warm)
        poses.append(pose)
        Ts.append(T)
        if progress is not None:
            progress(i)
    # Energies and validity of all frames in one batch.
    pose, T = torch.stack(poses, 1), torch.stack(Ts, 1)
    rep = (lambda v: v[:, None].expand(n, length, *v.shape[1:]).flatten(
        0, 1))  # noqa: E731
    scored = score_result(prior, pose.flatten(0, 1), T.flatten(0, 1),
                          keypoints.flatten(0, 1), scores.flatten(0, 1),
                          rep(f), rep(c), warm)
    out = dict(pose=pose, translation=T,
               **{k: v.reshape(n, length) for k, v in scored.items()})
    if not torch.isfinite(out['pose']).all():
        raise FloatingPointError('ZeDO produced NaN/inf on a sequence; '
                                 'check the inputs (pixels, metres).')
    return out
