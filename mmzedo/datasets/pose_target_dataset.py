# Copyright (c) mmzedo contributors. All rights reserved.
from functools import partial
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.dataset import BaseDataset, ConcatDataset
from mmpose.datasets import CombinedDataset
from mmpose.registry import DATASETS
from torch import Tensor
from torch.utils.data import Dataset

from mmzedo.datasets.mocap import h36m_joint_definitions
from mmzedo.utils.skeleton import check_metres


@DATASETS.register_module()
class PoseTargetDataset(Dataset):
    """The root-relative 3D lifting targets of any mmpose 3D dataset, held
    as one tensor ``[N, J, 3]`` for fast training of 3D-only models (ZeDO's
    pose prior): no per-sample pipeline or ``PoseDataSample`` in the loop.

    The wrapped dataset (``Human36mDataset``, ``CombinedDataset`` or
    ``ConcatDataset`` of several, any dataset with ``get_data_info``) is read
    once; every ``lifting_target`` frame becomes one pose, made
    root-relative; units are checked (a mean bone length in metres).
    Batches come from :meth:`__getitems__` (one indexing op, which
    PyTorch's ``DataLoader`` uses for a whole batch) and
    :func:`~mmzedo.datasets.pose_batch_collate` turns them into
    ``dict(inputs=poses)``; augmentation then runs on whole batches on the
    model's device in :class:`~mmzedo.models.PriorDataPreprocessor`.

    Args:
        dataset (dict | Dataset): The mmpose 3D dataset (config or object).
            Its pipeline is not needed (leave it ``[]``).
        root_index (int): Root joint. Defaults to 0 (pelvis).
        num_joints (int): Joints per pose. Defaults to 17 (Human3.6M).
        joint_definitions (str, optional): ``'h36m'`` moves the joints that
            motion-capture rigs define in their own way to where
            Human3.6M's annotation puts them (pelvis at the hips' midpoint,
            joint 9 the nose) and gives the poses Human3.6M's bone lengths
            (:func:`mmzedo.datasets.mocap.h36m_joint_definitions`), before
            they are made root-relative. Defaults to None (as read).
    """

    def __init__(self,
                 dataset: Union[dict, Dataset],
                 root_index: int = 0,
                 num_joints: int = 17,
                 joint_definitions: Optional[str] = None):
        if joint_definitions not in (None, 'h36m'):
            raise ValueError(f'joint_definitions={joint_definitions!r}: '
                             "expected None or 'h36m'.")
        if joint_definitions and num_joints != 17:
            raise ValueError("joint_definitions='h36m' needs the 17 "
                             f'Human3.6M joints, not {num_joints}.')
        self.joint_definitions = joint_definitions
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        self.dataset = dataset
        self.metainfo = getattr(dataset, 'metainfo', {})
        self.root_index = root_index
        self.num_joints = num_joints
        self.poses = torch.from_numpy(self._read_targets(dataset))

    def _read_frames(self, dataset) -> List[np.ndarray]:
        """``lifting_target`` frames of every sample, as ``[T, J, 3]``."""
        name = type(dataset).__name__
        if isinstance(dataset, (CombinedDataset, ConcatDataset)):
            return [
                f for sub in dataset.datasets for f in self._read_frames(sub)
            ]
        if isinstance(dataset, BaseDataset):
            # mmengine's records, without the per-sample deep copies of the
            # metainfo that mmpose's get_data_info adds (~10x faster).
            dataset.full_init()
            get_info = partial(BaseDataset.get_data_info, dataset)
        else:
            get_info = dataset.get_data_info
        frames: List[np.ndarray] = []
        for i in range(len(dataset)):
            info = get_info(i)
            if 'lifting_target' not in info:
                raise KeyError(f'{name} sample {i} has no "lifting_target": '
                               'PoseTargetDataset needs an mmpose 3D '
                               '(mocap) dataset.')
            target = np.asarray(info['lifting_target'], dtype=np.float32)
            if target.shape[-2:] != (self.num_joints, 3):
                raise ValueError(
                    f'{name} sample {i}: lifting_target has shape '
                    f'{list(target.shape)}, expected [..., '
                    f'{self.num_joints}, 3].')
            frames.append(target.reshape(-1, self.num_joints, 3))
        return frames

    def _read_targets(self, dataset) -> np.ndarray:
        name = type(dataset).__name__
        frames = self._read_frames(dataset) if len(dataset) else []
        if not frames:
            raise ValueError(f'{name} is empty: no 3D poses to train on.')
        poses = np.concatenate(frames)
        bad = ~np.isfinite(poses).all(axis=(1, 2))
        if bad.any():
            raise ValueError(f'{name}: {int(bad.sum())} 3D targets contain '
                             f'NaN/inf (first: pose {int(bad.argmax())}).')
        if self.joint_definitions == 'h36m':
            poses = h36m_joint_definitions(poses).astype(np.float32)
        poses = poses - poses[:, self.root_index:self.root_index + 1]
        if self.num_joints == 17:
            check_metres(poses, name)
        return poses

    def __len__(self) -> int:
        return len(self.poses)

    def __getitem__(self, idx: int) -> Tensor:
        return self.poses[idx]

    def __getitems__(self, indices: Sequence[int]) -> Tensor:
        """A whole batch ``[B, J, 3]`` in one indexing operation."""
        return self.poses[torch.as_tensor(indices, dtype=torch.long)]
