# Copyright (c) mmzedo contributors. All rights reserved.
from typing import Optional

from mmengine.model import BaseDataPreprocessor
from mmpose.registry import MODELS
from torch import Tensor

from mmzedo.core.augment import augment_poses, resolve_augment_cfg


@MODELS.register_module()
class PriorDataPreprocessor(BaseDataPreprocessor):
    """Moves batches to the model's device and, in training, augments whole
    batches of root-relative 3D poses there with
    :func:`mmzedo.core.augment_poses` (flip, rotation about the root,
    symmetric bone scaling).

    Batches of ``dict(inputs=Tensor[B, J, 3])`` (from
    :class:`~mmzedo.datasets.PoseTargetDataset`) are augmented; batches of
    mmpose data samples (validation) only move to the device.

    Args:
        augment (dict, optional): Settings of :func:`augment_poses` (see
            :data:`~mmzedo.core.AUGMENT_DEFAULTS`); unknown names are an
            error. ``None`` uses the defaults.
        non_blocking (bool): Asynchronous host-to-device copies.
    """

    def __init__(self, augment: Optional[dict] = None,
                 non_blocking: bool = False):
        super().__init__(non_blocking)
        self.augment = resolve_augment_cfg(augment)

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = data.get('inputs')
        if training and isinstance(inputs, Tensor):
            data = dict(data, inputs=augment_poses(inputs, **self.augment))
        return data
