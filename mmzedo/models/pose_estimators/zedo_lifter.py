# Copyright (c) mmzedo contributors. All rights reserved.
from typing import Optional

import numpy as np
from mmpose.models.pose_estimators import PoseLifter
from mmpose.registry import MODELS

# The input glue lives with the head; importable from here as before.
from ..heads.zedo_head import target_frame, zedo_inputs  # noqa: F401


def inferencer_dataset_meta() -> dict:
    """The dataset meta that mmpose's inferencers read from a lifter:
    Human3.6M-17 (mmpose's ``h36m.py``: names, skeleton, flip pairs) with
    ``stats_info`` set to a unit box at the origin, so that 2D the
    inferencer normalises to the bounding box (unless
    ``disable_norm_pose_2d``) spans under a pixel, which ZeDO names instead
    of lifting it as if it were pixels."""
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    meta = parse_pose_metainfo(dict(from_file='configs/_base_/datasets/'
                                    'h36m.py'))
    meta['stats_info'] = dict(bbox_center=np.zeros((1, 2)), bbox_scale=1.)
    return meta


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
    ``solver`` and ``lift`` are the head's. A published prior's weights
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

    _dataset_meta = None

    @property
    def dataset_meta(self) -> dict:
        """What mmpose's inferencers read (``dataset_name``,
        ``stats_info``, ...). They set it from the checkpoint's or the
        config's training data, which ZeDO has neither of (a published
        prior; a test-only config); then it is
        :func:`inferencer_dataset_meta`."""
        if self._dataset_meta is None:
            self._dataset_meta = inferencer_dataset_meta()
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, meta: Optional[dict]) -> None:
        self._dataset_meta = meta

    @property
    def prior(self):
        return self.head.prior

    @property
    def anchors(self):
        return self.head.anchors

    @property
    def solver(self):
        return self.head.solver

    def lift(self, data_samples):
        return self.head.lift(data_samples)
