# Copyright (c) mmzedo contributors. All rights reserved.
"""mmzedo's algorithmic core in plain torch: no mmpose/mmengine imports, so
it runs (and can be timed) where only torch is installed."""
from .score_net import ScoreMLP, timestep_embedding
from .score_prior import ScorePrior
from .sde_lib import SDE, STEP_MODES, SubVPSDE, VESDE, VPSDE, build_sde

__all__ = [
    'SDE', 'STEP_MODES', 'ScoreMLP', 'ScorePrior', 'SubVPSDE', 'VESDE',
    'VPSDE', 'build_sde', 'timestep_embedding'
]
