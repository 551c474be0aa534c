# Copyright (c) mmzedo contributors. All rights reserved.
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmpose.evaluation.functional import keypoint_mpjpe
from mmpose.registry import METRICS

from mmzedo.utils.skeleton import LEFT_RIGHT_BONES, bone_lengths


def bone_statistics(poses: np.ndarray) -> Dict[str, float]:
    """Left/right asymmetry and spread of the bone lengths of poses
    ``[N, 17, 3]``.

    - ``asym``: mean over poses and left/right bone pairs of
      ``|L - R| / ((L + R) / 2)``.
    - ``spread``: mean over bones of the coefficient of variation
      (std / mean) of the bone's length across poses.
    """
    lengths = bone_lengths(poses)  # [N, 16], bone k -> child k + 1
    left = lengths[:, [lb - 1 for lb, _ in LEFT_RIGHT_BONES]]
    right = lengths[:, [rb - 1 for _, rb in LEFT_RIGHT_BONES]]
    asym = np.abs(left - right) / np.maximum((left + right) / 2, 1e-9)
    spread = lengths.std(axis=0) / np.maximum(lengths.mean(axis=0), 1e-9)
    return dict(asym=float(asym.mean()), spread=float(spread.mean()))


@METRICS.register_module()
class PriorQualityMetric(BaseMetric):
    """Quality of a 3D pose prior on held-out poses (see
    :class:`~mmzedo.models.PosePrior`'s ``predict``).

    Reports (lengths in mm, ratios unitless):

    - ``denoise_mpjpe``: MPJPE of poses noised to ``t`` and denoised by the
      reverse process, against the clean poses; ``noised_mpjpe`` is the
      MPJPE of the noised poses, for scale.
    - ``sample_bone_asym`` / ``sample_bone_spread``: left/right bone-length
      asymmetry and bone-length spread of unconditional samples (see
      :func:`bone_statistics`); ``data_bone_asym`` / ``data_bone_spread``
      give the held-out poses' values as the reference.

    Args:
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Metric name prefix. Defaults to ``'prior'``.
    """
    default_prefix: Optional[str] = 'prior'

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for ds in data_samples:
            gt = np.asarray(ds['gt_instance_labels']['lifting_target_label'])
            pred = ds['pred_instances']
            result = dict(
                gt=gt.reshape(-1, 17, 3),
                denoised=np.asarray(pred['keypoints']).reshape(-1, 17, 3),
                noised=np.asarray(pred['noised_keypoints']).reshape(
                    -1, 17, 3))
            if 'prior_samples' in ds:
                result['samples'] = np.asarray(ds['prior_samples'])
            self.results.append(result)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        gt = np.concatenate([r['gt'] for r in results])
        mask = np.ones(gt.shape[:2], dtype=bool)
        metrics = dict()
        for key in ('denoised', 'noised'):
            pred = np.concatenate([r[key] for r in results])
            name = 'denoise_mpjpe' if key == 'denoised' else 'noised_mpjpe'
            metrics[name] = 1000 * keypoint_mpjpe(pred, gt, mask)
        data_stats = bone_statistics(gt)
        metrics['data_bone_asym'] = data_stats['asym']
        metrics['data_bone_spread'] = data_stats['spread']
        samples = [r['samples'] for r in results if 'samples' in r]
        if samples:
            stats = bone_statistics(np.concatenate(samples))
            metrics['sample_bone_asym'] = stats['asym']
            metrics['sample_bone_spread'] = stats['spread']
        return metrics
