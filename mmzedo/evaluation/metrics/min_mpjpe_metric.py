# Copyright (c) mmzedo contributors. All rights reserved.
from typing import Dict, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmpose.evaluation.functional import keypoint_mpjpe
from mmpose.registry import METRICS


@METRICS.register_module()
class MinMPJPE(BaseMetric):
    """Multi-hypothesis MPJPE (the paper's minMPJPE, an oracle): for each
    sample, the error of its best hypothesis in
    ``pred_instances.hypotheses`` [1, S, K, 3], averaged over samples.
    The ``'mpjpe'`` mode also reports the number of hypotheses.

    Args:
        mode (str): ``'mpjpe'`` (no alignment) or ``'p-mpjpe'`` (Procrustes
            per hypothesis), as mmpose's ``MPJPE``. Defaults to ``'mpjpe'``.
        collect_device (str): Defaults to ``'cpu'``.
        prefix (str, optional): Metric name prefix.
    """
    ALIGNMENT = {'mpjpe': 'none', 'p-mpjpe': 'procrustes'}

    def __init__(self, mode: str = 'mpjpe', collect_device: str = 'cpu',
                 prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if mode not in self.ALIGNMENT:
            raise KeyError(f"mode must be 'mpjpe' or 'p-mpjpe', got '{mode}'")
        self.mode = mode

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        align = self.ALIGNMENT[self.mode]
        for ds in data_samples:
            hyps = np.asarray(ds['pred_instances']['hypotheses'])
            hyps = hyps.reshape(-1, *hyps.shape[-2:])  # [S, K, 3]
            gt = np.asarray(ds['gt_instances']['lifting_target'])
            gt = gt.reshape(-1, *gt.shape[-2:])[-1:]  # [1, K, 3]
            mask = np.asarray(ds['gt_instances']['lifting_target_visible'])
            mask = mask.reshape(-1, gt.shape[1])[-1:].astype(bool)
            errors = [
                keypoint_mpjpe(h[None], gt, mask, align) for h in hyps
            ]
            self.results.append(
                dict(min_error=min(errors), num=len(hyps)))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        err = float(np.mean([r['min_error'] for r in results]))
        if self.mode == 'p-mpjpe':
            return {'P-MinMPJPE': err}
        return {
            'MinMPJPE': err,
            'num_hypotheses': float(np.mean([r['num'] for r in results]))
        }
