# Copyright (c) mmzedo contributors. All rights reserved.
from typing import Sequence, Union

import torch
from mmengine.registry import FUNCTIONS
from torch import Tensor


@FUNCTIONS.register_module()
def pose_batch_collate(batch: Union[Tensor, Sequence[Tensor]]) -> dict:
    """Collate poses from :class:`~mmzedo.datasets.PoseTargetDataset` into
    ``dict(inputs=[B, J, 3], data_samples=None)``: a batch tensor (from its
    ``__getitems__``) passes through, a list of poses is stacked."""
    poses = batch if isinstance(batch, Tensor) else torch.stack(list(batch))
    return dict(inputs=poses, data_samples=None)
