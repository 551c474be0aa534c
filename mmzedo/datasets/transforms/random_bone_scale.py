# Copyright (c) mmzedo contributors. All rights reserved.
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS

from mmzedo.datasets.mocap.convert import retarget_bone_lengths
from mmzedo.utils.skeleton import FLIP_INDICES, PARENTS, bone_lengths


@TRANSFORMS.register_module()
class RandomBoneScale(BaseTransform):
    """Scale bone lengths of the 3D lifting target, keeping every bone's
    direction and the root position: a global body scale times a per-bone
    factor that is the same for left and right bones (bodies stay
    symmetric).

    Required keys:
        - lifting_target ([T, 17, 3], Human3.6M layout)

    Modified keys:
        - lifting_target

    Args:
        global_std (float): Std of the global scale (around 1).
            Defaults to 0.05.
        bone_std (float): Std of the per-bone factors. Defaults to 0.05.
        clip (float): Factors are clipped to ``[1 - clip, 1 + clip]``.
            Defaults to 0.2.
        prob (float): Probability of scaling. Defaults to 0.5.
    """

    def __init__(self, global_std: float = 0.05, bone_std: float = 0.05,
                 clip: float = 0.2, prob: float = 0.5):
        self.global_std = global_std
        self.bone_std = bone_std
        self.clip = clip
        self.prob = prob

    def transform(self, results: Dict) -> Dict:
        if np.random.rand() >= self.prob:
            return results
        target = results['lifting_target']
        if target.shape[-2] != len(PARENTS):
            raise ValueError(f'RandomBoneScale expects {len(PARENTS)} joints '
                             f'(Human3.6M), got {target.shape[-2]}.')
        per_bone = np.random.normal(1., self.bone_std, len(PARENTS))
        per_bone = (per_bone + per_bone[FLIP_INDICES]) / 2  # symmetric
        factor = per_bone * np.random.normal(1., self.global_std)
        factor = np.clip(factor, 1 - self.clip, 1 + self.clip)
        # Mean lengths over the frames keep each frame's bones consistent.
        lengths = np.r_[0., bone_lengths(target).mean(axis=0)] * factor
        results['lifting_target'] = retarget_bone_lengths(
            target, lengths).astype(target.dtype)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(global_std={self.global_std}, '
                f'bone_std={self.bone_std}, prob={self.prob})')
