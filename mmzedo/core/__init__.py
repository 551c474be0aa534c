# Copyright (c) mmzedo contributors. All rights reserved.
"""mmzedo's algorithmic core in plain torch: no mmpose/mmengine imports, so
it runs (and can be timed) where only torch is installed."""
from .score_net import ScoreMLP, timestep_embedding
from .camera_geometry import (project, project_onto_rays, ray_translation,
                              unit_rays)
from .score_prior import ScorePrior
from .sde_lib import SDE, STEP_MODES, SubVPSDE, VESDE, VPSDE, build_sde
from .zedo import (ZEDO_DEFAULTS, ZeDOInputError, check_zedo_inputs,
                   initial_pose_optimiser, quaternion_to_matrix,
                   reprojection_error, resolve_zedo_cfg, zedo_lift,
                   zedo_loop)

__all__ = [
    'SDE', 'STEP_MODES', 'ScoreMLP', 'ScorePrior', 'SubVPSDE', 'VESDE',
    'VPSDE', 'ZEDO_DEFAULTS', 'ZeDOInputError', 'build_sde',
    'check_zedo_inputs', 'initial_pose_optimiser', 'project',
    'project_onto_rays', 'quaternion_to_matrix', 'ray_translation',
    'reprojection_error', 'resolve_zedo_cfg', 'timestep_embedding',
    'unit_rays', 'zedo_lift', 'zedo_loop'
]
