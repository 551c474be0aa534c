# Copyright (c) mmzedo contributors. All rights reserved.
"""mmzedo's algorithmic core in plain torch: no mmpose/mmengine imports, so
it runs (and can be timed) where only torch is installed."""
from .augment import (AUGMENT_DEFAULTS, BODY_PARTS, augment_poses,
                      body_frame, flip_poses, hip_flexion, knee_flexion,
                      low_pose_mask, mix_parts, perturb_joint_angles,
                      resolve_augment_cfg, rotate_poses, rotation_matrices,
                      scale_bones, seat_poses, tilt_poses,
                      with_bone_lengths)
from .score_net import (SCORE_NETS, ScoreMLP, build_score_net,
                        timestep_embedding)
from .camera_geometry import (project, project_onto_rays, ray_translation,
                              unit_rays)
from .score_prior import (PRIOR_FORMAT, TRAIN_T_DEFAULTS, ScorePrior,
                          check_train_t, published_prior,
                          sample_train_times, state_dict_sha256)
from .sde_lib import SDE, SubVPSDE, VESDE, VPSDE, build_sde
from .choice import (CHOICE_RULES, COSTLY_CHOICE_RULES, get_choice_rule,
                     register_choice_rule)
from .schedule import TimeSchedule
from .steps import (STEP_EVALUATIONS, STEP_RULES, get_step_rule,
                    register_step_rule)
from .inputs import ZeDOInputError, check_zedo_inputs
from .rotations import quaternion_to_matrix
from .zedo import (initial_pose_optimiser, pose_validity, reprojection_error,
                   score_result, zedo_lift, zedo_loop)
from .zedo_settings import LOOP_SETTINGS, ZEDO_DEFAULTS, resolve_zedo_cfg
from .solver import ZeDOSolver
from .likelihood import prior_log_likelihood
from .focal_search import FOCAL_SEARCH_DEFAULTS, estimate_focal
from .presets import PRESETS
from .sequence import zedo_lift_sequence

__all__ = [
    'AUGMENT_DEFAULTS', 'BODY_PARTS', 'CHOICE_RULES', 'COSTLY_CHOICE_RULES',
    'get_choice_rule', 'register_choice_rule', 'FOCAL_SEARCH_DEFAULTS',
    'PRIOR_FORMAT',
    'body_frame', 'knee_flexion', 'mix_parts', 'perturb_joint_angles',
    'tilt_poses',
    'LOOP_SETTINGS', 'PRESETS', 'SCORE_NETS', 'SDE', 'STEP_EVALUATIONS',
    'STEP_RULES',
    'ScoreMLP', 'TimeSchedule',
    'ScorePrior', 'SubVPSDE', 'TRAIN_T_DEFAULTS', 'VESDE', 'VPSDE',
    'ZEDO_DEFAULTS', 'ZeDOInputError', 'ZeDOSolver', 'augment_poses',
    'build_score_net', 'build_sde', 'estimate_focal', 'check_train_t',
    'check_zedo_inputs', 'flip_poses', 'get_step_rule',
    'initial_pose_optimiser', 'pose_validity', 'project', 'project_onto_rays',
    'prior_log_likelihood', 'published_prior',
    'quaternion_to_matrix', 'ray_translation', 'register_step_rule',
    'reprojection_error', 'resolve_augment_cfg', 'resolve_zedo_cfg',
    'rotate_poses', 'rotation_matrices', 'sample_train_times', 'scale_bones',
    'seat_poses', 'hip_flexion', 'low_pose_mask', 'with_bone_lengths',
    'score_result', 'state_dict_sha256', 'timestep_embedding', 'unit_rays',
    'zedo_lift', 'zedo_lift_sequence', 'zedo_loop'
]
