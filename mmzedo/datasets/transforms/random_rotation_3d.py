# Copyright (c) mmzedo contributors. All rights reserved.
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS
from scipy.spatial.transform import Rotation

_AXES = ('x', 'y', 'z')


def random_rotation_matrix(rng: np.random.Generator, axis: str = 'y',
                           max_angle: float = 180.) -> np.ndarray:
    """A random 3x3 rotation (scipy's ``Rotation``): about one coordinate
    ``axis`` by an angle uniform in ``[-max_angle, max_angle]`` degrees, or
    uniform over SO(3) for ``axis='full'``."""
    if axis == 'full':
        return Rotation.random(random_state=rng).as_matrix()
    angle = rng.uniform(-max_angle, max_angle)
    return Rotation.from_euler(axis, angle, degrees=True).as_matrix()


@TRANSFORMS.register_module()
class RandomRotation3D(BaseTransform):
    """Rotate the 3D lifting target about its root joint (augmentation for
    3D-only training, e.g. of the pose prior; the 2D keypoints are left as
    they are and no longer match).

    Required keys:
        - lifting_target ([T, K, 3])

    Modified keys:
        - lifting_target

    Args:
        axis (str): ``'y'`` (default: the vertical of an upright camera,
            i.e. yaw), ``'x'``, ``'z'``, or ``'full'`` for rotations uniform
            over SO(3).
        max_angle (float): Largest angle (degrees) for a single-axis
            rotation. Defaults to 180.
        root_index (int): Joint kept fixed. Defaults to 0 (pelvis).
        prob (float): Probability of rotating. Defaults to 1.
    """

    def __init__(self, axis: str = 'y', max_angle: float = 180.,
                 root_index: int = 0, prob: float = 1.0):
        if axis not in (*_AXES, "full"):
            raise ValueError(f'axis must be x, y, z or full, got "{axis}".')
        self.axis = axis
        self.max_angle = max_angle
        self.root_index = root_index
        self.prob = prob

    def transform(self, results: Dict) -> Dict:
        if np.random.rand() >= self.prob:
            return results
        rng = np.random.default_rng(np.random.randint(2**31))
        R = random_rotation_matrix(rng, self.axis, self.max_angle)
        target = results['lifting_target']
        root = target[..., self.root_index:self.root_index + 1, :]
        results['lifting_target'] = (
            (target - root) @ R.T + root).astype(target.dtype)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(axis={self.axis!r}, '
                f'max_angle={self.max_angle}, prob={self.prob})')
