# Copyright (c) mmzedo contributors. All rights reserved.
from typing import Optional

from mmpose.models.pose_estimators import PoseLifter
from mmpose.registry import MODELS

# The input glue lives with the head; importable from here as before.
from ..heads.zedo_head import target_frame, zedo_inputs  # noqa: F401


@MODELS.register_module()
class ZeDOLifter(PoseLifter):
    """A thin alias kept for configs written before ZeDO became a head:
    mmpose's ``PoseLifter`` with a :class:`~mmzedo.models.ZeDOHead` and a
    :class:`~mmzedo.models.PassThroughBackbone`, the head's arguments
    (``prior_checkpoint``, ``anchors``, ``num_hypotheses``, ``zedo_cfg``,
    ``show_progress``, ``on_invalid``, ``focal_pool``) at the top level.
    The project's configs use the explicit form:

    .. code-block:: python

        model = dict(type='PoseLifter',
                     backbone=dict(type='PassThroughBackbone'),
                     head=dict(type='ZeDOHead', prior_checkpoint=...,
                               anchors=...))

    Besides the explicit form, it loads priors published in the older key
    layout (``prior.*`` rather than ``head.prior.*``) and gives mmpose's
    inferencers :func:`~mmzedo.utils.openmmlab.lifter_dataset_meta` where
    the prior file carries no ``dataset_meta``.
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
        """``prior.*`` keys (the older layout) are the head's."""
        for key in [k for k in state_dict if k.startswith(prefix + 'prior.')]:
            state_dict[prefix + 'head.' + key[len(prefix):]] = state_dict.pop(
                key)

    _dataset_meta = None

    @property
    def dataset_meta(self) -> dict:
        if self._dataset_meta is None:
            from mmzedo.utils.openmmlab import lifter_dataset_meta
            self._dataset_meta = lifter_dataset_meta()
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, meta: Optional[dict]) -> None:
        self._dataset_meta = meta
