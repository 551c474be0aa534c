# Copyright (c) mmzedo contributors. All rights reserved.
from .pass_through import PassThroughBackbone
from .score_mlp import ScoreMLP

__all__ = ['PassThroughBackbone', 'ScoreMLP']
