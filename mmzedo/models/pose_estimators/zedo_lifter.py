# Copyright (c) mmzedo contributors. All rights reserved.
from typing import Optional

from mmpose.models.pose_estimators import PoseLifter
from mmpose.registry import MODELS

# The input glue lives with the head; importable from here as before.
from ..heads.zedo_head import target_frame, zedo_inputs  # noqa: F401


@MODELS.register_module()
class ZeDOLifter(PoseLifter):
    """mmpose's ``PoseLifter`` with a :class:`~mmzedo.models.ZeDOHead` and a
    :class:`~mmzedo.models.PassThroughBackbone`: a short form of

    .. code-block:: python

        model = dict(type='PoseLifter',
                     backbone=dict(type='PassThroughBackbone'),
                     head=dict(type='ZeDOHead', prior_checkpoint=...,
                               anchors=...))

    with the head's arguments (``prior_checkpoint``, ``anchors``,
    ``num_hypotheses``, ``zedo_cfg``, ``show_progress``, ``on_invalid``) at
    the top level (``model.zedo_cfg``, ...). The head holds the prior, the
    anchors and the settings (``model.head``); ``prior``, ``anchors``,
    ``zedo_cfg`` and ``lift`` are the head's. A published prior's weights
    (``prior.*``, ``tools/test.py CONFIG PRIOR``) load into the head; in
    the explicit form the head's prior comes from ``head.prior_checkpoint``
    only (a checkpoint of ``prior.*`` keys does not reach it: mmengine
    hands each submodule only its own keys).
    """

    def __init__(self,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 **head_args):
        super().__init__(
            backbone=dict(type='PassThroughBackbone'),
            head=dict(type='ZeDOHead', **head_args),
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self._register_load_state_dict_pre_hook(self._prior_into_head)

    @staticmethod
    def _prior_into_head(state_dict, prefix, *args) -> None:
        """``prior.*`` keys are the head's: moved before this module's own
        key check, so that loading a published prior warns of nothing."""
        for key in [k for k in state_dict if k.startswith(prefix + 'prior.')]:
            state_dict[prefix + 'head.' + key[len(prefix):]] = state_dict.pop(
                key)

    @property
    def prior(self):
        return self.head.prior

    @property
    def anchors(self):
        return self.head.anchors

    @property
    def zedo_cfg(self):
        return self.head.zedo_cfg

    def lift(self, data_samples):
        return self.head.lift(data_samples)
