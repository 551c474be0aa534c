# Copyright (c) mmzedo contributors. All rights reserved.
from .checkpoint import (allow_mmengine_checkpoints_in_torch_load,
                         history_buffer_getattr, numpy_safe_globals)
from .openmmlab import has_mmpose, run_mmpose_tool
from .skeleton import (FLIP_INDICES, H36M_BONE_LENGTHS, JOINT_NAMES,
                       LEFT_RIGHT_BONES, NUM_JOINTS, PARENTS, ROOT_INDEX,
                       bone_lengths, check_metres, height_to_bone_length)

__all__ = [
    'FLIP_INDICES', 'H36M_BONE_LENGTHS', 'JOINT_NAMES', 'LEFT_RIGHT_BONES',
    'NUM_JOINTS', 'PARENTS', 'ROOT_INDEX',
    'allow_mmengine_checkpoints_in_torch_load', 'bone_lengths',
    'check_metres', 'has_mmpose', 'height_to_bone_length',
    'history_buffer_getattr',
    'numpy_safe_globals', 'run_mmpose_tool'
]
