# Copyright (c) mmzedo contributors. All rights reserved.
"""The 17-joint Human3.6M skeleton used throughout mmzedo (pure numpy)."""
import numpy as np

NUM_JOINTS = 17
ROOT_INDEX = 0

JOINT_NAMES = (
    'pelvis', 'right_hip', 'right_knee', 'right_ankle', 'left_hip',
    'left_knee', 'left_ankle', 'spine', 'thorax', 'neck', 'head_top',
    'left_shoulder', 'left_elbow', 'left_wrist', 'right_shoulder',
    'right_elbow', 'right_wrist')

#: Parent of each joint in the kinematic tree (-1 for the root).
PARENTS = np.array([-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15])

#: Index of each joint's mirror image (left <-> right).
FLIP_INDICES = np.array(
    [0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 14, 15, 16, 11, 12, 13])

#: (left bone child, right bone child) pairs, for symmetry checks.
LEFT_RIGHT_BONES = ((4, 1), (5, 2), (6, 3), (11, 14), (12, 15), (13, 16))

ANKLES = (3, 6)

#: Approximate Human3.6M bone lengths in metres (mean of the training
#: subjects, rounded to millimetres), indexed by the bone's child joint.
#: Index 0 (the root) has no bone.
H36M_BONE_LENGTHS = np.array([
    0.0,
    0.133, 0.443, 0.454,  # right hip, thigh, shin
    0.133, 0.443, 0.454,  # left hip, thigh, shin
    0.234, 0.257,  # pelvis-spine, spine-thorax
    0.121, 0.115,  # thorax-neck, neck-head top
    0.151, 0.279, 0.250,  # left shoulder, upper arm, forearm
    0.151, 0.279, 0.250,  # right shoulder, upper arm, forearm
], dtype=np.float64)


#: Height of the ankle joint over the floor as a share of standing height
#: (anthropometric segment proportions, Drillis and Contini: 0.039 H).
ANKLE_HEIGHT_SHARE = 0.039


def height_to_bone_length(height: float) -> float:
    """The mean bone length (metres) of a Human3.6M-17 skeleton in
    :data:`H36M_BONE_LENGTHS`' proportions for a person standing
    ``height`` metres tall: ankle to head top along the leg and the spine
    is ``1 - ANKLE_HEIGHT_SHARE`` of the height."""
    height = float(height)
    if not 1.0 <= height <= 2.5:
        raise ValueError(f'A standing height of {height} m: expected a '
                         'person 1.0-2.5 m tall (metres, not cm).')
    chain = H36M_BONE_LENGTHS[[2, 3, 7, 8, 9, 10]].sum()  # ankle..head top
    return float(H36M_BONE_LENGTHS[1:].mean() * height *
                 (1 - ANKLE_HEIGHT_SHARE) / chain)


def bone_lengths(poses: np.ndarray) -> np.ndarray:
    """Bone lengths of poses ``[..., 17, 3]`` as ``[..., 16]`` (children
    1..16 in joint order)."""
    poses = np.asarray(poses)
    bones = poses[..., 1:, :] - poses[..., PARENTS[1:], :]
    return np.linalg.norm(bones, axis=-1)


def check_metres(poses: np.ndarray, what: str) -> float:
    """Raise a ValueError naming ``what`` unless 17-joint poses
    ``[..., 17, 3]`` are in metres (a person's mean bone length is
    ~0.27 m: millimetres give ~270, centimetres ~27). Returns the median
    mean bone length."""
    poses = np.asarray(poses)
    if poses.ndim < 2 or poses.shape[-2:] != (NUM_JOINTS, 3):
        raise ValueError(f'{what}: poses must be [..., {NUM_JOINTS}, 3] '
                         f'(Human3.6M layout), got {list(poses.shape)}.')
    mean_bone = float(np.median(bone_lengths(poses).reshape(-1, 16).mean(-1)))
    if not 0.05 < mean_bone < 1.0:
        unit = ('these look like millimetres' if 50 < mean_bone < 1000 else
                'these look like centimetres' if 5 < mean_bone <= 50 else
                'collapsed or not a human skeleton' if mean_bone <= 0.05
                else 'not a human scale')
        raise ValueError(
            f'{what}: the median mean bone length is {mean_bone:.4g} '
            f'(expected ~0.27 m; {unit}): 3D poses must be in metres.')
    return mean_bone
