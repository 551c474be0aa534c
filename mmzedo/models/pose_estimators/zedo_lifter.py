# Copyright (c) mmzedo contributors. All rights reserved.
from typing import List, Mapping, Optional, Sequence

import numpy as np
import torch
from mmengine.model import BaseModel
from mmengine.structures import InstanceData
from mmengine.utils import ProgressBar
from mmpose.registry import MODELS

from mmzedo.core.anchors import load_anchors
from mmzedo.core.score_prior import ScorePrior
from mmzedo.core.zedo import ZeDOInputError, resolve_zedo_cfg, zedo_lift


def zedo_inputs(infos: Sequence[Mapping]):
    """ZeDO's inputs from per-sample info mappings (a data sample's
    metainfo, or a dataset's data info) holding ``keypoints`` (pixels),
    ``keypoints_visible`` (confidences) and ``camera_param`` (``f``, ``c``
    in pixels); the last frame is the target.

    Returns:
        tuple: keypoints [B, J, 2], scores [B, J], f [B, 2], c [B, 2].
    """
    kpts, scores, fs, cs = [], [], [], []
    for i, info in enumerate(infos):
        if 'keypoints' not in info or 'keypoints_visible' not in info:
            raise ZeDOInputError(
                f'Sample {i} has no 2D keypoints: add \'keypoints\' and '
                "'keypoints_visible' to PackPoseInputs' meta_keys (the "
                "VideoPoseLifting codec's packing table drops them from "
                'gt_instances).')
        cam = info.get('camera_param')
        if cam is None or 'f' not in cam or 'c' not in cam:
            raise ZeDOInputError(
                f'Sample {i} has no camera intrinsics: add \'camera_param\' '
                "to PackPoseInputs' meta_keys and give the dataset a "
                'camera_param_file (with f and c in pixels).')
        k = np.asarray(info['keypoints'], dtype=np.float32)
        v = np.asarray(info['keypoints_visible'], dtype=np.float32)
        kpts.append(k.reshape(-1, k.shape[-2], k.shape[-1])[-1])
        scores.append(v.reshape(-1, v.shape[-1])[-1])
        fs.append(np.asarray(cam['f'], dtype=np.float32).reshape(2))
        cs.append(np.asarray(cam['c'], dtype=np.float32).reshape(2))
    try:
        return tuple(
            torch.from_numpy(np.stack(x)) for x in (kpts, scores, fs, cs))
    except ValueError as e:
        raise ZeDOInputError(f'2D keypoints differ in shape across the '
                             f'batch: {e}')


@MODELS.register_module()
class ZeDOLifter(BaseModel):
    """ZeDO: zero-shot 2D-to-3D lifting by test-time optimisation with a
    pretrained score-based pose prior (the design card's "lifter head").

    It has no trainable parameters: ``predict`` reads the 2D keypoints and
    confidences (``keypoints``, ``keypoints_visible``) and the intrinsics
    (``camera_param``) from the metainfo (see :func:`zedo_inputs`), runs
    :func:`mmzedo.core.zedo_lift` for all samples x anchors in one batch,
    and writes ``pred_instances.keypoints`` [1, 17, 3] in the frame of
    mmpose's ``lifting_target``: the root-relative pose plus the metainfo's
    ``target_root`` when present (as mmpose's lifting heads do), else plus
    ZeDO's own translation. ``pred_instances`` also carries
    ``hypotheses`` [S, 17, 3] (same frame), ``energy``,
    ``reprojection_error``, ``score_norm`` [S] and ``translation`` [3].

    Args:
        prior_checkpoint (str): A prior published by
            ``tools/publish_prior.py``.
        anchors (str): An anchor file from ``tools/build_anchors.py``.
        num_hypotheses (int, optional): Use the first ``S`` anchors
            (largest clusters). Defaults to all.
        zedo_cfg (dict): Overrides of :data:`mmzedo.core.ZEDO_DEFAULTS`
            (init_steps, init_lr, init_axes, init_joints, init_scale_range,
            steps, warmup, t_max, t_min, step_mode, energy_prior_weight).
        show_progress (bool): Progress bar over the loop steps of each
            batch. Defaults to True.
    """

    def __init__(self,
                 prior_checkpoint: str,
                 anchors: str,
                 num_hypotheses: Optional[int] = None,
                 zedo_cfg: Optional[dict] = None,
                 show_progress: bool = True,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.prior = ScorePrior.from_checkpoint(prior_checkpoint)
        for p in self.prior.parameters():
            p.requires_grad_(False)
        data = load_anchors(anchors, self.prior.score_net.num_joints)
        available = len(data['anchors'])
        if num_hypotheses is not None and not 0 < num_hypotheses <= available:
            raise ValueError(
                f'num_hypotheses={num_hypotheses}, but {anchors} holds '
                f'{available} anchors: build an anchor file with that many '
                '(tools/build_anchors.py --nums ...).')
        a = data['anchors'][:num_hypotheses]
        # Not in the state dict: tools/test.py loads the published prior
        # checkpoint (keys 'prior.*') into this model without warnings.
        self.register_buffer(
            'anchors', torch.from_numpy(a).float(), persistent=False)
        self.zedo_cfg = resolve_zedo_cfg(zedo_cfg)
        self.show_progress = show_progress

    def train(self, mode: bool = True):
        # The prior stays in eval mode (dropout off) whatever the runner does.
        super().train(mode)
        self.prior.eval()
        return self

    def forward(self, inputs, data_samples: Optional[List] = None,
                mode: str = 'predict'):
        if mode == 'loss':
            raise RuntimeError('ZeDOLifter has nothing to train: it is '
                               'zero-shot; train the prior (PosePrior).')
        if mode not in ('predict', 'tensor'):
            raise ValueError(f'Invalid mode "{mode}".')
        return self.predict(data_samples)

    def lift(self, data_samples: List) -> dict:
        """Run ZeDO on the samples' 2D keypoints; returns
        :func:`~mmzedo.core.zedo_lift`'s dict."""
        kpts, scores, f, c = zedo_inputs([d.metainfo for d in data_samples])
        bar = None
        if self.show_progress:
            bar = ProgressBar(self.zedo_cfg['steps'] // 50)
        progress = (lambda i: bar.update()) if bar else None  # noqa: E731
        return zedo_lift(self.prior, kpts, scores, f, c, self.anchors,
                         progress=progress, **self.zedo_cfg)

    @torch.no_grad()
    def predict(self, data_samples: List) -> List:
        out = self.lift(data_samples)
        out = {k: v.cpu().numpy() for k, v in out.items()}
        for i, d in enumerate(data_samples):
            root = d.metainfo.get('target_root')
            offset = (np.asarray(root, dtype=np.float32).reshape(1, 3)
                      if root is not None else out['translation'][i][None])
            d.pred_instances = InstanceData(
                keypoints=(out['pose'][i] + offset)[None],
                keypoint_scores=np.ones((1, out['pose'].shape[1]),
                                        dtype=np.float32),
                hypotheses=(out['hypotheses'][i] + offset)[None],
                energy=out['energy'][i][None],
                reprojection_error=out['reprojection_error'][i][None],
                score_norm=out['score_norm'][i][None],
                translation=out['translation'][i][None])
        return data_samples
