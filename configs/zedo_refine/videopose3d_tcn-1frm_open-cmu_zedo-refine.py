# VideoPose3D-1frm (the open-benchmark baseline) + ZeDO refinement at test
# time: the only change to the lifter's test config is the hook entry.
# tools/test.py reports the refined metrics (MPJPE, ...) and the lifter's own
# (unrefined/MPJPE, ...) in one run.
_base_ = [
    '../videopose3d/videopose3d_tcn-1frm_1xb1024-12e_open-cmu-h36m-like.py'
]

custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(
        type='ZeDORefineHook',
        prior_checkpoint='checkpoints/'
        'prior_mlp-512x2_subvp-t01-seat-h36mjoints_open-cmu.pth',
        # Nested overrides of the solver preset 'refine' (mmzedo.core.PRESETS:
        # 100 steps, 20 warm-up, t 0.05 -> 0.01, the official step, no
        # polish), e.g. zedo_cfg=dict(loops=dict(main=dict(steps=50))).
        zedo_cfg=None,
        resolve_rotation=False)
]
