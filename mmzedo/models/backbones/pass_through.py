# Copyright (c) mmzedo contributors. All rights reserved.
from typing import Tuple

from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class PassThroughBackbone(BaseModule):
    """A backbone that hands its input on unchanged, for heads that need no
    features (:class:`~mmzedo.models.ZeDOHead` reads the 2D from the data
    samples). ``causal`` is what mmpose's ``PoseLifter`` asks of a
    backbone (``False``: a single-frame model)."""

    causal = False

    def forward(self, x: Tensor) -> Tuple[Tensor]:
        return (x, )
