# Copyright (c) mmzedo contributors. All rights reserved.
from mmzedo.utils.openmmlab import has_mmpose

if has_mmpose():
    from .evenly_spaced_subset import EvenlySpacedSubset  # noqa: F401
    from .pose_batch_collate import pose_batch_collate  # noqa: F401
    from .pose_target_dataset import PoseTargetDataset  # noqa: F401
    from .transforms import *  # noqa: F401,F403
