# Copyright (c) mmzedo contributors. All rights reserved.
from .score_mlp import ScoreMLP

__all__ = ['ScoreMLP']
