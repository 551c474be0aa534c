# Copyright (c) mmzedo contributors. All rights reserved.
"""Anchor poses: K-Means centres of root-relative training poses, stored with
their joint layout and units so that a mismatch is caught when loaded."""
import os.path as osp
from typing import Dict, Sequence

import numpy as np

from mmzedo.utils.safe_io import atomic_path, check_file_name
from mmzedo.utils.skeleton import check_metres

JOINT_LAYOUT = 'h36m-17'
UNITS = 'm'


def kmeans_anchors(poses: np.ndarray, num: int, seed: int = 0,
                   root_index: int = 0) -> np.ndarray:
    """K-Means (scikit-learn) centres [num, J, 3] of root-relative poses."""
    from sklearn.cluster import KMeans
    poses = np.asarray(poses, dtype=np.float64)
    rel = poses - poses[:, root_index:root_index + 1]
    if not isinstance(num, (int, np.integer)) or num < 1:
        raise ValueError(f'The number of anchors must be >= 1, got {num}.')
    if num > len(rel):
        raise ValueError(f'Asked for {num} anchors from {len(rel)} poses.')
    km = KMeans(n_clusters=num, n_init=4, random_state=seed)
    km.fit(rel.reshape(len(rel), -1))
    centres = km.cluster_centers_.reshape(num, *rel.shape[1:])
    # Order by cluster size (largest first), so anchors[:k] are the most
    # common poses.
    counts = np.bincount(km.labels_, minlength=num)
    return centres[np.argsort(-counts, kind='stable')].astype(np.float32)


def save_anchors(path: str, anchors: np.ndarray, source: str,
                 root_index: int = 0) -> None:
    """Write an anchor file atomically (checked: finite, metres)."""
    anchors = np.asarray(anchors, dtype=np.float32)
    if anchors.ndim != 3 or len(anchors) == 0:
        raise ValueError(f'{path}: anchors must be [S >= 1, 17, 3], got '
                         f'{list(anchors.shape)}.')
    if not np.isfinite(anchors).all():
        raise ValueError(f'{path}: anchors contain NaN/inf.')
    check_metres(anchors, path)
    with atomic_path(path, suffix='.npz') as tmp:
        _write(tmp, anchors, source, root_index)


def _write(path, anchors, source, root_index):
    np.savez(
        path,
        anchors=np.asarray(anchors, dtype=np.float32),
        joint_layout=JOINT_LAYOUT,
        units=UNITS,
        frame='camera, root-relative',
        root_index=root_index,
        source=source)


def load_anchors(path: str, num_joints: int = 17) -> Dict[str, np.ndarray]:
    """Load and check an anchor file written by :func:`save_anchors`."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'Anchor file {path} does not exist; build '
                                'one with tools/build_anchors.py.')
    try:
        data = dict(np.load(path, allow_pickle=False))
    except Exception as e:  # noqa: BLE001 - zipfile/pickle/OS errors
        raise ValueError(
            f'{path}: not a readable anchor file ({type(e).__name__}: {e}); '
            'rebuild it with tools/build_anchors.py.')
    for key in ('anchors', 'joint_layout', 'units'):
        if key not in data:
            raise ValueError(f'{path}: not an mmzedo anchor file (no '
                             f'"{key}").')
    layout, units = str(data['joint_layout']), str(data['units'])
    anchors = data['anchors']
    if layout != JOINT_LAYOUT or anchors.shape[1:] != (num_joints, 3):
        raise ValueError(
            f'{path}: anchors have joint layout "{layout}" and shape '
            f'{list(anchors.shape)}; the prior expects "{JOINT_LAYOUT}" '
            f'[S, {num_joints}, 3].')
    if units != UNITS:
        raise ValueError(f'{path}: anchors are in "{units}", expected '
                         f'metres ("{UNITS}").')
    if len(anchors) == 0:
        raise ValueError(f'{path}: holds no anchors.')
    if not np.isfinite(anchors).all():
        raise ValueError(f'{path}: anchors contain NaN/inf.')
    if num_joints == 17:
        check_metres(anchors - anchors[:, :1], f'{path} (labelled metres)')
    return data


def anchor_file_name(name: str, num: int) -> str:
    return f'anchors_{name}_S{num}.npz'


def build_anchor_files(poses: np.ndarray, nums: Sequence[int],
                       out_dir: str, name: str, source: str,
                       seed: int = 0) -> Dict[int, str]:
    check_file_name(name, 'anchor name')
    check_metres(poses, source)
    out = {}
    for num in nums:
        path = osp.join(out_dir, anchor_file_name(name, num))
        save_anchors(path, kmeans_anchors(poses, num, seed), source)
        out[num] = path
    return out
