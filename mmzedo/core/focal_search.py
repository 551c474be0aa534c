# Copyright (c) mmzedo contributors. All rights reserved.
"""Unknown intrinsics: the focal length chosen by ZeDO's own fit (plain
torch).

With the principal point at the image centre, every candidate focal length
``f_k`` (a geometric grid relative to the image's longer side) is tried with
the ZeDO solver (:meth:`~mmzedo.core.ZeDOSolver.lift`); the ZeDO energy
(reprojection error + prior implausibility) is summed over the people that
share a camera (one image, or one video), the grid minimum is refined by a
parabola through its neighbours in ``log f``, and the poses are lifted once
more at that focal length. A wrong focal length bends the rays so that no
plausible pose fits them all, which is what the energy measures.
"""
import math
from typing import Callable, Dict, Optional

import torch
from torch import Tensor

from .settings import merge_settings
from .inputs import as_float_tensor, check_2d_in_image
from .solver import ZeDOSolver

#: Candidate focal lengths: ``focal_num`` values from ``focal_min`` to
#: ``focal_max`` times the image's longer side (a 0.3x..4x range covers
#: ~118 deg to ~14 deg horizontal fields of view), geometric. The
#: candidates are scored with ``candidate_loops`` over the solver's loop
#: stages (for the search only; the solver preset ``'focal-candidates'`` is
#: the default solver with them): the plain ray projection and 100 steps,
#: no polish,
#: whose energy tells focal lengths apart better than a short over-relaxed
#: loop (49 steps; open benchmark, 384 samples apart from the reported
#: ones, per image: MPJPE +0.8..3.1% against known K instead of +2..6.7%,
#: median focal error 18-49% instead of 33-62%); the final lift at the
#: chosen focal length uses the caller's settings.
FOCAL_SEARCH_DEFAULTS = dict(
    focal_min=0.3, focal_max=4.0, focal_num=12,
    candidate_loops=dict(main=dict(steps=100, warmup=20, loop_time=1.0,
                                   ray_relaxation=1.0),
                         polish=dict(steps=0)))


#: At most this many poses x hypotheses per batch of candidate lifts.
CANDIDATE_BATCH = 4096


def _parabola_vertex(y0: float, y1: float, y2: float) -> float:
    """Offset in (-1, 1) of the minimum of the parabola through
    (-1, y0), (0, y1), (1, y2); 0 when it is not convex."""
    curv = y0 - 2 * y1 + y2
    if curv <= 0:
        return 0.
    return max(-1., min(1., 0.5 * (y0 - y2) / curv))


@torch.no_grad()
def estimate_focal(prior,
                   keypoints: Tensor,
                   scores: Tensor,
                   image_size: Tensor,
                   anchors: Tensor,
                   groups: Optional[Tensor] = None,
                   search: Optional[dict] = None,
                   progress: Optional[Callable[[int], None]] = None,
                   solver=None,
                   lift: bool = True,
                   **overrides) -> Dict[str, Tensor]:
    """Lift 2D poses whose intrinsics are unknown.

    Args:
        prior, keypoints, scores, anchors: As :meth:`ZeDOSolver.lift
            <mmzedo.core.solver.ZeDOSolver.lift>`.
        image_size: Width and height [B, 2] (pixels); the principal point
            is their centre.
        groups: Camera index [B] of each sample (samples of one group share
            the focal length). Defaults to one camera per sample.
        search: Overrides of :data:`FOCAL_SEARCH_DEFAULTS`.
        progress: Called with the candidate's index after each one.
        solver, **overrides: The solver (as ``ZeDOSolver.build`` takes it)
            of the final lift; the candidates run it with
            ``search['candidate_loops']`` over its loops.
        lift: Lift the poses at the chosen focal length (the final lift).
            False: only choose it, for a caller that lifts the poses
            itself (the in-the-wild pipeline's lift stage).

    Returns:
        dict: :meth:`ZeDOSolver.lift`'s outputs at the chosen focal length
        (none without ``lift``), plus ``f`` and ``c`` [B, 2],
        ``focal_candidates`` [K] (relative to the longer image side),
        ``focal_energy`` [K, B] (the chosen
        hypothesis's energy at each candidate) and ``focal_at_edge`` [B]
        (the lowest energy at the first or last candidate: the focal
        length is only bounded by ``focal_min`` / ``focal_max``).
    """
    search = merge_settings(FOCAL_SEARCH_DEFAULTS, search, 'focal search')
    lo, hi, num = (search['focal_min'], search['focal_max'],
                   search['focal_num'])
    if not (0 < lo < hi and num >= 3):
        raise ValueError('Focal search needs 0 < focal_min < focal_max and '
                         f'focal_num >= 3, got {search}.')
    size = torch.as_tensor(image_size, dtype=torch.float32)
    b = len(keypoints)
    if size.shape != (b, 2) or not torch.isfinite(size).all() or (
            size <= 0).any():
        raise ValueError(f'image_size must be positive [B={b}, 2] (width, '
                         f'height in pixels), got {list(size.shape)}.')
    kp, sc = as_float_tensor(keypoints, 'keypoints'), as_float_tensor(
        scores, 'scores')
    if kp.dim() == 3 and sc.shape == kp.shape[:2]:  # else zedo_lift names it
        check_2d_in_image(kp, sc, size)
    groups = (torch.arange(b) if groups is None else torch.as_tensor(
        groups, dtype=torch.long).reshape(b))
    c = size / 2
    side = size.max(1).values
    ratios = torch.logspace(math.log10(lo), math.log10(hi), num)
    solver = ZeDOSolver.build(solver, **overrides)
    # The candidates keep the loop's own size: a known size (stage scale)
    # changes the prior's term of the energy, not the fit to the 2D.
    candidate = solver.replace(loops=search['candidate_loops'],
                               scale=dict(bone_length=None))
    # The candidates are lifted together, as many per batch as keep it
    # under CANDIDATE_BATCH poses x hypotheses (one loop for all of them
    # instead of one per candidate: the same results, far less overhead).
    kp, sc, _, cc, anchors = candidate.check_inputs(
        prior, keypoints, scores, (ratios[0] * side)[:, None].expand(b, 2),
        c, anchors)  # named errors before any batching
    per_batch = max(1, CANDIDATE_BATCH // max(1, b * len(anchors)))
    energy = []
    for k0 in range(0, num, per_batch):
        part = ratios[k0:k0 + per_batch]
        f = (part[:, None] * side[None]).reshape(-1, 1).expand(-1, 2)
        out = candidate.lift(prior, kp.repeat(len(part), 1, 1),
                             sc.repeat(len(part), 1), f,
                             cc.repeat(len(part), 1), anchors)
        energy.append(out['energy'].min(1).values.reshape(len(part),
                                                          b).cpu())
        if progress is not None:
            for k in range(k0, k0 + len(part)):
                progress(k)
    energy = torch.cat(energy)  # [K, B]
    log_ratio = torch.empty(b)
    at_edge = torch.zeros(b, dtype=torch.bool)
    for g in groups.unique():
        members = groups == g
        curve = energy[:, members].sum(1)
        k = int(curve.argmin())
        step = math.log(ratios[1] / ratios[0])
        offset = 0.
        if 0 < k < num - 1:
            offset = _parabola_vertex(*curve[k - 1:k + 2].tolist())
        else:  # the energy still falls at the range's end
            at_edge[members] = True
        log_ratio[members] = math.log(ratios[k]) + offset * step
    f = (log_ratio.exp() * side)[:, None].expand(b, 2).contiguous()
    out = solver.lift(prior, keypoints, scores, f, c, anchors) if lift else {}
    dev = out['pose'].device if lift else kp.device
    out.update(f=f.to(dev), c=c.to(dev), focal_candidates=ratios,
               focal_energy=energy, focal_at_edge=at_edge.to(dev))
    return out
