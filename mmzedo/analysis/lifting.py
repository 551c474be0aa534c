# Copyright (c) mmzedo contributors. All rights reserved.
"""ZeDO lifting of benchmark data for the analysis tools."""


def lift_poses(prior, anchors, data, overrides=None):
    """Root-relative poses [N, 17, 3] lifted from ``data`` (as
    :func:`load_test_split` returns it) by :func:`mmzedo.core.zedo_lift`
    with ``overrides`` of ``ZEDO_DEFAULTS`` (or the name of a preset of
    ``mmzedo.core``, or ``(preset name, overrides of it)``), and the
    seconds it took."""
    import time

    import torch

    from mmzedo import core
    if isinstance(overrides, str):  # a preset of mmzedo.core
        overrides = getattr(core, overrides)
    elif isinstance(overrides, tuple):  # (preset, overrides of it)
        overrides = dict(getattr(core, overrides[0]), **overrides[1])
    kp, conf, f, c = data[:4]
    t0 = time.perf_counter()
    with torch.no_grad():
        out = core.zedo_lift(prior, kp, conf, f, c, anchors,
                             **(overrides or {}))
    return out['pose'].cpu().numpy(), time.perf_counter() - t0
