# Copyright (c) mmzedo contributors. All rights reserved.
"""The analysis library behind ``tools/analysis/`` and ``tools/benchmark.py``:
benchmark test data, lifting and metrics (the scripts are thin command
lines over it)."""
from .data import (ANCHORS, PRIOR, add_sample_args, load_prior_and_anchor,
                   load_test_split, test_sequences, test_split_indices)
from .lifting import lift_poses
from .metrics import acceleration, errors, per_hypothesis_errors, scale_ratio

__all__ = [
    'ANCHORS', 'PRIOR', 'acceleration', 'add_sample_args', 'errors',
    'lift_poses', 'load_prior_and_anchor', 'load_test_split',
    'per_hypothesis_errors', 'scale_ratio', 'test_sequences',
    'test_split_indices'
]
