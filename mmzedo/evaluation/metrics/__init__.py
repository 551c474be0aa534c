# Copyright (c) mmzedo contributors. All rights reserved.
from .min_mpjpe_metric import MinMPJPE
from .pose_validity_metric import PoseValidity
from .prior_quality_metric import PriorQualityMetric, bone_statistics

__all__ = ['MinMPJPE', 'PoseValidity', 'PriorQualityMetric', 'bone_statistics']
