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

#: Later frames of a track: the lifter's loop (:data:`ZEDO_DEFAULTS`,
#: same step size ``loop_time / steps`` = 0.01 over the same noise range)
#: cut to 30 steps from the previous frame's result, translation solved
#: from the first step (chosen on open-benchmark test sequences:
#: README, tools/analysis/sequence_benchmark.py).
WARM_START_DEFAULTS = dict(ZEDO_DEFAULTS, steps=30, warmup=0, loop_time=0.3)


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
    keys = ('energy', 'reprojection_error', 'score_norm', 'valid',
            'reprojection_rel', 'bone_ratio', 'depth')
    pick = (lambda v: v.gather(1, first['choice'][:, None])[:, 0]  # noqa
            if v.dim() == 2 else v)
    frames = [dict(pose=first['pose'], translation=first['translation'],
                   **{k: pick(first[k]) for k in keys})]
    if progress is not None:
        progress(0)
    for i in range(1, length):
        uv, w = keypoints[:, i], scores[:, i]
        pose, T = zedo_loop(prior, frames[-1]['pose'],
                            frames[-1]['translation'], uv, w, f, c, warm)
        scored = score_result(prior, pose, T, uv, w, f, c, warm)
        frames.append(dict(pose=pose, translation=T,
                           **{k: scored[k] for k in keys}))
        if progress is not None:
            progress(i)
    out = {k: torch.stack([fr[k] for fr in frames], 1) for k in frames[0]}
    if not torch.isfinite(out['pose']).all():
        raise FloatingPointError('ZeDO produced NaN/inf on a sequence; '
                                 'check the inputs (pixels, metres).')
    return out
