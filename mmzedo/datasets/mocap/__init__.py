# Copyright (c) mmzedo contributors. All rights reserved.
"""Motion capture -> mmpose Human3.6M format (pure numpy, no mmpose)."""
from .convert import (NOSE_FORWARD_DEG, convert_mocap, h36m_joint_definitions,
                      place_in_area, retarget_bone_lengths,
                      simulate_detections, split_by_travel)
from .io import MocapFormatError, check_world_joints, load_mocap
from .open_benchmark import (BANDAI_BENCHMARK, OPEN_BENCHMARK, OPEN_RIGS,
                             SHARED_MOCAP, build_bandai_benchmark,
                             build_benchmark, build_open_benchmark)
from .rigs import CAMERA_RIGS, build_rig, camera_to_pixel, world_to_camera

__all__ = [
    'BANDAI_BENCHMARK', 'CAMERA_RIGS', 'MocapFormatError', 'NOSE_FORWARD_DEG',
    'OPEN_BENCHMARK',
    'OPEN_RIGS', 'SHARED_MOCAP', 'build_bandai_benchmark', 'build_benchmark',
    'build_open_benchmark', 'build_rig', 'camera_to_pixel',
    'check_world_joints', 'convert_mocap', 'h36m_joint_definitions',
    'load_mocap', 'place_in_area',
    'retarget_bone_lengths', 'simulate_detections', 'split_by_travel',
    'world_to_camera'
]
