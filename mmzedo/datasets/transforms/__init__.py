# Copyright (c) mmzedo contributors. All rights reserved.
from .check_camera_param import CheckCameraParam
from .random_bone_scale import RandomBoneScale
from .random_rotation_3d import RandomRotation3D, random_rotation_matrix

__all__ = [
    'CheckCameraParam', 'RandomBoneScale', 'RandomRotation3D',
    'random_rotation_matrix'
]
