# Copyright (c) mmzedo contributors. All rights reserved.
from .min_mpjpe_metric import MinMPJPE
from .prior_quality_metric import PriorQualityMetric, bone_statistics

__all__ = ['MinMPJPE', 'PriorQualityMetric', 'bone_statistics']
