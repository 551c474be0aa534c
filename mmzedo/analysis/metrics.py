# Copyright (c) mmzedo contributors. All rights reserved.
"""Errors of lifted poses against the ground truth (mmpose's metric) and
their scale and smoothness."""
import numpy as np


def errors(pred, gt):
    """MPJPE and P-MPJPE (mm, one decimal) of root-relative poses
    [..., 17, 3] against the ground truth, by mmpose's metric."""
    from mmpose.evaluation.functional import keypoint_mpjpe
    pred, gt = pred.reshape(-1, 17, 3), gt.reshape(-1, 17, 3)
    mask = np.ones(gt.shape[:2], dtype=bool)
    return (round(1000 * keypoint_mpjpe(pred, gt, mask), 1),
            round(1000 * keypoint_mpjpe(pred, gt, mask,
                                        alignment='procrustes'), 1))


def per_hypothesis_errors(hyps, gt):
    """MPJPE and P-MPJPE (mm, one decimal) [N, S, 2] of every hypothesis
    [N, S, 17, 3] against the ground truth [N, 17, 3]."""
    return np.array([[errors(h[None], g[None]) for h in sample]
                     for sample, g in zip(hyps, gt)])


def scale_ratio(pred, gt):
    """Mean bone length of ``pred`` over the ground truth's, averaged over
    the samples (three decimals)."""
    from mmzedo.utils import bone_lengths
    return round(float((bone_lengths(pred).mean(1) /
                        bone_lengths(gt).mean(1)).mean()), 3)


def acceleration(poses):
    """Mean joint acceleration (mm / frame^2) of [N, L, J, 3] poses."""
    a = poses[:, 2:] - 2 * poses[:, 1:-1] + poses[:, :-2]
    return round(1000 * float(np.linalg.norm(a, axis=-1).mean()), 1)
