# Copyright (c) mmzedo contributors. All rights reserved.
from .prior_data_preprocessor import PriorDataPreprocessor

__all__ = ['PriorDataPreprocessor']
