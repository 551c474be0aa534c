# Copyright (c) mmzedo contributors. All rights reserved.
from .prior_quality_metric import PriorQualityMetric, bone_statistics

__all__ = ['PriorQualityMetric', 'bone_statistics']
