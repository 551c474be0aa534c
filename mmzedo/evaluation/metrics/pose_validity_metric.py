# Copyright (c) mmzedo contributors. All rights reserved.
from typing import Dict, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmpose.registry import METRICS


@METRICS.register_module()
class PoseValidity(BaseMetric):
    """Counts the lifted poses that :class:`~mmzedo.models.ZeDOHead`
    flags invalid (``pred_instances.valid``: collapsed or blown-up bones,
    far from the 2D, behind the camera; see
    :func:`mmzedo.core.pose_validity`), so that degenerate results show in
    the test report instead of hiding in the mean error.

    Reports ``invalid`` (count), ``valid_ratio``, and the median
    ``bone_ratio`` and ``reprojection_rel`` of all poses.

    Args:
        collect_device (str): Defaults to ``'cpu'``.
        prefix (str, optional): Metric name prefix.
    """

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for ds in data_samples:
            pred = ds['pred_instances']
            if 'valid' not in pred:
                raise KeyError('PoseValidity needs pred_instances.valid '
                               '(written by the ZeDO head).')
            self.results.append(
                dict(valid=bool(np.asarray(pred['valid']).all()),
                     bone_ratio=float(np.asarray(pred['bone_ratio']).mean()),
                     reprojection_rel=float(
                         np.asarray(pred['reprojection_rel']).mean())))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        valid = np.array([r['valid'] for r in results])
        return dict(
            invalid=float((~valid).sum()),
            valid_ratio=float(valid.mean()),
            bone_ratio=float(np.median([r['bone_ratio'] for r in results])),
            reprojection_rel=float(
                np.median([r['reprojection_rel'] for r in results])))
