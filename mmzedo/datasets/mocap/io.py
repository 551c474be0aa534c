# Copyright (c) mmzedo contributors. All rights reserved.
"""Reading and checking 17-joint motion-capture files."""
import os.path as osp
from typing import Dict

import numpy as np

from mmzedo.utils.skeleton import NUM_JOINTS, bone_lengths

REQUIRED_KEYS = ('joints', 'seq_lengths')


class MocapFormatError(ValueError):
    """Raised for motion-capture input that mmzedo cannot use."""


def check_world_joints(joints: np.ndarray, source: str = 'input') -> None:
    """Check an array of world poses ``[N, 17, 3]`` in metres.

    Raises:
        MocapFormatError: naming the problem (empty, shape, joint count,
            NaN/inf, or units that are not metres).
    """
    joints = np.asarray(joints)
    if joints.size == 0 or joints.ndim == 0 or joints.shape[0] == 0:
        raise MocapFormatError(f'{source}: no poses (empty joints array).')
    if joints.ndim != 3 or joints.shape[-1] != 3:
        raise MocapFormatError(
            f'{source}: joints must have shape [N, {NUM_JOINTS}, 3], got '
            f'{list(joints.shape)}.')
    if joints.shape[1] != NUM_JOINTS:
        raise MocapFormatError(
            f'{source}: expected {NUM_JOINTS} joints in the Human3.6M layout, '
            f'got {joints.shape[1]}.')
    bad = ~np.isfinite(joints).all(axis=(1, 2))
    if bad.any():
        raise MocapFormatError(
            f'{source}: {int(bad.sum())} poses contain NaN or inf (first at '
            f'frame {int(np.argmax(bad))}).')
    # Units: the median thigh (hip-knee) is ~0.35-0.5 m for adults.
    thigh = float(np.median(bone_lengths(joints)[:, [1, 4]]))
    if not 0.15 < thigh < 1.0:
        guess = ('millimetres' if thigh > 100 else
                 'centimetres' if thigh > 10 else 'not metres')
        raise MocapFormatError(
            f'{source}: median thigh length is {thigh:.4g}; joints must be '
            f'in metres (this looks like {guess}).')


#: Rotations of a file's world frame into the Y-up frame, by the axis that
#: points up in the file (``up_axis`` of :func:`load_mocap`).
TO_Y_UP = {
    'y': np.eye(3),
    'z': np.array([[1., 0., 0.], [0., 0., 1.], [0., -1., 0.]]),
}


def check_y_up(joints: np.ndarray, source: str = 'input') -> None:
    """Raise a MocapFormatError naming ``source`` unless the world joints
    ``[N, 17, 3]`` are Y-up: the head top above both ankles by 0.3 m or
    more in at least half of the frames (people stand, walk or sit most of
    the time; lying poses are a minority). Names the axis that is up where
    another one fits."""
    rise = joints[:, 10] - joints[:, [3, 6]].max(1)  # [N, 3]
    share = [(rise[:, k] > 0.3).mean() for k in range(3)]
    share += [(-rise[:, k] > 0.3).mean() for k in range(3)]
    if share[1] >= 0.5:
        return
    best = int(np.argmax(share))
    axis = ('+' if best < 3 else '-') + 'xyz'[best % 3]
    hint = (" (Z-up motion capture: convert it with up_axis='z', "
            "--up-axis z)" if axis == '+z' else '')
    raise MocapFormatError(
        f'{source}: joints must be Y-up (world metres), but the head is '
        f'above the ankles along +y in only {share[1]:.0%} of the frames; '
        f'the up axis looks like {axis} ({share[best]:.0%}){hint}.')


def load_mocap(path: str, up_axis: str = 'y') -> Dict[str, np.ndarray]:
    """Load and check a motion-capture ``.npz`` file.

    The file holds ``joints`` float [N, 17, 3] (world metres, Y up) and
    ``seq_lengths`` int [M]; optionally ``seq_names``, ``seq_groups`` (str
    [M]) and ``fps``.

    Returns:
        dict: ``joints``, ``seq_lengths``, ``seq_names``, ``seq_groups``,
        ``fps`` and ``source`` (the file's stem).
    """
    source = osp.splitext(osp.basename(path))[0]
    if not osp.isfile(path):
        raise FileNotFoundError(f'Motion-capture file {path} does not exist.')
    try:
        data = np.load(path, allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - re-raised with context
        raise MocapFormatError(f'{path}: not a readable .npz file ({e}).')
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise MocapFormatError(
            f'{path}: a single array of shape {list(np.shape(data))} (.npy), '
            'not a .npz of named arrays: save it with np.savez(out, '
            'joints=..., seq_lengths=...) (joints [N, 17, 3] in metres).')
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise MocapFormatError(f'{path}: missing arrays {missing}; found '
                               f'{sorted(data.keys())}.')
    if up_axis not in TO_Y_UP:
        raise ValueError(f'up_axis must be one of {sorted(TO_Y_UP)}, got '
                         f'{up_axis!r}.')
    joints = data['joints'].astype(np.float64)
    check_world_joints(joints, path)
    joints = joints @ TO_Y_UP[up_axis].T
    check_y_up(joints, path)
    seq_lengths = np.asarray(data['seq_lengths']).astype(np.int64).reshape(-1)
    if (seq_lengths <= 0).any() or seq_lengths.sum() != len(joints):
        raise MocapFormatError(
            f'{path}: seq_lengths (sum {int(seq_lengths.sum())}) must be '
            f'positive and add up to the number of poses ({len(joints)}).')
    m = len(seq_lengths)
    names = (data['seq_names'].astype(str) if 'seq_names' in data else
             np.array([f'{source}-{i:04d}' for i in range(m)]))
    groups = (data['seq_groups'].astype(str) if 'seq_groups' in data else
              np.array([source] * m))
    if len(names) != m or len(groups) != m:
        raise MocapFormatError(
            f'{path}: seq_names/seq_groups must have one entry per sequence '
            f'({m}).')
    fps = np.asarray(data['fps'], dtype=object) if 'fps' in data else 30.0
    try:
        fps = float(np.asarray(fps, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        fps = float('nan')
    if not np.isfinite(fps) or fps <= 0:
        raise MocapFormatError(f'{path}: fps must be finite and > 0, got '
                               f'{data["fps"]}.')
    return dict(
        joints=joints,
        seq_lengths=seq_lengths,
        seq_names=names,
        seq_groups=groups,
        fps=fps,
        source=source)
