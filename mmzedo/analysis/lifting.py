# Copyright (c) mmzedo contributors. All rights reserved.
"""ZeDO lifting of benchmark data for the analysis tools."""


def lift_poses(prior, anchors, data, solver=None):
    """Root-relative poses [N, 17, 3] lifted from ``data`` (as
    :func:`load_test_split` returns it) by the ZeDO ``solver`` (as
    ``ZeDOSolver.build`` takes it: None for the default, a preset's name, a
    nested settings dict with an optional ``preset``, or a solver), and the
    seconds it took."""
    import time

    import torch

    from mmzedo.core import ZeDOSolver
    solver = ZeDOSolver.build(solver)
    kp, conf, f, c = data[:4]
    t0 = time.perf_counter()
    with torch.no_grad():
        out = solver.lift(prior, kp, conf, f, c, anchors)
    return out['pose'].cpu().numpy(), time.perf_counter() - t0
